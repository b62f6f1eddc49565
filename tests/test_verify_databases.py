"""Verification levels against the real PostgreSQL and MariaDB servers: trial restores into scratch
databases that are always dropped, row counts compared with those taken at backup time."""

from __future__ import annotations

import subprocess
import time

from dse_tui.core.engine.runner import run_repository
from tests.engine_helpers import failed_checks, profile_with, rewrite_part, unzstd, verify, zstd_bytes
from tests.test_engine_databases import psql


def scratch_pg() -> set[str]:
    return set(psql("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'dse_verify_%'").split())


def maria(db_fixture: dict, sql: str, db: str | None = None) -> str:
    argv = [db_fixture["client"], "-h", "127.0.0.1", "-P", "3306", "-u", "root", "-N", "-B", "-e", sql]
    return subprocess.run(argv + ([db] if db else []), capture_output=True, text=True, check=True).stdout


def scratch_maria(db_fixture: dict) -> set[str]:
    return set(maria(db_fixture, "SHOW DATABASES LIKE 'dse\\_verify\\_%'").split())


def pg_profile(tmp_path, db: str):
    return profile_with(tmp_path, f"{{id: pg, kind: database, driver: postgresql, source: {{host: 127.0.0.1, "
                                  f"port: 5432, user: postgres, databases: [{db}]}}}}")


def maria_profile(tmp_path, db: str):
    return profile_with(tmp_path, f"{{id: my, kind: database, driver: mysql, source: {{host: 127.0.0.1, "
                                  f"port: 3306, user: root, databases: [{db}]}}}}")


