"""The catalog: an embedded SQLite database (WAL) shared by the console and cron runs.

States are written and compared as the enums of lifecycle.py, passed as parameters. A query that filters on
a good run, a running step, a copy in progress or an open session spells the state in its SQL: SQLite uses
a partial index (migrations.py) only for a WHERE that says what the index's says."""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.parse
from datetime import datetime
from pathlib import Path
from typing import Iterable

from dse_tui.core.catalog.backend import PgConnection, PostgresDialect, SqliteDialect, is_postgresql, redact
from dse_tui.core.catalog.checks import ChecksMixin
from dse_tui.core.catalog.lifecycle import RUN, CopyState, Event, Refused, RunState
from dse_tui.core.catalog.leases import LeasesMixin
from dse_tui.core.catalog.events import GENESIS_HASH, EventsMixin, current_operator, event_hash  # noqa: F401 (imported from here)
from dse_tui.core.catalog.media import ON_LIVE_MEDIA, MediaMixin
from dse_tui.core.catalog.migrations import MIGRATIONS
from dse_tui.core.catalog.outbox import OutboxMixin
from dse_tui.core.catalog.recovery import RecoveryMixin
from dse_tui.core.catalog.runs import (LAST_STATUS_SQL, RUN_COLUMNS, LastStatus, Run, last_status_from_row, prefixed,
                                       run_from_row)
from dse_tui.core.catalog.sessions import SessionsMixin
from dse_tui.core.catalog.steps import StepsMixin
from dse_tui.core.common.timeutil import from_db, to_db, utcnow
from dse_tui.core.texts import Told

CACHE_KIB = 32768
BUSY_TIMEOUT_MS = 10_000


class CatalogError(Told):
    """The catalog cannot be opened or used; the message says which file and what to do."""


