"""The catalog: versioned migrations, WAL, two processes at once, the last-status query."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from types import SimpleNamespace

import pytest

from tests.catalog_backend import ON_POSTGRESQL, place, raw_connection, sqlite_only

from dse_tui.core.catalog import GENESIS_HASH, LAST_STATUS_SQL, Catalog, CatalogError, event_hash, open_catalog
from dse_tui.core.catalog.backend import PostgresDialect, SqliteDialect
from dse_tui.core.catalog.migrations import MIGRATIONS, _keep_last
from dse_tui.core.catalog.runs import RUN_COLUMNS, Run
from dse_tui.core.common.timeutil import from_db
from tests.conftest import ROOT, record_runs, wait_until


@sqlite_only
def test_new_catalog_is_migrated_and_in_wal_mode(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        assert catalog.schema_version == len(MIGRATIONS)
        assert catalog.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in catalog.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "verifications", "copies", "media", "sessions", "session_steps", "events"} <= tables


@sqlite_only
def test_a_catalog_from_a_newer_dse_tui_is_refused(tmp_path):
    path = tmp_path / "c.sqlite"
    Catalog(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(CatalogError, match="newer than this dse-tui knows"):
        Catalog(path)


@sqlite_only
def test_unwritable_location_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CatalogError, match=f"cannot open the catalog {blocker}/c.sqlite"):
        Catalog(blocker / "c.sqlite")


@sqlite_only
def test_last_status_uses_the_indexes(tmp_path):
    """Two key lookups per repository for the status, and the triggers that keep the keys seek their index."""
    with Catalog(tmp_path / "c.sqlite") as catalog:
        plan = " ".join(str(r) for r in catalog.conn.execute("EXPLAIN QUERY PLAN " + LAST_STATUS_SQL))
        keep = " ".join(str(r) for r in catalog.conn.execute("EXPLAIN QUERY PLAN " + _keep_last("1")))
    assert "SEARCH a USING INTEGER PRIMARY KEY" in plan and "SEARCH g USING INTEGER PRIMARY KEY" in plan
    assert "SCAN runs" not in plan and "SCAN a" not in plan and "SCAN g" not in plan
    assert "COVERING INDEX good_runs_by_repository_covering" in keep
    assert "COVERING INDEX runs_by_repository " in keep
    assert "SCAN runs" not in keep


def kept_and_found(catalog) -> tuple[list, list]:
    """Each repository's last attempt and last good run as its row keeps them, and as its runs say."""
    kept = catalog.conn.execute("SELECT key, last_attempt_id, last_good_id FROM repositories ORDER BY key").fetchall()
    found = catalog.conn.execute(
        "SELECT r.key, (SELECT id FROM runs WHERE repository_id = r.id ORDER BY started_at DESC LIMIT 1),"
        " (SELECT id FROM runs WHERE repository_id = r.id AND state = 'good' ORDER BY started_at DESC"
        " LIMIT 1) FROM repositories r ORDER BY r.key").fetchall()
    return [tuple(row) for row in kept], [tuple(row) for row in found]


def test_the_repository_row_keeps_its_last_runs_through_every_write(tmp_path):
    """Whatever writes a run (start, finish, a failed verification, an accepted run, a run recovered with an
    older start, a row moved or deleted by hand), the ids on the repository's row are what the runs say."""
    path = tmp_path / "c.sqlite"
    g1, g2 = record_runs(path, "a", "gg")
    with Catalog(path) as catalog:
        catalog.ensure_repositories(["b"])
        a, b = catalog.repository_id("a"), catalog.repository_id("b")

        def kept(key):
            kept, found = kept_and_found(catalog)
            assert kept == found
            return dict((k, (attempt, good)) for k, attempt, good in kept)[key]

        running = catalog.start_run("a")
        assert kept("a") == (running, g2)
        catalog.finish_run(running, "failed", message="disk full")
        assert kept("a") == (running, g2)
        catalog.fail_run(g2, "checksum differs")
        assert kept("a") == (running, g1)
        catalog.conn.execute("UPDATE runs SET state = 'good' WHERE id = ?", (running,))
        assert kept("a") == (running, running)
        older = catalog.conn.execute("INSERT INTO runs(repository_id, started_at, state)"
                                     " VALUES (?, '2000-01-01T00:00:00+00:00', 'good')", (a,)).lastrowid
        assert kept("a") == (running, running)
        catalog.conn.execute("UPDATE runs SET repository_id = ? WHERE id = ?", (b, older))
        assert kept("b") == (older, older) and kept("a") == (running, running)
        catalog.conn.execute("UPDATE runs SET started_at = '2100-01-01T00:00:00+00:00' WHERE id = ?", (g1,))
        assert kept("a") == (g1, g1)
        catalog.conn.execute("DELETE FROM runs WHERE id = ?", (older,))
        assert kept("b") == (None, None)
        last = catalog.last_status()
    assert (last["a"].last_attempt.id, last["a"].last_good.id) == (g1, g1)
    assert last["b"].last_attempt is None and last["b"].last_good is None


@pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL's read committed; SQLite serialises its writers")
def test_a_run_started_while_another_writer_fails_a_run_keeps_the_right_last_runs(tmp_path):
    """A verification fails the last good run in its transaction while another host starts a run of the same
    repository: the new run's trigger waits for the repository's row, then reads the runs as committed."""
    import threading

    path = tmp_path / "c.sqlite"
    g1, g2 = record_runs(path, "a", "gg")
    with Catalog(path) as verifier, Catalog(path) as starter:
        started = []
        with verifier.transaction():
            verifier.conn.execute("UPDATE runs SET state = 'failed' WHERE id = ?", (g2,))
            thread = threading.Thread(target=lambda: started.append(starter.start_run("a")))
            thread.start()
            pid = starter.conn.raw.info.backend_pid
            wait_until(lambda: verifier.conn.execute(
                "SELECT count(*) FROM pg_locks WHERE pid = ? AND NOT granted", (pid,)).fetchone()[0],
                what="the run's start to wait for the verification's transaction")
        thread.join(timeout=60)
        kept, found = kept_and_found(verifier)
    assert kept == found == [("a", started[0], g1)]


def catalog_of_version(path, version: int):
    """A catalog made by the dse-tui whose migrations stopped at `version`: a raw connection to it."""
    conn = raw_connection(path)
    dialect = PostgresDialect() if ON_POSTGRESQL else SqliteDialect()
    for done, step in enumerate(MIGRATIONS[:version], 1):
        for statement in dialect.migration_statements(step):
            conn.execute(statement)
        dialect.set_schema_version(conn, done)
    return conn


def test_a_catalog_of_the_version_before_gets_its_last_runs_on_upgrade(tmp_path):
    """Migration 16 on a catalog that already holds runs: every repository's row gets the ids its runs say."""
    path = tmp_path / "old.sqlite"
    conn = catalog_of_version(path, 15)
    conn.execute("INSERT INTO repositories(id, key) VALUES (1, 'a'), (2, 'b'), (3, 'never')")
    conn.executemany("INSERT INTO runs(id, repository_id, started_at, state) VALUES (?, ?, ?, ?)", [
        (1, 1, "2026-11-01T00:00:00+00:00", "good"), (2, 1, "2026-11-02T00:00:00+00:00", "good"),
        (3, 1, "2026-11-03T00:00:00+00:00", "failed"), (4, 2, "2026-11-01T00:00:00+00:00", "failed")])
    conn.close()
    with Catalog(path) as catalog:
        kept, found = kept_and_found(catalog)
    assert kept == found == [("a", 3, 2), ("b", 4, None), ("never", None, None)]


def test_a_reader_of_a_catalog_no_writer_has_upgraded_is_told_what_to_do(tmp_path):
    """A read-only user (monitoring) cannot migrate: a catalog of the version before is refused in words,
    not with a query's "no such column" later."""
    path = tmp_path / "old.sqlite"
    catalog_of_version(path, 15).close()
    site = SimpleNamespace(catalog_path=path)
    with pytest.raises(CatalogError, match="older than this dse-tui's .* open it once as a user who may write"):
        open_catalog(site, readonly=True)
    with Catalog(path) as writer:
        assert writer.schema_version == len(MIGRATIONS)
    with open_catalog(site, readonly=True) as reader:
        assert reader.last_status() == {}


def test_last_status_picks_last_attempt_last_good_and_copies(tmp_path):
    path = tmp_path / "c.sqlite"
    g1, g2, f3 = record_runs(path, "a", "ggf")
    record_runs(path, "b", "f")
    with Catalog(path) as catalog:
        catalog.add_copy(g2, "usb")
        catalog.add_copy(g2, "nas")
        catalog.add_copy(g2, "bad", state="failed")
        catalog.ensure_repositories(["c"])
        last = catalog.last_status()
    assert (last["a"].last_attempt.id, last["a"].last_good.id, last["a"].copies) == (f3, g2, 2)
    assert last["b"].last_good is None and last["b"].last_attempt.state == "failed"
    assert last["c"].last_attempt is None



