"""The catalog: an embedded SQLite database (WAL) shared by the console and cron runs."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sqlite3
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator

from dse_tui.core.catalog.checks import ChecksMixin
from dse_tui.core.catalog.media import MediaMixin
from dse_tui.core.catalog.sessions import SessionsMixin
from dse_tui.core.catalog.steps import StepsMixin
from dse_tui.core.catalog.lifecycle import ERASING
from dse_tui.core.catalog.migrations import MIGRATIONS
from dse_tui.core.common.timeutil import from_db, to_db, utcnow

BUSY_TIMEOUT_MS = 10_000
GENESIS_HASH = "0" * 64


class CatalogError(Exception):
    """The catalog cannot be opened or used; the message says which file and what to do."""


@dataclass(frozen=True)
class Run:
    id: int
    repository: str
    started_at: datetime
    ended_at: datetime | None
    state: str
    trigger: str
    operator: str | None
    size: int | None
    sha256: str | None
    artifact: str | None
    manifest: str | None
    message: str | None
    key_ids: str | None = None  # the age keys its artifact is encrypted to, space-separated; None: plaintext

    @property
    def encrypted(self) -> bool:
        return bool(self.key_ids)


@dataclass(frozen=True)
class LastStatus:
    """What the catalog knows of one repository: its last attempt, last good run and flags."""

    repository: str
    last_attempt: Run | None
    last_good: Run | None
    copies: int  # verified copies of the last good run
    manual_required_since: datetime | None
    manual_required_reason: str | None


_RUN_COLUMNS = ("id, repository_id, started_at, ended_at, state, trigger, operator, size, sha256, artifact, manifest, "
                "message, key_ids")


def current_operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers): still record something true
        return f"uid:{os.getuid()}"


class Catalog(ChecksMixin, SessionsMixin, MediaMixin, StepsMixin):
    """One connection to the catalog. Not shared between threads: each worker opens its own."""

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False, durable: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        try:
            if not readonly:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # Quoted: a '#' or '?' in a folder name must not end the path part of the URI.
            quoted = urllib.parse.quote(str(self.path.absolute()))
            uri = f"file:{quoted}?mode=ro" if readonly else f"file:{quoted}"
            self.db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                                      isolation_level=None, check_same_thread=False)
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if readonly:
                self._probe_readonly(quoted)
            self.db.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                # WAL lets the console read while a cron run writes; NORMAL is durable at checkpoints
                # and safe against corruption, which is what a catalog of records needs.
                self._retry_busy(self._set_wal)
                # `durable`: each commit reaches the disk (a checklist session's ticks survive a power cut).
                self.db.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
                self._retry_busy(self._migrate)
        except (sqlite3.Error, OSError) as exc:
            raise CatalogError(f"cannot open the catalog {self.path}: {exc}") from None
        self._repo_ids: dict[str, int] = {}

    def _set_wal(self) -> None:
        if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.db.execute("PRAGMA journal_mode = WAL")

    def _retry_busy(self, step) -> None:
        """Switching to WAL or migrating while another process opens the same new catalog can be refused
        at once (SQLite does not call the busy handler there): try again until the busy timeout."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                return step()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _probe_readonly(self, quoted: str) -> None:
        """A WAL database read by a user who may not create its -shm file fails on the first query.
        Then read it as immutable: the state at its last checkpoint, which is what such a user can see."""
        try:
            self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            self.db.close()
            self.db = sqlite3.connect(f"file:{quoted}?mode=ro&immutable=1", uri=True, isolation_level=None,
                                      check_same_thread=False)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -------------------------------------------------------------- schema

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        if self.schema_version >= len(MIGRATIONS):
            if self.schema_version > len(MIGRATIONS):
                raise CatalogError(
                    f"the catalog {self.path} has schema version {self.schema_version}, newer than this "
                    f"dse-tui knows ({len(MIGRATIONS)}): upgrade dse-tui")
            return
        # IMMEDIATE takes the write lock first, so two processes never apply the same step twice.
        with self.transaction():
            for version in range(self.schema_version, len(MIGRATIONS)):
                for statement in _split_sql(MIGRATIONS[version]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {version + 1}")

    def data_version(self) -> int:
        """Changes whenever another connection commits: a cheap 'has anything changed?' probe."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    class _Tx:
        def __init__(self, db: sqlite3.Connection):
            self.db = db

        def __enter__(self):
            self.db.execute("BEGIN IMMEDIATE")
            return self.db

        def __exit__(self, exc_type, *rest):
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")

    def transaction(self) -> _Tx:
        return Catalog._Tx(self.db)

    # -------------------------------------------------------------- repositories

    def repository_id(self, key: str) -> int:
        if key not in self._repo_ids:
            row = self.db.execute("SELECT id FROM repositories WHERE key = ?", (key,)).fetchone()
            if row is None and self.readonly:
                return -1  # never recorded: nothing in the catalog is about it
            if row is None:  # first seen: recorded
                self.db.execute("INSERT OR IGNORE INTO repositories(key) VALUES (?)", (key,))
                row = self.db.execute("SELECT id FROM repositories WHERE key = ?", (key,)).fetchone()
            self._repo_ids[key] = row[0]
        return self._repo_ids[key]

    def ensure_repositories(self, keys: Iterable[str]) -> None:
        with self.transaction():
            self.db.executemany("INSERT OR IGNORE INTO repositories(key) VALUES (?)", [(k,) for k in keys])

    def set_manual_required(self, key: str, reason: str | None, at: datetime | None = None) -> None:
        """Flag (reason given) or clear (None) the repository's need of a manual backup."""
        repo = self.repository_id(key)
        when = to_db(at or utcnow()) if reason else None
        # A second failure keeps the first one's time: a run that started after it still clears the state.
        self.db.execute(
            "UPDATE repositories SET manual_required_since = CASE WHEN ? IS NULL THEN NULL"
            " ELSE coalesce(manual_required_since, ?) END, manual_required_reason = ? WHERE id = ?",
            (when, when, reason, repo))

    # -------------------------------------------------------------- runs

    def start_run(self, key: str, *, trigger: str = "auto", operator: str | None = None,
                  at: datetime | None = None, session_id: int | None = None) -> int:
        repo = self.repository_id(key)
        cur = self.db.execute(
            "INSERT INTO runs(repository_id, started_at, state, trigger, operator, session_id)"
            " VALUES (?, ?, 'running', ?, ?, ?)",
            (repo, to_db(at or utcnow()), trigger, operator or current_operator(), session_id))
        return cur.lastrowid

    def moved(self, machine, table: str, column: str, record_id, event: str, key: str = "id") -> str:
        """The state `event` takes record `record_id` of `table` to, as the life cycle allows
        (lifecycle.Refused otherwise): every state change of the catalog asks here first."""
        from dse_tui.core.catalog.lifecycle import Refused

        row = self.db.execute(f"SELECT {column} FROM {table} WHERE {key} = ?", (record_id,)).fetchone()
        if row is None:
            raise Refused(f"there is no {machine.record} {record_id}")
        return machine.next(row[0], event)

    def finish_run(self, run_id: int, state: str, *, size: int | None = None, sha256: str | None = None,
                   artifact: str | None = None, manifest: str | None = None, message: str | None = None,
                   log: str | None = None, at: datetime | None = None, key_ids: list[str] | None = None,
                   event: str | None = None) -> None:
        """A running run ends: `state` (good, failed, cancelled), or the state `event` leads to."""
        from dse_tui.core.catalog.lifecycle import RUN

        state = self.moved(RUN, "runs", "state", run_id, event or state)
        self.db.execute(
            "UPDATE runs SET state = ?, ended_at = ?, size = ?, sha256 = ?, artifact = ?, manifest = ?, message = ?,"
            " log = ?, key_ids = ? WHERE id = ?",
            (state, to_db(at or utcnow()), size, sha256, artifact, manifest, message, log,
             " ".join(key_ids) if key_ids else None, run_id))

    def interrupt_stale_runs(self, key: str) -> list[int]:
        """Runs of `key` still marked running: their process died (the caller holds the repository's lock,
        so nobody else is running it). They become failed, never good."""
        repo = self.repository_id(key)
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM runs WHERE repository_id = ? AND state = 'running'", (repo,))]
        message = "interrupted: the process stopped before the run finished"
        for run_id in ids:
            with self.transaction():
                self.finish_run(run_id, "failed", message=message, event="interrupted")
                self._append_event("run ended", "interrupted", repository=key,
                                   detail={"run_id": run_id, "message": message})
        return ids

    def prunable_runs(self, key: str) -> list[Run]:
        """Good runs whose artifacts have not been pruned."""
        rows = self.db.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE repository_id = ? AND state = 'good' AND pruned_at IS NULL"
            " AND artifact IS NOT NULL ORDER BY started_at DESC", (self.repository_id(key),))
        return [self._run(r, key) for r in rows]

    def verified_copies(self, run_ids: list[int]) -> dict[int, int]:
        if not run_ids:
            return {}
        marks = ",".join("?" * len(run_ids))
        # Distinct devices, as the procedure asks: two copies on one destination count once.
        rows = self.db.execute(f"SELECT run_id, count(DISTINCT coalesce(device, destination)) FROM copies WHERE state = 'verified'"
                               f" AND {ON_LIVE_MEDIA} AND run_id IN ({marks}) GROUP BY run_id", run_ids)
        return dict(rows.fetchall())

    def mark_pruned(self, run_id: int, at: datetime | None = None) -> None:
        self.db.execute("UPDATE runs SET pruned_at = ? WHERE id = ?", (to_db(at or utcnow()), run_id))

    def run_log(self, run_id: int) -> str | None:
        row = self.db.execute("SELECT log FROM runs WHERE id = ?", (run_id,)).fetchone()
        return row[0] if row else None

    def run(self, run_id: int) -> Run | None:
        row = self.db.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        return self._run(row) if row else None

    def recent_runs(self, key: str, limit: int = 20) -> list[Run]:
        rows = self.db.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE repository_id = ? ORDER BY started_at DESC LIMIT ?",
            (self.repository_id(key), limit))
        return [self._run(r) for r in rows]

    def runs_since(self, key: str, since: datetime) -> list[Run]:
        rows = self.db.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE repository_id = ? AND started_at >= ? ORDER BY started_at",
            (self.repository_id(key), to_db(since)))
        return [self._run(r) for r in rows]

    def first_run_at(self, key: str) -> datetime | None:
        row = self.db.execute("SELECT min(started_at) FROM runs WHERE repository_id = ?",
                              (self.repository_id(key),)).fetchone()
        return from_db(row[0])

    def good_sizes(self, key: str, limit: int = 30) -> list[int]:
        """Sizes of the last `limit` good runs, oldest first."""
        rows = self.db.execute(
            "SELECT size FROM runs WHERE repository_id = ? AND state = 'good' ORDER BY started_at DESC LIMIT ?",
            (self.repository_id(key), limit)).fetchall()
        return [r[0] or 0 for r in reversed(rows)]

    def last_status(self) -> dict[str, LastStatus]:
        """The last attempt, last good run and copy count of every repository, in one indexed query."""
        rows = self.db.execute(LAST_STATUS_SQL).fetchall()
        width = len(_RUN_COLUMNS.split(","))
        out = {}
        for row in rows:
            attempt, good = row[3:3 + width], row[3 + width:3 + 2 * width]
            out[row[0]] = LastStatus(
                repository=row[0],
                last_attempt=self._run(attempt, row[0]) if attempt[0] is not None else None,
                last_good=self._run(good, row[0]) if good[0] is not None else None,
                copies=row[-1],
                manual_required_since=from_db(row[1]),
                manual_required_reason=row[2],
            )
        return out

    def _run(self, row, key: str | None = None) -> Run:
        if key is None:
            key = self._repo_key(row[1])
        return Run(row[0], key, from_db(row[2]), from_db(row[3]), row[4], row[5], row[6], row[7], row[8],
                   row[9], row[10], row[11], row[12])

    def _repo_key(self, repo_id: int) -> str:
        for key, value in self._repo_ids.items():
            if value == repo_id:
                return key
        key = self.db.execute("SELECT key FROM repositories WHERE id = ?", (repo_id,)).fetchone()[0]
        self._repo_ids[key] = repo_id
        return key

    # -------------------------------------------------------------- events

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
        prev = self.db.execute("SELECT hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
        prev_hash = prev[0] if prev else GENESIS_HASH
        fields = {
            "at": to_db(at or utcnow()), "operator": operator or current_operator(),
            "repository": repository, "action": action, "outcome": outcome,
            "detail": json.dumps(detail, sort_keys=True) if detail is not None else None,
        }
        digest = event_hash(prev_hash, fields)
        cur = self.db.execute(
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
        cur = self.db.execute(
            "SELECT id, at, operator, repository, action, outcome, detail FROM events"
            f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY id DESC LIMIT ?", (*args, limit))
        names = [d[0] for d in cur.description]
        for row in cur:
            yield dict(zip(names, row))


def open_catalog(profile, *, readonly: bool = False) -> Catalog:
    """The profile's catalog, knowing its repositories. `readonly` (for a user who only reads, such as
    monitoring) opens an existing catalog without writing to it."""
    if readonly and profile.catalog_path.exists():
        return Catalog(profile.catalog_path, readonly=True)
    catalog = Catalog(profile.catalog_path)
    try:
        catalog.ensure_repositories(r.id for r in profile.repositories)
    except sqlite3.Error as exc:
        catalog.close()
        raise CatalogError(f"cannot use the catalog {profile.catalog_path}: {exc}") from None
    return catalog


def event_hash(prev_hash: str, fields: dict) -> str:
    canonical = json.dumps({"prev": prev_hash, **fields}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# A copy counts while every medium it is on is still in service (a retired disc holds nothing one can use).
# A copy counts while none of its media was retired or erased (made blank).
_GONE_MEDIA = "(" + ", ".join(f"'{state}'" for state in ERASING) + ")"
ON_LIVE_MEDIA = ("NOT EXISTS (SELECT 1 FROM copy_media cm JOIN media m ON m.id = cm.medium_id"
                 f" WHERE cm.copy_id = copies.id AND m.state IN {_GONE_MEDIA})")


def _prefixed(alias: str) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in _RUN_COLUMNS.split(","))


# The last attempt and last good run of every repository: two index seeks per repository,
# whatever the number of runs (bench/catalog_scale.py measures it with a million).
LAST_STATUS_SQL = f"""SELECT r.key, r.manual_required_since, r.manual_required_reason,
       {_prefixed('a')}, {_prefixed('g')},
       (SELECT count(DISTINCT coalesce(c.device, c.destination)) FROM copies c WHERE c.run_id = g.id AND c.state = 'verified'
        AND NOT EXISTS (SELECT 1 FROM copy_media cm JOIN media m ON m.id = cm.medium_id
                        WHERE cm.copy_id = c.id AND m.state IN {_GONE_MEDIA}))
FROM (
    SELECT r.*,
        (SELECT id FROM runs WHERE repository_id = r.id
            ORDER BY started_at DESC LIMIT 1) AS last_attempt_id,
        (SELECT id FROM runs WHERE repository_id = r.id AND state = 'good'
            ORDER BY started_at DESC LIMIT 1) AS last_good_id
    FROM repositories r
) r
LEFT JOIN runs a ON a.id = r.last_attempt_id
LEFT JOIN runs g ON g.id = r.last_good_id
"""


def _split_sql(script: str) -> list[str]:
    """Statements of a migration; executescript() would commit our transaction behind our back."""
    statements, current = [], ""
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        current += line + "\n"
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [s for s in statements if s]
