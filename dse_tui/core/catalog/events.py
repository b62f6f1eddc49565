"""The catalog's event log (a part of Catalog): each event carries the hash of the one before it."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sqlite3
from datetime import datetime
from typing import Iterator

from dse_tui.core.common.timeutil import to_db, utcnow

GENESIS_HASH = "0" * 64
EVENT_COLUMNS = ("id", "at", "operator", "repository", "action", "outcome", "detail", "prev_hash", "hash")


def current_operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers): still record something true
        return f"uid:{os.getuid()}"


def event_hash(prev_hash: str, fields: dict) -> str:
    canonical = json.dumps({"prev": prev_hash, **fields}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class EventsMixin:
    """Needs `self.conn` (sqlite3 connection in autocommit) and `self.transaction`."""

    conn: sqlite3.Connection

    def record_event(self, action: str, outcome: str, *, repository: str | None = None,
                     operator: str | None = None, detail: dict | None = None,
                     at: datetime | None = None) -> int:
        """Append an event to the hash-chained log (each event carries the hash of the one before)."""
        with self.transaction():
            return self._append_event(action, outcome, repository=repository, operator=operator, detail=detail,
                                      at=at)

    def _append_event(self, action: str, outcome: str, *, repository: str | None = None,
                      operator: str | None = None, detail: dict | None = None, at: datetime | None = None) -> int:
        """record_event inside the caller's transaction: the event and the change it records commit together."""
        prev = self.conn.execute("SELECT hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
        prev_hash = prev[0] if prev else GENESIS_HASH
        fields = {
            "at": to_db(at or utcnow()), "operator": operator or current_operator(),
            "repository": repository, "action": action, "outcome": outcome,
            "detail": json.dumps(detail, sort_keys=True) if detail is not None else None,
        }
        digest = event_hash(prev_hash, fields)
        cur = self.conn.execute(
            "INSERT INTO events(at, operator, repository, action, outcome, detail, prev_hash, hash)"
            " VALUES (:at, :operator, :repository, :action, :outcome, :detail, :prev, :hash)",
            {**fields, "prev": prev_hash, "hash": digest})
        return cur.lastrowid

    def events(self, limit: int = 100, *, repository: str | None = None, action: str | None = None,
               since: datetime | None = None, until: datetime | None = None) -> Iterator[dict]:
        """Newest first; filtered in SQL, so a repository's history is whole however busy the site."""
        where, args = [], []
        for clause, value in (("repository = ?", repository), ("action = ?", action),
                              ("at >= ?", to_db(since) if since else None), ("at < ?", to_db(until) if until else None)):
            if value is not None:
                where.append(clause)
                args.append(value)
        cur = self.conn.execute(
            "SELECT id, at, operator, repository, action, outcome, detail FROM events"
            f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY id DESC LIMIT ?", (*args, limit))
        names = [d[0] for d in cur.description]
        for row in cur:
            yield dict(zip(names, row))

    def event_chain(self, after_id: int = 0) -> Iterator[dict]:
        """The events after `after_id`, oldest first, with their hashes: the chain as records/audit.py checks it."""
        cur = self.conn.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE id > ? ORDER BY id", (after_id,))
        for row in cur:
            yield dict(zip(EVENT_COLUMNS, row))

    def last_event_id(self) -> int:
        """0 while the log is empty."""
        return self.conn.execute("SELECT max(id) FROM events").fetchone()[0] or 0
