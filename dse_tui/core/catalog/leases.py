"""Leases: which host runs a repository now, kept in the catalog itself so that hosts sharing one catalog
(PostgreSQL) never run a repository at once. A file lock protects one machine only; a lease row is seen by
every host. Its holder renews it while the run goes on; one whose time is past is free, and its holder, which
stopped renewing, is presumed dead: its run left "running" is then marked interrupted by whoever looks.

Times are epoch milliseconds of the hosts' clocks (kept by NTP): a lease lasts minutes, far beyond their skew.
Taking and renewing are single statements (an upsert whose update has a condition, an update keyed on the
holder's token), atomic on both backends without a transaction of their own."""

from __future__ import annotations

import time
from dataclasses import dataclass

from dse_tui.core.catalog.lifecycle import Event, Refused, RunState


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Holder:
    repository: str
    host: str
    pid: int
    expires_ms: int

    @property
    def text(self) -> str:
        return f"pid {self.pid} on {self.host}"


class LeasesMixin:
    def take_lease(self, key: str, host: str, pid: int, token: str, seconds: float) -> Holder | None:
        """The lease of `key` for `token` if it is free (never taken, released, or expired): None then;
        else who holds it."""
        now = now_ms()
        rows = self.conn.execute(
            "INSERT INTO leases(repository, host, pid, token, taken_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(repository) DO UPDATE SET host = excluded.host, pid = excluded.pid,"
            " token = excluded.token, taken_ms = excluded.taken_ms, expires_ms = excluded.expires_ms"
            " WHERE leases.expires_ms < ? RETURNING token",
            (key, host, pid, token, now, now + int(seconds * 1000), now)).fetchall()
        if rows and rows[0][0] == token:
            return None
        return self.lease_holder(key) or Holder(key, "?", 0, now)

    def renew_lease(self, key: str, token: str, seconds: float) -> bool:
        """Whether the lease is still ours (and now lasts `seconds` more). False: it expired and another took
        it, or it was broken: the run must stop, another may be running the repository already."""
        now = now_ms()
        # Not once expired: whoever found it so may be marking the run interrupted already.
        cur = self.conn.execute("UPDATE leases SET expires_ms = ? WHERE repository = ? AND token = ?"
                                " AND expires_ms >= ?", (now + int(seconds * 1000), key, token, now))
        return cur.rowcount == 1

    def drop_lease(self, key: str, token: str) -> None:
        self.conn.execute("DELETE FROM leases WHERE repository = ? AND token = ?", (key, token))

    def break_lease(self, holder: Holder) -> None:
        """Free the lease `holder` has, if it still has it: its process is known dead (engine/hosts.py)."""
        self.conn.execute("DELETE FROM leases WHERE repository = ? AND host = ? AND pid = ? AND expires_ms = ?",
                          (holder.repository, holder.host, holder.pid, holder.expires_ms))

    def lease_holder(self, key: str) -> Holder | None:
        """Who holds the lease of `key` now; None when nobody does (free or expired)."""
        row = self.conn.execute("SELECT repository, host, pid, expires_ms FROM leases WHERE repository = ?"
                                " AND expires_ms >= ?", (key, now_ms())).fetchone()
        return Holder(*row) if row else None

    def live_leases(self) -> dict[str, Holder]:
        """Every lease held now, by repository."""
        rows = self.conn.execute("SELECT repository, host, pid, expires_ms FROM leases WHERE expires_ms >= ?",
                                 (now_ms(),))
        return {r[0]: Holder(*r) for r in rows}

    def interrupt_expired_runs(self) -> list[tuple[int, str, str]]:
        """Runs left running by a host whose lease of their repository is gone: that host died (kill -9, a
        power cut) or lost the catalog for longer than the lease. They become failed, interrupted, with
        their event; (run id, repository, host) of each. Runs without a host are from before leases: the
        file lock of their own machine judges those (interrupt_stale_runs)."""
        if self.readonly:
            return []
        rows = self.conn.execute(
            "SELECT r.id, p.key, r.host FROM runs r JOIN repositories p ON p.id = r.repository_id"
            " WHERE r.state = 'running' AND r.host IS NOT NULL AND NOT EXISTS"
            " (SELECT 1 FROM leases l WHERE l.repository = p.key AND l.expires_ms >= ?)", (now_ms(),)).fetchall()
        done = []
        for run_id, key, host in rows:
            message = f"interrupted: the lease of host {host} expired before the run finished"
            try:
                self.finish_run(run_id, RunState.FAILED, message=message, event=Event.INTERRUPTED)
            except Refused:  # another host marked it first
                continue
            done.append((run_id, key, host))
            # Its own verification or copy died with it; their host's step locks are not ours to judge.
            for step in self.running_steps():
                if step.detail.get("run_id") == run_id and step.action in ("verification", "copy"):
                    self._interrupt(step)
        return done
