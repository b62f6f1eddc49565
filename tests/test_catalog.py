"""The catalog: versioned migrations, WAL, two processes at once, the last-status query."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from tests.catalog_backend import place, sqlite_only

from dse_tui.core.catalog import GENESIS_HASH, LAST_STATUS_SQL, Catalog, CatalogError, event_hash
from dse_tui.core.catalog.migrations import MIGRATIONS
from tests.conftest import ROOT, record_runs


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
    with Catalog(tmp_path / "c.sqlite") as catalog:
        plan = " ".join(str(r) for r in catalog.conn.execute("EXPLAIN QUERY PLAN " + LAST_STATUS_SQL))
    assert "good_runs_by_repository" in plan and "runs_by_repository" in plan
    assert "SCAN runs" not in plan.replace("SCAN runs AS", "")


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