class Catalog(ChecksMixin, SessionsMixin, MediaMixin, StepsMixin, EventsMixin, OutboxMixin, RecoveryMixin,
              LeasesMixin):
    """One connection to the catalog. Not shared between threads: each worker opens its own."""

    @staticmethod
    def exists(path: str | os.PathLike) -> bool:
        """Whether there is a catalog at `path` to read: a SQLite file, or any PostgreSQL URL (an unreachable
        server is said when it is opened, not taken for no catalog)."""
        return is_postgresql(path) or Path(path).is_file()

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False, durable: bool = False,
                 passfile: str | os.PathLike | None = None, password_env: str | None = None):
        self.readonly = readonly
        self._repo_ids: dict[str, int] = {}
        if is_postgresql(path):
            self._open_postgresql(str(path), passfile, password_env)
            return
        self.dialect = SqliteDialect()
        self.url = None
        self.path = Path(path)
        try:
            if not readonly:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # Quoted: a '#' or '?' in a folder name must not end the path part of the URI.
            quoted = urllib.parse.quote(str(self.path.absolute()))
            uri = f"file:{quoted}?mode=ro" if readonly else f"file:{quoted}"
            self.conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                                      isolation_level=None, check_same_thread=False)
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if readonly:
                self._probe_readonly(quoted)
            self.conn.execute("PRAGMA foreign_keys = ON")
            # The status of every repository touches a few index and table pages of each (16 MiB at a
            # thousand repositories and a million runs): with SQLite's default 2 MiB the console's every
            # refresh read them all again. Allocated as used, so a small site costs nothing more.
            self.conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            if not readonly:
                # WAL lets the console read while a cron run writes; NORMAL is durable at checkpoints
                # and safe against corruption, which is what a catalog of records needs.
                self._retry_busy(self._set_wal)
                # `durable`: each commit reaches the disk (a checklist session's ticks survive a power cut).
                self.conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
                self._retry_busy(self._migrate)
        except (sqlite3.Error, OSError) as exc:
            raise CatalogError(f"cannot open the catalog {self.path}: {exc}") from None

    def _open_postgresql(self, url: str, passfile, password_env) -> None:
        self.dialect = PostgresDialect()
        self.url = url
        self.path = None  # no file: what names the catalog in messages is `where`
        try:
            self.conn = PgConnection(url, readonly=self.readonly, passfile=passfile, password_env=password_env)
            if not self.readonly:
                self._migrate()
        except sqlite3.Error as exc:
            raise CatalogError(f"cannot open the catalog {redact(url)}: {exc}") from None

    @property
    def where(self) -> str:
        """The catalog as messages name it (a PostgreSQL URL without its password)."""
        return redact(self.url) if self.url else str(self.path)

    def _set_wal(self) -> None:
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.conn.execute("PRAGMA journal_mode = WAL")

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

    def check_current(self) -> None:
        """For a reader of a site's catalog, which cannot migrate it: one that no writer has yet brought to
        this version lacks what the queries read (no such column …). Said as what to do instead. (A
        catalog's backup, read to verify it, is read at its own version.)"""
        version = self.schema_version
        if version < len(MIGRATIONS):
            self.conn.close()
            raise CatalogError(
                f"the catalog {self.where} has schema version {version}, older than this dse-tui's "
                f"({len(MIGRATIONS)}), and is open read-only: open it once as a user who may write it (the "
                "console, or any dse-tui command as the catalog's owner) to upgrade it")

    def _probe_readonly(self, quoted: str) -> None:
        """A WAL database read by a user who may not create its -shm file fails on the first query.
        Then read it as immutable: the state at its last checkpoint, which is what such a user can see."""
        try:
            self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            self.conn.close()
            self.conn = sqlite3.connect(f"file:{quoted}?mode=ro&immutable=1", uri=True, isolation_level=None,
                                      check_same_thread=False)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -------------------------------------------------------------- schema

    @property
    def schema_version(self) -> int:
        return self.dialect.schema_version(self.conn)

    def _migrate(self) -> None:
        if self.schema_version >= len(MIGRATIONS):
            if self.schema_version > len(MIGRATIONS):
                raise CatalogError(
                    f"the catalog {self.where} has schema version {self.schema_version}, newer than this "
                    f"dse-tui knows ({len(MIGRATIONS)}): upgrade dse-tui")
            return
        # IMMEDIATE takes the write lock first, so two processes never apply the same step twice.
        with self.transaction():
            pending = range(self.schema_version, len(MIGRATIONS))
            for version in pending:
                for statement in self.dialect.migration_statements(MIGRATIONS[version]):
                    self.conn.execute(statement)
                self.dialect.set_schema_version(self.conn, version + 1)
            if pending:  # only the one who migrated: writers may be inserting by the time the others get here
                self.dialect.after_migrate(self.conn)

    def data_version(self) -> int:
        """Changes whenever another connection commits: a cheap 'has anything changed?' probe."""
        return self.dialect.data_version(self.conn)

    class _Tx:
        def __init__(self, catalog: Catalog):
            self.conn = catalog.conn
            self.dialect = catalog.dialect

        def __enter__(self):
            self.dialect.begin(self.conn)
            return self.conn

        def __exit__(self, exc_type, *rest):
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")

    def transaction(self) -> _Tx:
        return Catalog._Tx(self)

    # -------------------------------------------------------------- repositories

    def repository_id(self, key: str) -> int:
        if key not in self._repo_ids:
            row = self.conn.execute("SELECT id FROM repositories WHERE key = ?", (key,)).fetchone()
            if row is None and self.readonly:
                return -1  # never recorded: nothing in the catalog is about it
            if row is None:  # first seen: recorded
                self.conn.execute("INSERT OR IGNORE INTO repositories(key) VALUES (?)", (key,))
                row = self.conn.execute("SELECT id FROM repositories WHERE key = ?", (key,)).fetchone()
            self._repo_ids[key] = row[0]
        return self._repo_ids[key]

    def ensure_repositories(self, keys: Iterable[str]) -> None:
        with self.transaction():
            self.conn.executemany("INSERT OR IGNORE INTO repositories(key) VALUES (?)", [(k,) for k in keys])

    def set_manual_required(self, key: str, reason: str | None, at: datetime | None = None) -> None:
        """Flag (reason given) or clear (None) the repository's need of a manual backup."""
        repo = self.repository_id(key)
        when = to_db(at or utcnow()) if reason else None
        # A second failure keeps the first one's time: a run that started after it still clears the state.
        self.conn.execute(
            "UPDATE repositories SET manual_required_since = CASE WHEN ? IS NULL THEN NULL"
            " ELSE coalesce(manual_required_since, ?) END, manual_required_reason = ? WHERE id = ?",
            (when, when, reason, repo))

    # -------------------------------------------------------------- runs

    def start_run(self, key: str, *, trigger: str = "auto", operator: str | None = None,
                  at: datetime | None = None, session_id: int | None = None, host: str | None = None) -> int:
        """A run of `key` begins, made by `host` (the one holding its lease: engine/hosts.py)."""
        repo = self.repository_id(key)
        with self.transaction():  # on PostgreSQL, the write lock: its trigger then reads the runs as they are
            cur = self.conn.execute(
                "INSERT INTO runs(repository_id, started_at, state, trigger, operator, session_id, host)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (repo, to_db(at or utcnow()), RunState.RUNNING, trigger, operator or current_operator(), session_id,
                 host))
        return cur.lastrowid

    def moved(self, machine, table: str, column: str, record_id, event: str, key: str = "id") -> str:
        """The state `event` takes record `record_id` of `table` to, as the life cycle allows
        (lifecycle.Refused otherwise): every state change of the catalog asks here first."""
        row = self.conn.execute(f"SELECT {column} FROM {table} WHERE {key} = ?", (record_id,)).fetchone()
        if row is None:
            raise Refused(f"there is no {machine.record} {record_id}")
        return machine.next(row[0], event)

    def finish_run(self, run_id: int, state: str, *, size: int | None = None, sha256: str | None = None,
                   artifact: str | None = None, manifest: str | None = None, message: str | None = None,
                   log: str | None = None, at: datetime | None = None, key_ids: list[str] | None = None,
                   event: str | None = None, operator: str | None = None) -> None:
        """A running run ends: `state` (good, failed, cancelled), or the state `event` leads to. Its event,
        "run ended" by `operator` (default: whoever is logged in), is written with it."""
        when = at or utcnow()
        with self.transaction():
            state = self.moved(RUN, "runs", "state", run_id, event or state)
            self.conn.execute(
                "UPDATE runs SET state = ?, ended_at = ?, size = ?, sha256 = ?, artifact = ?, manifest = ?,"
                " message = ?, log = ?, key_ids = ? WHERE id = ?",
                (state, to_db(when), size, sha256, artifact, manifest, message, log,
                 " ".join(key_ids) if key_ids else None, run_id))
            # A run found dead was never measured: its event names no size nor checksum.
            measured = {} if event == Event.INTERRUPTED else {"size": size, "sha256": sha256}
            self._append_event("run ended", event or state, repository=self._run_key(run_id), operator=operator,
                               detail={"run_id": run_id, **measured, "message": message}, at=when)

    def _run_key(self, run_id: int) -> str:
        """The key of the run's repository."""
        row = self.conn.execute("SELECT repository_id FROM runs WHERE id = ?", (run_id,)).fetchone()
        return self._repo_key(row[0])

    def interrupt_stale_runs(self, key: str) -> list[int]:
        """Runs of `key` still marked running: their process died (the caller holds the repository's lock,
        so nobody else is running it). They become failed, never good."""
        repo = self.repository_id(key)
        ids = [r[0] for r in self.conn.execute(
            "SELECT id FROM runs WHERE repository_id = ? AND state = ?", (repo, RunState.RUNNING))]
        message = "interrupted: the process stopped before the run finished"
        for run_id in ids:
            self.finish_run(run_id, RunState.FAILED, message=message, event=Event.INTERRUPTED)
        return ids

    def prunable_runs(self, key: str) -> list[Run]:
        """Good runs whose artifacts have not been pruned."""
        rows = self.conn.execute(
            f"SELECT {RUN_COLUMNS} FROM runs WHERE repository_id = ? AND state = 'good' AND pruned_at IS NULL"
            " AND artifact IS NOT NULL ORDER BY started_at DESC", (self.repository_id(key),))
        return [self._run(r, key) for r in rows]

    def verified_copies(self, run_ids: list[int]) -> dict[int, int]:
        if not run_ids:
            return {}
        marks = ",".join("?" * len(run_ids))
        # Distinct devices, as the procedure asks: two copies on one destination count once.
        rows = self.conn.execute(f"SELECT run_id, count(DISTINCT coalesce(device, destination)) FROM copies WHERE state = ?"
                                 f" AND {ON_LIVE_MEDIA} AND run_id IN ({marks}) GROUP BY run_id",
                                 (CopyState.VERIFIED, *run_ids))
        return dict(rows.fetchall())

    def mark_pruned(self, run_id: int, at: datetime | None = None) -> None:
        self.conn.execute("UPDATE runs SET pruned_at = ? WHERE id = ?", (to_db(at or utcnow()), run_id))

    def run_log(self, run_id: int) -> str | None:
        row = self.conn.execute("SELECT log FROM runs WHERE id = ?", (run_id,)).fetchone()
        return row[0] if row else None

    def run(self, run_id: int) -> Run | None:
        row = self.conn.execute(f"SELECT {RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        return self._run(row) if row else None

    def recent_runs(self, key: str, limit: int = 20) -> list[Run]:
        rows = self.conn.execute(
            f"SELECT {RUN_COLUMNS} FROM runs WHERE repository_id = ? ORDER BY started_at DESC LIMIT ?",
            (self.repository_id(key), limit))
        return [self._run(r) for r in rows]

    def runs_since(self, key: str, since: datetime) -> list[Run]:
        rows = self.conn.execute(
            f"SELECT {RUN_COLUMNS} FROM runs WHERE repository_id = ? AND started_at >= ? ORDER BY started_at",
            (self.repository_id(key), to_db(since)))
        return [self._run(r) for r in rows]

    def last_manifest(self, key: str) -> str | None:
        """The manifest file of the repository's latest run that has one."""
        row = self.conn.execute(
            "SELECT r.manifest FROM runs r JOIN repositories p ON p.id = r.repository_id WHERE p.key = ? AND "
            "r.manifest IS NOT NULL ORDER BY r.id DESC LIMIT 1", (key,)).fetchone()
        return row[0] if row else None

    def runs_between(self, key: str, start: datetime, end: datetime) -> list[Run]:
        """The repository's runs started from `start` to before `end`, oldest first."""
        rows = self.conn.execute(
            f"SELECT {prefixed('r')} FROM runs r JOIN repositories p ON p.id = r.repository_id WHERE p.key = ? AND "
            "r.started_at >= ? AND r.started_at < ? ORDER BY r.started_at", (key, to_db(start), to_db(end)))
        return [self._run(row, key) for row in rows]

    def last_good_before(self, key: str, before: datetime) -> datetime | None:
        """When the repository's last good run that started before `before` started."""
        row = self.conn.execute(
            "SELECT max(r.started_at) FROM runs r JOIN repositories p ON p.id = r.repository_id WHERE p.key = ? AND "
            "r.state = 'good' AND r.started_at < ?", (key, to_db(before))).fetchone()
        return from_db(row[0]) if row and row[0] else None

    def has_good_run(self, key: str) -> bool:
        """Whether the repository has ever had a good run (pruned or not): the id its row keeps."""
        row = self.conn.execute("SELECT last_good_id FROM repositories WHERE key = ?", (key,)).fetchone()
        return bool(row and row[0] is not None)

    def encrypted_runs(self) -> list[tuple[int, str]]:
        """(run id, its key ids) of the runs whose kept artifact is encrypted."""
        return self.conn.execute("SELECT id, key_ids FROM runs WHERE key_ids IS NOT NULL AND artifact IS NOT NULL"
                                 " ORDER BY id").fetchall()

    def first_run_at(self, key: str) -> datetime | None:
        row = self.conn.execute("SELECT min(started_at) FROM runs WHERE repository_id = ?",
                                (self.repository_id(key),)).fetchone()
        return from_db(row[0])

    def good_sizes(self, key: str, limit: int = 30) -> list[int]:
        """Sizes of the last `limit` good runs, oldest first."""
        rows = self.conn.execute(
            "SELECT size FROM runs WHERE repository_id = ? AND state = 'good' ORDER BY started_at DESC LIMIT ?",
            (self.repository_id(key), limit)).fetchall()
        return [r[0] or 0 for r in reversed(rows)]

    def last_status(self) -> dict[str, LastStatus]:
        """The last attempt, last good run and copy count of every repository, in one indexed query."""
        width = len(RUN_COLUMNS.split(","))
        return {row[0]: last_status_from_row(row, width) for row in self.conn.execute(LAST_STATUS_SQL)}

    def _run(self, row, key: str | None = None) -> Run:
        if key is None:
            key = self._repo_key(row[1])
        return run_from_row(row, key)

    def _repo_key(self, repo_id: int) -> str:
        for key, value in self._repo_ids.items():
            if value == repo_id:
                return key
        key = self.conn.execute("SELECT key FROM repositories WHERE id = ?", (repo_id,)).fetchone()[0]
        self._repo_ids[key] = repo_id
        return key


def open_catalog(profile, *, readonly: bool = False) -> Catalog:
    """The profile's catalog, knowing its repositories. `readonly` (for a user who only reads, such as
    monitoring) opens an existing catalog without writing to it."""
    where = profile.catalog_path
    secrets = {"passfile": getattr(profile, "catalog_passfile", None),
               "password_env": getattr(profile, "catalog_password_env", None)}
    if readonly and Catalog.exists(where):
        catalog = Catalog(where, readonly=True, **secrets)
        catalog.check_current()
        return catalog
    catalog = Catalog(where, **secrets)
    try:
        catalog.ensure_repositories(r.id for r in profile.repositories)
    except sqlite3.Error as exc:
        catalog.close()
        raise CatalogError(f"cannot use the catalog {catalog.where}: {exc}") from None
    return catalog
