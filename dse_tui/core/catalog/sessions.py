"""The catalog's records of manual-backup checklist sessions (a part of Catalog).

A session keeps a copy of the steps it walks, so its record reads the same after the checklist file is
edited. Each step's state is one row, written the moment the operator changes it."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from dse_tui.core.catalog.lifecycle import SESSION, Refused, SessionState, StepOutcome
from dse_tui.core.common.timeutil import from_db, to_db, utcnow


class SessionAlreadyOpen(Exception):
    """The repository already has an open session; `existing` is it."""

    def __init__(self, existing: SessionRow):
        self.existing = existing
        super().__init__(
            f"a manual-backup session for {existing.repository} is already open (session {existing.id}, "
            f"started by {existing.operator} at {existing.started_at:%Y-%m-%d %H:%M} UTC): resume it, or "
            "abandon it with a reason, before starting another")


@dataclass(frozen=True)
class StepRow:
    step_id: str
    outcome: str = StepOutcome.PENDING
    at: datetime | None = None  # when the outcome was last set (ticked, undone, skipped); `operator` by whom
    evidence: str | None = None
    note: str | None = None
    reason: str | None = None  # why it was skipped
    output: str | None = None  # the last run of its command: stdout and stderr as they came
    exit_status: int | None = None
    operator: str | None = None
    lock: str | None = None  # while its command runs: the mark of the lock its process holds (catalog/steps.py)


@dataclass(frozen=True)
class SessionRow:
    id: int
    repository: str
    checklist: str
    title: dict
    operator: str
    started_at: datetime
    ended_at: datetime | None
    state: str  # open | finished | abandoned
    reason: str | None
    steps: list[dict]  # the checklist's steps as they were when the session started, commands filled in
    current: str | None
    workdir: str | None
    step_rows: dict[str, StepRow] = field(default_factory=dict)


_SESSION_COLUMNS = ("s.id, r.key, s.checklist, s.title, s.operator, s.started_at, s.ended_at, s.state, s.reason,"
                    " s.steps, s.current, s.workdir")
_STEP_COLUMNS = ("step_id", "outcome", "at", "evidence", "note", "reason", "output", "exit_status", "operator",
                 "lock")


class SessionsMixin:
    conn: sqlite3.Connection

    def create_session(self, key: str, *, checklist: str, title: dict, steps_for, operator: str,
                       workdir_for, at: datetime | None = None) -> int:
        """A new open session; `steps_for(id)` and `workdir_for(id)` give what depends on its number.
        SessionAlreadyOpen when the repository has one."""
        repo = self.repository_id(key)
        try:
            with self.transaction():
                cur = self.conn.execute(
                    "INSERT INTO sessions(repository_id, checklist, title, operator, started_at, state)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (repo, checklist, json.dumps(title), operator, to_db(at or utcnow()), SessionState.OPEN))
                sid = cur.lastrowid
                steps = steps_for(sid)
                self.conn.execute("UPDATE sessions SET steps = ?, workdir = ?, current = ? WHERE id = ?",
                                  (json.dumps(steps), str(workdir_for(sid)), steps[0]["id"] if steps else None, sid))
        except sqlite3.IntegrityError:
            existing = self.open_session(key)
            if existing is None:
                raise
            raise SessionAlreadyOpen(existing) from None
        return sid

    def open_session(self, key: str) -> SessionRow | None:
        row = self.conn.execute(
            f"SELECT {_SESSION_COLUMNS} FROM sessions s JOIN repositories r ON r.id = s.repository_id"
            " WHERE r.key = ? AND s.state = 'open'", (key,)).fetchone()
        return self._session(row) if row else None

    def open_sessions(self) -> list[SessionRow]:
        rows = self.conn.execute(
            f"SELECT {_SESSION_COLUMNS} FROM sessions s JOIN repositories r ON r.id = s.repository_id"
            " WHERE s.state = 'open' ORDER BY s.started_at").fetchall()
        return [self._session(r) for r in rows]

    def session(self, session_id: int) -> SessionRow | None:
        row = self.conn.execute(
            f"SELECT {_SESSION_COLUMNS} FROM sessions s JOIN repositories r ON r.id = s.repository_id"
            " WHERE s.id = ?", (session_id,)).fetchone()
        return self._session(row) if row else None

    def sessions(self, key: str | None = None, state: str | None = None, limit: int = 1000) -> list[SessionRow]:
        where, args = [], []
        if key:
            where.append("r.key = ?")
            args.append(key)
        if state:
            where.append("s.state = ?")
            args.append(state)
        sql = (f"SELECT {_SESSION_COLUMNS} FROM sessions s JOIN repositories r ON r.id = s.repository_id"
               f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY s.started_at DESC, s.id DESC LIMIT ?")
        return [self._session(r, with_steps=False) for r in self.conn.execute(sql, (*args, limit))]

    def update_step(self, session_id: int, step_id: str, **columns) -> StepRow | None:
        """Set only these columns of the step (another console's changes to the others stay), and only while
        the session is open; the step as it is now, or None when the session is no longer open."""
        unknown = set(columns) - set(_STEP_COLUMNS)
        assert not unknown, unknown
        values = {k: (to_db(v) if k == "at" else v) for k, v in columns.items()}
        with self.transaction():
            if not self.conn.execute("SELECT 1 FROM sessions WHERE id = ? AND state = ?",
                                     (session_id, SessionState.OPEN)).fetchone():
                return None
            self.conn.execute("INSERT OR IGNORE INTO session_steps(session_id, step_id, outcome, at)"
                              " VALUES (?, ?, ?, ?)", (session_id, step_id, StepOutcome.PENDING, to_db(utcnow())))
            if values:
                self.conn.execute(f"UPDATE session_steps SET {', '.join(f'{k} = :{k}' for k in values)}"
                                  " WHERE session_id = :sid AND step_id = :step",
                                  {**values, "sid": session_id, "step": step_id})
        return self.step_row(session_id, step_id)

    def step_row(self, session_id: int, step_id: str) -> StepRow | None:
        row = self.conn.execute(f"SELECT {', '.join(_STEP_COLUMNS)} FROM session_steps WHERE session_id = ? AND "
                                "step_id = ?", (session_id, step_id)).fetchone()
        if row is None:
            return None
        values = dict(zip(_STEP_COLUMNS, row))
        values["at"] = from_db(values["at"])
        return StepRow(**values)

    def set_session_current(self, session_id: int, step_id: str) -> None:
        self.conn.execute("UPDATE sessions SET current = ? WHERE id = ?", (step_id, session_id))

    def end_session(self, session_id: int, state: str, reason: str | None = None,
                    at: datetime | None = None, *, operator: str | None = None, progress: str | None = None) -> bool:
        """The open session becomes `state` (finished, abandoned), and its event "session <state>" by
        `operator` (default: whoever is logged in) is written with it; `progress` ("7/12": its steps dealt
        with) is for that event. False when the session was no longer open (another console ended it)."""
        when = at or utcnow()
        with self.transaction():
            try:
                state = self.moved(SESSION, "sessions", "state", session_id, state)
            except Refused:
                return False
            cur = self.conn.execute("UPDATE sessions SET state = ?, reason = ?, ended_at = ? WHERE id = ?"
                                    " AND state = ?", (state, reason, to_db(when), session_id, SessionState.OPEN))
            if cur.rowcount != 1:
                return False
            key = self.conn.execute("SELECT r.key FROM sessions s JOIN repositories r ON r.id = s.repository_id"
                                    " WHERE s.id = ?", (session_id,)).fetchone()[0]
            self._append_event(f"session {state}", "ok", repository=key, operator=operator, at=when,
                               detail={"session_id": session_id, "steps": progress, "reason": reason})
        return True

    def session_runs(self, session_id: int) -> list:
        rows = self.conn.execute("SELECT id FROM runs WHERE session_id = ? ORDER BY id", (session_id,)).fetchall()
        return [self.run(r[0]) for r in rows]

    def link_run_to_session(self, run_id: int, session_id: int) -> None:
        self.conn.execute("UPDATE runs SET session_id = ? WHERE id = ?", (session_id, run_id))

    def run_session(self, run_id: int) -> int | None:
        row = self.conn.execute("SELECT session_id FROM runs WHERE id = ?", (run_id,)).fetchone()
        return row[0] if row else None

    def _session(self, row, with_steps: bool = True) -> SessionRow:
        steps = {}
        if with_steps:
            for r in self.conn.execute(f"SELECT {', '.join(_STEP_COLUMNS)} FROM session_steps WHERE session_id = ?",
                                       (row[0],)):
                values = dict(zip(_STEP_COLUMNS, r))
                values["at"] = from_db(values["at"])
                steps[values["step_id"]] = StepRow(**values)
        return SessionRow(row[0], row[1], row[2], json.loads(row[3] or "{}"), row[4], from_db(row[5]),
                          from_db(row[6]), row[7], row[8], json.loads(row[9] or "[]"), row[10], row[11], steps)
