"""The catalog's records of verifications, restores and acknowledgements (a part of Catalog)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from dse_tui.core.catalog.lifecycle import (RESTORE, RUN, VERIFICATION, CopyState, Event, RestoreOutcome, RunState,
                                            VerificationOutcome)
from dse_tui.core.catalog.runs import RUN_COLUMNS, Run
from dse_tui.core.common.timeutil import from_db, to_db, utcnow


@dataclass(frozen=True)
class Verification:
    id: int
    run_id: int
    level: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str  # running | passed | failed | inconclusive | cancelled | interrupted
    checks: list[dict]  # [{"name", "ok", "detail"}], in the order they ran
    trigger: str | None
    operator: str | None
    message: str | None


@dataclass(frozen=True)
class Restore:
    id: int
    run_id: int
    target: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str  # running | done | failed | cancelled | interrupted
    operator: str | None
    message: str | None
    parts: tuple[str, ...] = ()  # only these were restored (paths, tables); () the whole run


@dataclass(frozen=True)
class RunFacts:
    """A run with what a table of runs shows of it and what its keys depend on: read for many runs at once."""
    run: Run
    pruned: bool
    session_id: int | None  # the manual-backup session that registered it
    verification: Verification | None  # its latest (of the run, not of a copy)
    copies: int  # verified copies that count (distinct devices, on no retired medium)


_VERIFICATION_COLUMNS = "id, run_id, level, started_at, ended_at, outcome, detail, trigger, operator, message"


class ChecksMixin:
    """Needs `self.conn` (sqlite3 connection in autocommit) and `self.repository_id`."""

    def start_verification(self, run_id: int, level: str, *, trigger: str, operator: str,
                           at: datetime | None = None, copy_id: int | None = None, lock: str | None = None) -> int:
        """`lock`: the mark of the StepLock its process holds until it finishes (catalog/steps.py)."""
        cur = self.conn.execute(
            "INSERT INTO verifications(run_id, level, started_at, outcome, trigger, operator, copy_id, lock)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, level, to_db(at or utcnow()), VerificationOutcome.RUNNING, trigger, operator, copy_id, lock))
        return cur.lastrowid

    def finish_verification(self, verification_id: int, outcome: str, checks: list[dict],
                            message: str | None = None, at: datetime | None = None, *,
                            operator: str | None = None) -> None:
        """A running verification ends with `outcome`, and its event by `operator` (default: whoever is logged
        in) is written with it: "verification" of a run, "copy verification" of a copy. A copy whose
        re-reading failed stops counting, in the same transaction."""
        when = at or utcnow()
        with self.transaction():
            outcome = self.moved(VERIFICATION, "verifications", "outcome", verification_id, outcome)
            self.conn.execute("UPDATE verifications SET outcome = ?, ended_at = ?, detail = ?, message = ?"
                              " WHERE id = ?", (outcome, to_db(when), json.dumps(checks), message, verification_id))
            run_id, level, trigger, copy_id = self.conn.execute(
                "SELECT run_id, level, trigger, copy_id FROM verifications WHERE id = ?", (verification_id,)).fetchone()
            repository = self._run_key(run_id)
            if copy_id is None:
                if outcome == VerificationOutcome.PASSED:
                    self.conn.execute("UPDATE runs SET verified_at = ? WHERE id = ?", (to_db(when), run_id))
                self._append_event("verification", outcome, repository=repository, operator=operator, at=when,
                                   detail={"run_id": run_id, "level": level, "trigger": trigger, "message": message})
                return
            if outcome == VerificationOutcome.FAILED:
                self._finish_copy(copy_id, CopyState.FAILED, message=f"verification failed: {message}",
                                  event=Event.VERIFICATION_FAILED)
            destination = self.conn.execute("SELECT destination FROM copies WHERE id = ?", (copy_id,)).fetchone()[0]
            self._append_event("copy verification", outcome, repository=repository, operator=operator, at=when,
                               detail={"copy_id": copy_id, "run_id": run_id, "destination": destination,
                                       "message": message})

    def verifications(self, run_id: int, limit: int = 20) -> list[Verification]:
        rows = self.conn.execute(f"SELECT {_VERIFICATION_COLUMNS} FROM verifications WHERE run_id = ?"
                                 " AND copy_id IS NULL ORDER BY started_at DESC, id DESC LIMIT ?", (run_id, limit))
        return [_verification(r) for r in rows]

    def last_verifications(self, run_ids: list[int]) -> dict[int, Verification]:
        """The latest conclusive verification (passed or failed) of each run, else its latest, for tables of
        runs: one cancelled, interrupted or inconclusive says nothing of the run, and must not hide what the
        one before it found."""
        if not run_ids:
            return {}
        marks = ",".join("?" * len(run_ids))
        rows = self.conn.execute(
            f"SELECT {_VERIFICATION_COLUMNS} FROM verifications WHERE id IN (SELECT coalesce(max(CASE WHEN"
            f" outcome IN (?, ?) THEN id END), max(id)) FROM verifications"
            f" WHERE run_id IN ({marks}) AND copy_id IS NULL GROUP BY run_id)",
            [VerificationOutcome.PASSED, VerificationOutcome.FAILED, *run_ids])
        return {v.run_id: v for v in map(_verification, rows)}

    def run_history(self, key: str, limit: int = 200) -> list[RunFacts]:
        """The repository's latest runs, newest first, each with its facts: three queries, whatever `limit`."""
        rows = self.conn.execute(f"SELECT {RUN_COLUMNS}, pruned_at, session_id FROM runs WHERE repository_id = ?"
                                 " ORDER BY started_at DESC LIMIT ?", (self.repository_id(key), limit)).fetchall()
        width = len(RUN_COLUMNS.split(","))
        runs = [self._run(r[:width], key) for r in rows]
        ids = [r.id for r in runs]
        verifications, copies = self.last_verifications(ids), self.verified_copies(ids)
        return [RunFacts(run, bool(row[width]), row[width + 1], verifications.get(run.id), copies.get(run.id, 0))
                for run, row in zip(runs, rows)]

    def copy_verified_at(self, copy_id: int):
        row = self.conn.execute("SELECT max(ended_at) FROM verifications WHERE copy_id = ? AND outcome = ?",
                                (copy_id, VerificationOutcome.PASSED)).fetchone()
        return from_db(row[0]) if row and row[0] else None

    def latest_kept_run(self, key: str):
        """The repository's latest run that still has its artifact (good, or held back by a check)."""
        row = self.conn.execute(f"SELECT {RUN_COLUMNS} FROM runs WHERE repository_id = ? AND artifact IS NOT NULL"
                                " AND pruned_at IS NULL ORDER BY started_at DESC LIMIT 1",
                                (self.repository_id(key),)).fetchone()
        return self._run(row, key) if row else None

    def held_runs(self, key: str) -> list:
        """Failed runs whose complete artifact was kept (they failed a verification or a site rule)."""
        rows = self.conn.execute(f"SELECT {RUN_COLUMNS} FROM runs WHERE repository_id = ? AND state = ?"
                                 " AND artifact IS NOT NULL AND pruned_at IS NULL ORDER BY started_at DESC",
                                 (self.repository_id(key), RunState.FAILED))
        return [self._run(r, key) for r in rows]

    def manual_required_since(self, key: str) -> datetime | None:
        row = self.conn.execute("SELECT manual_required_since FROM repositories WHERE id = ?",
                                (self.repository_id(key),)).fetchone()
        return from_db(row[0]) if row else None

    def is_pruned(self, run_id: int) -> bool:
        row = self.conn.execute("SELECT pruned_at FROM runs WHERE id = ?", (run_id,)).fetchone()
        return bool(row and row[0])

    def good_sizes_before(self, key: str, before: datetime, limit: int) -> list[int]:
        """Sizes of the last `limit` good runs that started before `before`, oldest first."""
        rows = self.conn.execute(
            "SELECT size FROM runs WHERE repository_id = ? AND state = 'good' AND started_at < ?"
            " ORDER BY started_at DESC LIMIT ?", (self.repository_id(key), to_db(before), limit)).fetchall()
        return [r[0] or 0 for r in reversed(rows)]

    def verified_at(self, run_id: int) -> datetime | None:
        row = self.conn.execute("SELECT verified_at FROM runs WHERE id = ?", (run_id,)).fetchone()
        return from_db(row[0]) if row else None

    def fail_run(self, run_id: int, message: str, operator: str | None = None) -> bool:
        """A stored run that no longer verifies: it stops counting as a backup, its artifact stays as evidence.
        False when another verification failed it first. The run's new state is an event of its own, in the
        same transaction: the verification's event says what was checked, this one that the backup is gone."""
        with self.transaction():
            if self.conn.execute("SELECT state FROM runs WHERE id = ?", (run_id,)).fetchone() == (RunState.FAILED,):
                return False
            state = self.moved(RUN, "runs", "state", run_id, Event.VERIFICATION_FAILED)
            self.conn.execute("UPDATE runs SET state = ?, message = ? WHERE id = ?", (state, message, run_id))
            repo = self.conn.execute("SELECT repository_id FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
            self._append_event("run failed", state, repository=self._repo_key(repo), operator=operator,
                               detail={"run_id": run_id, "event": Event.VERIFICATION_FAILED, "message": message})
        return True

    def accept_run(self, run_id: int, reason: str, operator: str | None = None) -> None:
        """The operator accepts a run that only a site rule held back (a shrunk backup that was expected);
        its event "run accepted" by `operator` (default: whoever is logged in) is written with it."""
        with self.transaction():
            state = self.moved(RUN, "runs", "state", run_id, Event.ACCEPTED)
            self.conn.execute("UPDATE runs SET state = ?, acknowledged = ?, message = NULL WHERE id = ?",
                              (state, reason, run_id))
            self._append_event("run accepted", "ok", repository=self._run_key(run_id), operator=operator,
                               detail={"run_id": run_id, "reason": reason})

    def acknowledged(self, run_id: int) -> str | None:
        row = self.conn.execute("SELECT acknowledged FROM runs WHERE id = ?", (run_id,)).fetchone()
        return row[0] if row else None

    # -------------------------------------------------------------- restores

    def start_restore(self, run_id: int, target: str, *, operator: str, at: datetime | None = None,
                      lock: str | None = None, parts: tuple[str, ...] | list[str] = ()) -> int:
        """A restore begins; `parts`: only these of the run (paths, tables), kept as a JSON list."""
        cur = self.conn.execute("INSERT INTO restores(run_id, target, started_at, outcome, operator, lock, parts)"
                                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (run_id, target, to_db(at or utcnow()), RestoreOutcome.RUNNING, operator, lock,
                                 json.dumps(list(parts)) if parts else None))
        return cur.lastrowid

    def finish_restore(self, restore_id: int, outcome: str, message: str | None = None, *,
                       database: str | None = None, live: bool = False, operator: str | None = None) -> None:
        """A running restore ends with `outcome`, and its event "restore" by `operator` (default: whoever is
        logged in) is written with it; `database` and `live` are what the plan restored, for that event."""
        when = utcnow()
        with self.transaction():
            outcome = self.moved(RESTORE, "restores", "outcome", restore_id, outcome)
            self.conn.execute("UPDATE restores SET outcome = ?, ended_at = ?, message = ? WHERE id = ?",
                              (outcome, to_db(when), message, restore_id))
            run_id, target, parts = self.conn.execute("SELECT run_id, target, parts FROM restores WHERE id = ?",
                                                      (restore_id,)).fetchone()
            detail = {"run_id": run_id, "target": target, "database": database, "live": live, "message": message}
            if parts:  # a whole run's event stays as it always was
                detail["parts"] = json.loads(parts)
            self._append_event("restore", outcome, repository=self._run_key(run_id), operator=operator, at=when,
                               detail=detail)

    def restores(self, run_id: int) -> list[Restore]:
        rows = self.conn.execute("SELECT id, run_id, target, started_at, ended_at, outcome, operator, message, parts"
                                 " FROM restores WHERE run_id = ? ORDER BY id DESC", (run_id,))
        return [Restore(r[0], r[1], r[2], from_db(r[3]), from_db(r[4]), r[5], r[6], r[7],
                        tuple(json.loads(r[8])) if r[8] else ()) for r in rows]


def _verification(row) -> Verification:
    return Verification(row[0], row[1], row[2], from_db(row[3]), from_db(row[4]), row[5],
                        json.loads(row[6]) if row[6] else [], row[7], row[8], row[9])