def test_postgresql_every_level_and_damage_caught_where_it_must_be(tmp_path, postgres_db):
    db = postgres_db["database"]
    psql(db, "CREATE TABLE grades (id serial PRIMARY KEY, mark int);"
             "INSERT INTO grades(mark) SELECT g % 10 FROM generate_series(1, 3000) g;"
             "CREATE SCHEMA admin; CREATE TABLE admin.staff (name text); INSERT INTO admin.staff VALUES ('ana');")
    before = scratch_pg()
    profile = pg_profile(tmp_path, db)
    outcome = run_repository(profile, profile.repository("pg"))
    assert outcome.state == "good", outcome.message
    result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "passed", failed_checks(result)
    rows = next(c.detail for c in result.checks if c.name == f"rows {db}")
    assert "2 table(s), 3001 rows" in rows
    assert not scratch_pg() - before, "the scratch database is dropped after success"

    # A dump cut short (and its checksums forged): pg_restore still lists its table of contents, so only
    # the trial restore can tell.
    part = f"{db}.pgdump.zst"
    dump = unzstd(f"{outcome.artifact}/{part}")
    rewrite_part(profile, outcome.run_id, part, zstd_bytes(dump[:len(dump) * 2 // 3]), keep_checksums=True)
    result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "failed"
    assert "pg_restore" in failed_checks(result)[f"restore {db}"]
    assert not scratch_pg() - before, "the scratch database is dropped after failure too"

    # Garbage in place of the dump: the structure level says pg_restore cannot read it.
    rewrite_part(profile, outcome.run_id, part, zstd_bytes(b"not a dump" * 100), keep_checksums=True)
    result = verify(profile, outcome.run_id, "structure")
    assert "pg_restore --list" in failed_checks(result)[f"pg_restore --list {part}"]

    # The globals cut short lose pg_dumpall's completion line.
    globals_sql = unzstd(f"{outcome.artifact}/globals.sql.zst")
    rewrite_part(profile, outcome.run_id, "globals.sql.zst", zstd_bytes(globals_sql[:200]), keep_checksums=True)
    assert "completion line is missing" in failed_checks(verify(profile, outcome.run_id, "structure"))[
        "complete globals.sql.zst"]


def test_postgresql_row_counts_come_from_the_dumps_own_snapshot(tmp_path, postgres_db):
    db = postgres_db["database"]
    psql(db, "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 10);")
    profile = pg_profile(tmp_path, db)
    outcome = run_repository(profile, profile.repository("pg"))
    import json

    manifest = json.loads(open(outcome.manifest).read())
    assert manifest["row_counts"] == {db: {"public.t": 10}}
    psql(db, "INSERT INTO t VALUES (11)")  # written after the backup: the run still restores what it counted
    assert verify(profile, outcome.run_id, "restore").outcome == "passed"


def test_mariadb_every_level_and_damage_caught(tmp_path, mariadb_db):
    db = mariadb_db["database"]
    maria(mariadb_db, "CREATE TABLE books (id INT PRIMARY KEY AUTO_INCREMENT, title TEXT);"
                      "INSERT INTO books(title) VALUES ('Quijote'), ('La Regenta'), ('it''s');"
                      "CREATE TABLE loans (book INT);", db)
    before = scratch_maria(mariadb_db)
    profile = maria_profile(tmp_path, db)
    outcome = run_repository(profile, profile.repository("my"))
    assert outcome.state == "good", outcome.message
    result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "passed", failed_checks(result)
    assert "2 table(s), 3 rows" in next(c.detail for c in result.checks if c.name == f"rows {db}")
    assert not scratch_maria(mariadb_db) - before

    part = f"{db}.sql.zst"
    dump = unzstd(f"{outcome.artifact}/{part}")
    rewrite_part(profile, outcome.run_id, part, zstd_bytes(dump[:len(dump) // 2]), keep_checksums=True)
    assert "completion line is missing" in failed_checks(verify(profile, outcome.run_id, "structure"))[
        f"complete {part}"]

    # Complete-looking, but a row short: only the trial restore's counts tell.
    fewer = dump.replace(b"(3,'it\\'s')", b"").replace(b"'La Regenta'),", b"'La Regenta')")
    assert fewer != dump
    rewrite_part(profile, outcome.run_id, part, zstd_bytes(fewer), keep_checksums=True)
    assert verify(profile, outcome.run_id, "structure").outcome == "passed"
    result = verify(profile, outcome.run_id, "restore")
    assert "books: 2 rows, 3 at backup" in failed_checks(result)[f"rows {db}"]
    assert not scratch_maria(mariadb_db) - before


def test_mariadb_trial_restore_with_a_password_keeps_it_out_of_argv(tmp_path, mariadb_db, mariadb_user, monkeypatch):
    from tests.engine_helpers import ProcWatcher

    db = mariadb_db["database"]
    user, password = mariadb_user
    maria(mariadb_db, "CREATE TABLE t (x INT); INSERT INTO t VALUES (1), (2);", db)
    monkeypatch.setenv("DSE_TEST_MY_PASSWORD", password)
    profile = profile_with(tmp_path, f"{{id: my, kind: database, driver: mysql, source: {{host: 127.0.0.1, "
                                     f"port: 3306, user: {user}, databases: [{db}], "
                                     f"password_env: DSE_TEST_MY_PASSWORD}}}}")
    with ProcWatcher() as watcher:
        outcome = run_repository(profile, profile.repository("my"))
        assert outcome.state == "good", outcome.message
        result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "passed", failed_checks(result)
    assert not any(password in c for c in watcher.cmdlines)


def test_another_sessions_temporary_table_does_not_break_the_row_counts(tmp_path, postgres_db):
    db = postgres_db["database"]
    psql(db, "CREATE TABLE t (x int); INSERT INTO t VALUES (1);")
    holder = subprocess.Popen(["psql", "-XAtq", "-h", "127.0.0.1", "-U", "postgres", "-d", db],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    holder.stdin.write("CREATE TEMP TABLE scratch AS SELECT 1 AS y; SELECT 'ready';\n")
    holder.stdin.flush()
    assert holder.stdout.readline().strip() == "ready"
    try:
        profile = pg_profile(tmp_path, db)
        outcome = run_repository(profile, profile.repository("pg"))
        assert outcome.state == "good", outcome.message
    finally:
        holder.stdin.close()
        holder.wait()


def test_a_server_down_makes_a_scheduled_verification_inconclusive_not_a_verdict(tmp_path, postgres_db):
    """The trial restore needs the server; when it is down the run is not damaged: it stays good, no manual
    backup is asked for, and the verification says it could not be made."""
    from dse_tui.core.catalog import Catalog
    from dse_tui.core.profile.config import load_profile
    from dse_tui.core.verification.runs import verify_run

    db = postgres_db["database"]
    psql(db, "CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2);")
    profile = pg_profile(tmp_path, db)
    outcome = run_repository(profile, profile.repository("pg"))
    assert outcome.state == "good", outcome.message
    profile.file.write_text(profile.file.read_text().replace("port: 5432", "port: 1"))  # the server "is down"
    down = load_profile(profile.file)
    with Catalog(down.catalog_path) as catalog:
        result = verify_run(down, catalog, catalog.run(outcome.run_id), level="restore", trigger="cli")
        assert result.outcome == "inconclusive", result.message
        assert any(c.inconclusive and "scratch database" in c.name for c in result.checks)
        assert all(c.ok for c in result.checks if not c.inconclusive), "what could be checked passed"
        assert catalog.run(outcome.run_id).state == "good"
        assert catalog.manual_required_since("pg") is None
        assert catalog.verifications(outcome.run_id)[0].outcome == "inconclusive"


def test_a_scratch_database_with_a_stuck_session_is_still_dropped(tmp_path, postgres_db, monkeypatch):
    """A client left connected to the scratch database (here: one the test opens) must not leave it behind."""
    import dse_tui.core.drivers.postgresql as pg

    db = postgres_db["database"]
    psql(db, "CREATE TABLE t (id int); INSERT INTO t VALUES (1);")
    profile = pg_profile(tmp_path, db)
    outcome = run_repository(profile, profile.repository("pg"))
    assert outcome.state == "good", outcome.message
    stuck = []
    real = pg.count_rows

    def count_and_leave_a_session(stage, timeout):
        name = stage.argv[stage.argv.index("-d") + 1]
        stuck.append(subprocess.Popen(["psql", "-XAtq", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-c",
                                       "select pg_sleep(60)"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(50):  # until the session is really in
            if psql("postgres", f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{name}'").strip() != "0":
                break
            time.sleep(0.1)
        return real(stage, timeout)

    monkeypatch.setattr(pg, "count_rows", count_and_leave_a_session)
    before = scratch_pg()
    try:
        result = verify(profile, outcome.run_id, "restore")
        assert result.outcome == "passed", failed_checks(result)
        assert not scratch_pg() - before, "the scratch database was dropped, its stuck session ended"
    finally:
        for p in stuck:
            p.kill()
            p.wait()
