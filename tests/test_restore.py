"""Restores round-trip real sources: PostgreSQL, MariaDB, SQLite, git and files; existing targets and
the live source are refused unless asked for explicitly; every restore is recorded."""

from __future__ import annotations

import filecmp
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest

from dse_tui.cli import main
from dse_tui.core.catalog import Catalog
from dse_tui.core.restore.run import RestoreError, plan, restore
from dse_tui.core.engine.runner import run_repository
from tests.engine_helpers import make_tree, profile_with
from tests.test_engine_databases import psql
from tests.test_verify_databases import maria, maria_profile
from tests.test_verify_local import git_repo


def do_restore(profile, run_id: int, target: str, **kw):
    with Catalog(profile.catalog_path) as catalog:
        p = plan(profile, catalog.run(run_id), target, kw.pop("database", None))
        return restore(profile, catalog, p, **kw)


def trees_equal(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.diff_files or cmp.funny_files:
        return False
    return all(trees_equal(a / d, b / d) for d in cmp.common_dirs)


def test_files_round_trip_and_an_existing_target_is_refused(tmp_path):
    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    outcome = run_repository(profile, profile.repository("w"))
    result = do_restore(profile, outcome.run_id, str(tmp_path / "restored"))
    assert result.outcome == "done", result.message
    assert trees_equal(tmp_path / "www", tmp_path / "restored")
    assert (tmp_path / "restored" / "notes-link").is_symlink()
    with pytest.raises(RestoreError, match="already exists and is not empty"):
        do_restore(profile, outcome.run_id, str(tmp_path / "restored"))
    assert do_restore(profile, outcome.run_id, str(tmp_path / "restored"), force=True).outcome == "done"
    with Catalog(profile.catalog_path) as catalog:
        assert [r.outcome for r in catalog.restores(outcome.run_id)] == ["done", "done"]
        assert [e["action"] for e in catalog.events()].count("restore") == 2


def test_the_live_source_needs_the_typed_repository_id(tmp_path):
    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    outcome = run_repository(profile, profile.repository("w"))
    (tmp_path / "www" / "index.html").write_text("defaced")
    for target in (tmp_path / "www", tmp_path / "www" / "docs", tmp_path):
        with pytest.raises(RestoreError, match="live source of w"):
            do_restore(profile, outcome.run_id, str(target), force=True)
        with pytest.raises(RestoreError, match="live source of w"):
            do_restore(profile, outcome.run_id, str(target), force=True, confirm="yes")
    assert (tmp_path / "www" / "index.html").read_text() == "defaced"
    assert do_restore(profile, outcome.run_id, str(tmp_path / "www"), confirm="w").outcome == "done"
    assert (tmp_path / "www" / "index.html").read_text() == "<h1>hola</h1>\n"


def test_a_damaged_artifact_is_never_restored(tmp_path):
    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    outcome = run_repository(profile, profile.repository("w"))
    part = Path(outcome.artifact) / "w.tar.zst"
    part.write_bytes(part.read_bytes()[:-5])
    result = do_restore(profile, outcome.run_id, str(tmp_path / "out"))
    assert result.outcome == "failed" and "does not match its manifest" in result.message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_git_round_trip_with_every_branch(tmp_path):
    git_repo(tmp_path / "proj")
    subprocess.run(["git", "-C", str(tmp_path / "proj"), "branch", "release"], check=True)
    profile = profile_with(tmp_path, "{id: g, kind: software, driver: git, source: {path: ./proj}}")
    outcome = run_repository(profile, profile.repository("g"))
    assert do_restore(profile, outcome.run_id, str(tmp_path / "back")).outcome == "done"

    def refs(path):
        out = subprocess.run(["git", "-C", str(path), "for-each-ref", "--format=%(refname) %(objectname)",
                              "refs/heads"], capture_output=True, text=True, check=True).stdout
        return set(out.splitlines())

    assert refs(tmp_path / "back") == refs(tmp_path / "proj") and len(refs(tmp_path / "proj")) == 2
    assert (tmp_path / "back" / "README").read_text() == "first"
    remotes = subprocess.run(["git", "-C", str(tmp_path / "back"), "remote"], capture_output=True, text=True).stdout
    assert remotes.strip() == "", "no remote left pointing at a scratch bundle"


def test_sqlite_round_trip_into_a_folder(tmp_path):
    db = sqlite3.connect(tmp_path / "app.db")
    db.executescript("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), ('ñ');")
    db.commit()
    db.close()
    profile = profile_with(tmp_path, "{id: s, kind: database, driver: sqlite, source: {path: ./app.db}}")
    outcome = run_repository(profile, profile.repository("s"))
    (tmp_path / "out").mkdir()
    assert do_restore(profile, outcome.run_id, str(tmp_path / "out")).outcome == "done"
    rows = sqlite3.connect(tmp_path / "out" / "app.db").execute("SELECT x FROM t ORDER BY rowid").fetchall()
    assert rows == [(1,), (2,), ("ñ",)]
    with pytest.raises(RestoreError, match="live source of s"):
        do_restore(profile, outcome.run_id, str(tmp_path / "app.db"), force=True)


def test_postgresql_round_trip_into_a_new_database_by_the_cli(tmp_path, postgres_db, capsys):
    db = postgres_db["database"]
    psql(db, "CREATE TABLE staff (id serial PRIMARY KEY, name text); INSERT INTO staff(name) VALUES ('ana'), ('eva');")
    profile = profile_with(tmp_path, f"{{id: pg, kind: database, driver: postgresql, source: {{host: 127.0.0.1, "
                                     f"port: 5432, user: postgres, databases: [{db}]}}}}")
    outcome = run_repository(profile, profile.repository("pg"))
    target = f"dse_restored_{uuid.uuid4().hex[:8]}"
    try:
        code = main(["restore", str(outcome.run_id), "--to", target, "--profile", str(profile.file)])
        assert code == 0, capsys.readouterr().err
        query = "SELECT string_agg(name, ',' ORDER BY id) FROM staff"
        assert psql(target, query) == psql(db, query) == "ana,eva\n"
        assert main(["restore", str(outcome.run_id), "--to", target, "--profile", str(profile.file)]) == 1
        assert "already exists" in capsys.readouterr().err
        # The live database: refused without the typed id (no terminal here), done with it.
        assert main(["restore", str(outcome.run_id), "--to", db, "--profile", str(profile.file)]) == 1
        assert "live source of pg" in capsys.readouterr().err
        psql(db, "DELETE FROM staff")
        assert main(["restore", str(outcome.run_id), "--to", db, "--confirm", "pg", "--profile", str(profile.file)]) == 0
        assert psql(db, query) == "ana,eva\n"
        # The dump files, for a restore by hand.
        assert main(["restore", str(outcome.run_id), "--to", str(tmp_path / "dumps"), "--profile", str(profile.file)]) == 0
        assert (tmp_path / "dumps" / f"{db}.pgdump").read_bytes()[:5] == b"PGDMP"
    finally:
        psql("postgres", f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")


def test_mariadb_round_trip_into_a_new_database(tmp_path, mariadb_db):
    db = mariadb_db["database"]
    maria(mariadb_db, "CREATE TABLE books (id INT PRIMARY KEY, title TEXT); "
                      "INSERT INTO books VALUES (1, 'Quijote'), (2, 'ñandú');", db)
    profile = maria_profile(tmp_path, db)
    outcome = run_repository(profile, profile.repository("my"))
    target = f"dse_restored_{uuid.uuid4().hex[:8]}"
    try:
        result = do_restore(profile, outcome.run_id, target)
        assert result.outcome == "done", result.message
        query = "SELECT GROUP_CONCAT(title ORDER BY id) FROM books"
        assert maria(mariadb_db, query, target) == maria(mariadb_db, query, db) == "Quijote,ñandú\n"
    finally:
        maria(mariadb_db, f"DROP DATABASE IF EXISTS {target}")