def test_last_status_runs_are_whole_and_equal_to_the_run_query(tmp_path):
    """last_status builds its runs its own quick way, and sends the last good run once when it is also the
    last attempt: every field must still be what catalog.run() reads."""
    path = tmp_path / "c.sqlite"
    (f1,) = record_runs(path, "failed-last", "g")  # then a failed attempt, below
    (g_only,) = record_runs(path, "good-last", "g")
    with Catalog(path) as catalog:
        failed = catalog.start_run("failed-last", operator="ana")
        catalog.finish_run(failed, "failed", message="disk full", key_ids=["k1", "k2"])
        running = catalog.start_run("running")
        catalog.conn.execute("UPDATE repositories SET manual_required_since = '2026-01-02T03:04:05+00:00',"
                             " manual_required_reason = 'tape' WHERE key = 'running'")
        last = catalog.last_status()

        def run(run_id):  # as the dataclass builds it, from the row as stored
            row = catalog.conn.execute(f"SELECT {RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
            key = catalog.conn.execute("SELECT key FROM repositories WHERE id = ?", (row[1],)).fetchone()[0]
            return Run(row[0], key, from_db(row[2]), from_db(row[3]), *row[4:])

        assert catalog.run(failed) == run(failed)
        assert last["failed-last"].last_attempt == run(failed) != run(f1)
        assert last["failed-last"].last_good == run(f1)
        assert last["failed-last"].last_attempt.key_ids == "k1 k2" and last["failed-last"].last_attempt.encrypted
        assert last["good-last"].last_attempt == last["good-last"].last_good == run(g_only)
        assert last["running"].last_attempt == run(running) and last["running"].last_good is None
        assert last["running"].last_attempt.ended_at is None
        assert last["running"].manual_required_since.isoformat() == "2026-01-02T03:04:05+00:00"
        assert last["running"].manual_required_reason == "tape"
        assert {k: s.repository for k, s in last.items()} == {k: k for k in last}

WRITER = """
import sys
from dse_tui.core.catalog import Catalog
with Catalog(sys.argv[1]) as c:
    for i in range(200):
        run = c.start_run(sys.argv[2])
        c.finish_run(run, "good", size=i)  # and its event, "run ended"
"""


def test_two_processes_write_at_once(tmp_path, catalog_backend):
    path = place(catalog_backend, tmp_path / "c.sqlite")
    Catalog(path).close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name], cwd=ROOT, stderr=subprocess.PIPE,
                              text=True) for name in ("tui", "cron")]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    with Catalog(path) as catalog:
        assert catalog.conn.execute("SELECT count(*) FROM runs WHERE state = 'good'").fetchone()[0] == 400
        rows = catalog.conn.execute("SELECT at, operator, repository, action, outcome, detail, prev_hash, hash"
                                    " FROM events ORDER BY id").fetchall()
    # The hash chain stays unbroken when two writers interleave.
    prev = GENESIS_HASH
    for at, operator, repository, action, outcome, detail, prev_hash, digest in rows:
        assert prev_hash == prev
        fields = dict(at=at, operator=operator, repository=repository, action=action, outcome=outcome, detail=detail)
        assert digest == event_hash(prev_hash, fields)
        prev = digest
    assert len(rows) == 400


def test_data_version_sees_another_connections_commit(tmp_path):
    path = tmp_path / "c.sqlite"
    with Catalog(path) as watcher, Catalog(path) as writer:
        before = watcher.data_version()
        writer.start_run("x")
        assert watcher.data_version() != before


def test_data_version_moves_only_for_this_catalogs_commits_by_others(tmp_path):
    # On a shared PostgreSQL server the other databases' writes, readers and the watcher's own writes are
    # no change to show: the console must not reload for them.
    path = tmp_path / "c.sqlite"
    with Catalog(path) as watcher, Catalog(path) as reader, Catalog(tmp_path / "other.sqlite") as elsewhere:
        reader.ensure_repositories(["x"])  # before: reading a repository's runs records it first
        before = watcher.data_version()
        elsewhere.start_run("x")
        reader.recent_runs("x")
        watcher.start_run("x")
        assert watcher.data_version() == before
        with Catalog(path) as writer:
            with writer.transaction():
                writer.conn.execute("UPDATE repositories SET manual_required_reason = 'r'")
        assert watcher.data_version() != before


OPEN_NEW = """
import sys
from dse_tui.core.catalog import Catalog
with Catalog(sys.argv[1]) as c:
    c.start_run("x")
"""


def test_many_processes_create_the_same_new_catalog_at_once(tmp_path, catalog_backend):
    path = place(catalog_backend, tmp_path / "new.sqlite")
    procs = [subprocess.Popen([sys.executable, "-c", OPEN_NEW, str(path)], cwd=ROOT, stderr=subprocess.PIPE,
                              text=True) for _ in range(8)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, errors
    with Catalog(path) as catalog:
        assert catalog.schema_version == len(MIGRATIONS)
        assert len(catalog.recent_runs("x")) == 8
