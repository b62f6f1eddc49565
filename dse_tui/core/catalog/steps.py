"""Steps left running by a process that died (a part of Catalog): verifications, copies, restores and
session commands. Each names, in its row, the lock its process holds while it works (locks.StepLock); a
row still running whose lock can be taken is marked interrupted, with an event, by whoever finds it first:
the next verify, copy, restore or run, or the console when it loads and refreshes."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from dse_tui.core.catalog.lifecycle import (COPY, RESTORE, VERIFICATION, CopyState, Event, RestoreOutcome,
                                            VerificationOutcome)
from dse_tui.core.engine.locks import StepLock, forget, owner_gone
from dse_tui.core.common.timeutil import to_db, utcnow

INTERRUPTED = "interrupted: the process stopped before it finished"


@dataclass(frozen=True)
class _Kind:
    action: str  # the event a step of this kind ends with
    running: str  # SELECT of its running rows: key, lock, repository, then what the event's detail carries
    interrupt: str  # UPDATE of one of them to :ended, only while it is still :working under the same lock
    working: str | None = None  # the state of a row while its process works, and the one its death leads to
    ended: str | None = None


_RUN_REPO = "JOIN runs r ON r.id = t.run_id JOIN repositories p ON p.id = r.repository_id"

_KINDS = (
    # The SELECTs spell the running state: the partial indexes of running rows serve them (catalog/__init__.py).
    _Kind("verification",
          f"SELECT t.id, t.lock, p.key, t.id AS verification_id, t.run_id, t.level, t.copy_id, t.operator,"
          f" t.started_at FROM verifications t {_RUN_REPO} WHERE t.outcome = 'running'",
          "UPDATE verifications SET outcome = :ended, ended_at = :now, message = :message"
          " WHERE id = :key AND outcome = :working AND lock IS :lock",
          VerificationOutcome.RUNNING, VERIFICATION.next(VerificationOutcome.RUNNING, Event.INTERRUPTED)),
    _Kind("copy",
          f"SELECT t.id, t.lock, p.key, t.id AS copy_id, t.run_id, t.destination, t.copied_at AS started_at"
          f" FROM copies t {_RUN_REPO} WHERE t.state = 'copying'",
          "UPDATE copies SET state = :ended, message = :message WHERE id = :key AND state = :working AND lock IS :lock",
          CopyState.COPYING, COPY.next(CopyState.COPYING, Event.INTERRUPTED)),
    _Kind("restore",
          f"SELECT t.id, t.lock, p.key, t.id AS restore_id, t.run_id, t.target, t.operator, t.started_at"
          f" FROM restores t {_RUN_REPO} WHERE t.outcome = 'running'",
          "UPDATE restores SET outcome = :ended, ended_at = :now, message = :message"
          " WHERE id = :key AND outcome = :working AND lock IS :lock",
          RestoreOutcome.RUNNING, RESTORE.next(RestoreOutcome.RUNNING, Event.INTERRUPTED)),
    # A command's record is its step's output: it says so at its end, and has no exit status.
    _Kind("session command",
          "SELECT t.rowid, t.lock, p.key, t.session_id, t.step_id AS step FROM session_steps t"
          " JOIN sessions s ON s.id = t.session_id JOIN repositories p ON p.id = s.repository_id"
          " WHERE t.lock IS NOT NULL AND t.exit_status IS NULL AND s.state = 'open'",
          "UPDATE session_steps SET lock = NULL, output = coalesce(output, '') || :note"
          " WHERE rowid = :key AND exit_status IS NULL AND lock IS :lock"),
)


@dataclass(frozen=True)
class RunningStep:
    action: str
    key: int
    lock: str | None
    repository: str
    detail: dict = field(default_factory=dict)


class StepsMixin:
    """Needs `self.conn`, `self.readonly`, `self.transaction` and `self._append_event`."""

    conn: sqlite3.Connection

    def begin_step(self, storage_root: Path) -> StepLock:
        """The lock a new step holds while it works (its row records `.mark`), taken once the steps that
        died before it are closed. Raises OSError when the locks folder cannot be written."""
        self.interrupt_dead_steps()
        return StepLock(storage_root)

    def running_steps(self) -> list[RunningStep]:
        out = []
        for kind in _KINDS:
            cur = self.conn.execute(kind.running)
            names = [d[0] for d in cur.description][3:]
            out += [RunningStep(kind.action, row[0], row[1], row[2], dict(zip(names, row[3:]))) for row in cur]
        return out

    def interrupt_dead_steps(self) -> list[RunningStep]:
        """Mark interrupted, each with an event, the running steps whose process is gone; returns them."""
        if self.readonly:
            return []
        done = []
        for step in self.running_steps():
            if owner_gone(step.lock) and self._interrupt(step):
                forget(step.lock)
                done.append(step)
        return done

    def _interrupt(self, step: RunningStep) -> bool:
        """False when another process closed it first, or it ended meanwhile."""
        kind = next(k for k in _KINDS if k.action == step.action)
        with self.transaction():
            cur = self.conn.execute(kind.interrupt, {"key": step.key, "lock": step.lock, "now": to_db(utcnow()),
                                                   "message": INTERRUPTED, "note": f"\n[{INTERRUPTED}]\n",
                                                   "working": kind.working, "ended": kind.ended})
            if cur.rowcount != 1:
                return False
            self._append_event(step.action, Event.INTERRUPTED, repository=step.repository,
                               detail={**step.detail, "message": INTERRUPTED})
        return True
