"""The catalog's outbox of mail (a part of Catalog): what records/notify.py queues and sends. A flush
claims the mail it sends by marking it with the flush's start, so two flushes never send one mail twice."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from dse_tui.core.common.timeutil import to_db, utcnow


class OutboxMixin:
    """Needs `self.conn` (sqlite3 connection in autocommit) and `self.transaction`."""

    conn: sqlite3.Connection

    def queue_mail(self, kind: str, subject: str, body: str, *, repository: str | None = None,
                   key: str | None = None) -> bool:
        """False when a mail of the same `key` was queued before (sent or not): it is not queued again."""
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO outbox(created_at, kind, repository, key, subject, body) VALUES (?, ?, ?, ?, ?, ?)",
            (to_db(utcnow()), kind, repository, key, subject, body))
        return cur.rowcount == 1

    def claim_mail(self, claim: datetime, max_attempts: int, free_before: datetime) -> list[tuple[int, str, str]]:
        """(id, subject, body) of the unsent mail tried fewer than `max_attempts` times and claimed by no
        flush since `free_before`, now claimed as `claim`; in one write transaction."""
        with self.transaction():
            rows = self.conn.execute(
                "SELECT id, subject, body FROM outbox WHERE sent_at IS NULL AND attempts < ? AND "
                "(claimed_at IS NULL OR claimed_at < ?) ORDER BY id", (max_attempts, to_db(free_before))).fetchall()
            self.conn.executemany("UPDATE outbox SET claimed_at = ? WHERE id = ?", [(to_db(claim), r[0]) for r in rows])
        return rows

    def mail_sent(self, mail_id: int) -> None:
        self.conn.execute("UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
                          (to_db(utcnow()), mail_id))

    def mail_refused(self, mail_id: int, error: str) -> None:
        """One mail refused: its error on it, free for the next flush."""
        self.conn.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ?, claimed_at = NULL WHERE id = ?",
                          (error, mail_id))

    def claimed_mail_waiting(self, claim: datetime) -> int:
        return self.conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND claimed_at = ?",
                                 (to_db(claim),)).fetchone()[0]

    def claimed_mail_failed(self, claim: datetime, error: str) -> None:
        """The mail server could not be used: every mail of `claim` not sent gets `error` and is free again."""
        self.conn.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ?, claimed_at = NULL "
                          "WHERE sent_at IS NULL AND claimed_at = ?", (error, to_db(claim)))

    def release_mail(self, claim: datetime) -> None:
        """What `claim` holds and did not send is free for the next flush."""
        self.conn.execute("UPDATE outbox SET claimed_at = NULL WHERE sent_at IS NULL AND claimed_at = ?",
                          (to_db(claim),))
