"""The catalog copied and put back together (a part of Catalog): its online backup (the `catalog` driver),
and the records `dse-tui catalog rebuild` adds from the manifests found on copies (records/rebuild.py).

A recovered record keeps the id it had, which the copies' folder names and manifests carry (`…-r12`), and
its own event says it was recovered and from where: the log tells a recovered run from one that was run."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Callable

from dse_tui.core.catalog.events import EVENT_COLUMNS, GENESIS_HASH, event_hash
from dse_tui.core.catalog.lifecycle import RUN, CopyState, RunState
from dse_tui.core.common.timeutil import to_db, utcnow

RUN_RECOVERED = "run recovered"
COPY_RECOVERED = "copy recovered"
MEDIUM_RECOVERED = "medium recovered"
CATALOG_REBUILT = "catalog rebuilt"
BACKUP_PAGES = 1024  # pages per step of the online backup: writers get the lock between steps


class ChainMismatch(Exception):
    """Events offered to the log do not follow its last one (or one another)."""


class RecoveryMixin:
    conn: sqlite3.Connection

    # ------------------------------------------------------------------ the catalog's own backup

    def backup_to(self, target: Path, progress: Callable[[], None] | None = None) -> None:
        """A consistent copy of this catalog into the new file `target`, through SQLite's online backup
        (a plain copy of a live WAL database can miss or tear what is being committed)."""
        dst = sqlite3.connect(target)
        try:
            self.conn.backup(dst, pages=BACKUP_PAGES, progress=(lambda *_: progress()) if progress else None)
        finally:
            dst.close()

    def integrity(self) -> list[str]:
        """PRAGMA integrity_check: ['ok'] when sound."""
        return [r[0] for r in self.conn.execute("PRAGMA integrity_check")]

    def table_counts(self) -> dict[str, int]:
        listing = ("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                   " AND table_type = 'BASE TABLE' ORDER BY 1" if self.url else
                   "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        names = [n for (n,) in self.conn.execute(listing)]
        return {name: self.conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}

    def holds_records(self) -> bool:
        """Whether anything was ever recorded: runs, events or media (a fresh catalog has its schema only)."""
        return any(self.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
                   for table in ("runs", "events", "media"))

    def checkpoint(self) -> None:
        """The WAL folded into the main file, so the file alone holds the whole catalog."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    def head(self) -> tuple[int, str | None]:
        """(id, hash) of the log's last event; (0, None) while it is empty."""
        row = self.conn.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, None)

    def run_ids(self) -> list[int]:
        return [r[0] for r in self.conn.execute("SELECT id FROM runs ORDER BY id")]

    # ------------------------------------------------------------------ records added back

    def append_recovered_events(self, events: list[dict]) -> int:
        """Events of the log kept elsewhere (a run's audit-log part), appended as they were written: same
        ids, same hashes. Each must follow the one before (ChainMismatch otherwise), so the chain that
        `audit verify` checks stays one chain. Returns how many were added."""
        if not events:
            return 0
        with self.transaction():
            last_id, last_hash = self.head()
            prev_id, prev_hash = last_id, last_hash or GENESIS_HASH
            for e in events:
                fields = {k: e[k] for k in ("at", "operator", "repository", "action", "outcome", "detail")}
                if e["id"] != prev_id + 1 or e["prev_hash"] != prev_hash or event_hash(prev_hash, fields) != e["hash"]:
                    raise ChainMismatch(f"event {e['id']} does not follow event {prev_id} of the log")
                self.conn.execute(f"INSERT INTO events({', '.join(EVENT_COLUMNS)}) VALUES "
                                  f"({', '.join('?' * len(EVENT_COLUMNS))})", tuple(e[k] for k in EVENT_COLUMNS))
                prev_id, prev_hash = e["id"], e["hash"]
        return len(events)

    def recover_run(self, run_id: int, key: str, *, started_at: datetime, ended_at: datetime | None,
                    trigger: str, operator: str | None, size: int | None, sha256: str | None,
                    key_ids: str | None, found_at: str, by: str | None = None, host: str | None = None) -> None:
        """A good run known only from a copy's manifest, added with its own id and the host that made it.
        Its folder is not on this machine (it is marked pruned here: what is left of it are its copies)."""
        repo = self.repository_id(key)
        with self.transaction():
            self.conn.execute(
                "INSERT INTO runs(id, repository_id, started_at, ended_at, state, trigger, operator, size, sha256,"
                " key_ids, message, pruned_at, host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, repo, to_db(started_at), to_db(ended_at) if ended_at else None, RunState.GOOD, trigger,
                 operator, size, sha256, key_ids, f"recovered from {found_at} by catalog rebuild", to_db(utcnow()),
                 host))
            self._append_event(RUN_RECOVERED, RunState.GOOD, repository=key, operator=by,
                               detail={"run_id": run_id, "size": size, "sha256": sha256, "from": found_at})

    def complete_recovered_run(self, run_id: int, *, ended_at: datetime | None, size: int | None,
                               sha256: str | None, key_ids: str | None, found_at: str, by: str | None = None) -> None:
        """A run the restored catalog holds as running (the catalog backup's own run: the copy was taken
        before it ended) ends as good, as its manifest on a copy shows it did."""
        with self.transaction():
            state = self.moved(RUN, "runs", "state", run_id, RunState.GOOD)
            self.conn.execute(
                "UPDATE runs SET state = ?, ended_at = coalesce(?, ended_at), size = ?, sha256 = ?,"
                " key_ids = coalesce(?, key_ids), message = ? WHERE id = ?",
                (state, to_db(ended_at) if ended_at else None, size, sha256, key_ids,
                 f"completed from {found_at} by catalog rebuild", run_id))
            self._append_event(RUN_RECOVERED, state, repository=self._run_key(run_id), operator=by,
                               detail={"run_id": run_id, "size": size, "sha256": sha256, "from": found_at})

    def recover_medium(self, code: str, kind: str, *, destination: str | None, volume: str | None,
                       created_at: datetime | None, by: str | None = None) -> int:
        """A medium the log says was created after the catalog backup, back in the inventory (in use: it
        held a copy), so its code is never given again."""
        with self.transaction():
            medium_id = self.create_medium(code, kind, destination=destination, volume=volume)
            if created_at:
                self.conn.execute("UPDATE media SET created_at = ? WHERE id = ?", (to_db(created_at), medium_id))
            self._append_event(MEDIUM_RECOVERED, "ok", operator=by,
                               detail={"code": code, "kind": kind, "volume": volume, "destination": destination})
        return medium_id

    def recover_copy(self, run_id: int, destination: str, path: str, *, size: int | None, sha256: str | None,
                     device: str | None, key_ids: str | None, copied_at: datetime | None,
                     media: list[tuple[int, int, int, str | None]] = (), by: str | None = None) -> int:
        """A verified copy found where no record of it was, added with its event and its media's links
        (medium id, disc n, of total, where: a disc's image, a disk's mount point)."""
        when = to_db(copied_at or utcnow())
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO copies(run_id, destination, device, path, size, sha256, copied_at, verified_at, state,"
                " key_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, destination, device, path, size, sha256, when, to_db(utcnow()), CopyState.VERIFIED,
                 key_ids))
            copy_id = cur.lastrowid
            for medium_id, seq, total, where in media:
                self.link_copy_medium(copy_id, medium_id, seq, total, path=where)
            self._append_event(COPY_RECOVERED, CopyState.VERIFIED, repository=self._run_key(run_id), operator=by,
                               detail={"run_id": run_id, "destination": destination, "copy_id": copy_id,
                                       "path": path, "media": [self.medium(m[0]).code for m in media]})
        return copy_id
