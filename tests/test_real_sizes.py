"""Databases at a department's size (tens of MB through the pipes), and a backup role that is not a
superuser, against the real servers: run → restore-level verification → restore, rows and checksums
compared. What passes at 500 KB failed at 1.3 MB (issue 16): a reader that stops early, a pipe's size.
A file tree of 30 MB and 2,000 files the same way, compared with its source entry by entry."""

from __future__ import annotations

import json
import os
import uuid

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.check import check_repository
from dse_tui.core.engine.runner import run_repository
from tests.engine_helpers import failed_checks, manifest_of, profile_with, verify
from tests.test_engine_databases import psql
from tests.test_restore import do_restore
from tests.test_verify_databases import maria
from tests.tree_helpers import differences, snapshot

MIB = 1 << 20


def pg_checksum(db: str, table: str, key: str) -> str:
    return psql(db, f"SELECT count(*) || ':' || md5(string_agg(md5(t::text), '' ORDER BY {key})) FROM {table} t")


def fill_postgresql(db: str) -> None:
    """pgbench's accounts at scale 5 (500,000 rows), and text that does not compress to nothing."""
    psql(db, "CREATE TABLE accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84));"
             "INSERT INTO accounts SELECT g, (g - 1) / 100000 + 1, 0, '' FROM generate_series(1, 500000) g;"
             "CREATE TABLE notes (id int PRIMARY KEY, body text);"
             "INSERT INTO notes SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 200000) g;")


@pytest.fixture
def pg_role(postgres_db):
    """A login role as a site's backup role is: no superuser, nothing granted yet."""
    role = f"dse_backup_{uuid.uuid4().hex[:8]}"
    psql("postgres", f"CREATE ROLE {role} LOGIN")
    yield role
    owned = psql("postgres", f"SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
                             f"WHERE r.rolname = '{role}'")
    for name in owned.split():  # what a restore made as the role
        psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(postgres_db["database"], f"DROP OWNED BY {role}")  # the grants the test gave it there
    psql("postgres", f"DROP ROLE IF EXISTS {role}")


def pg_profile(tmp_path, db: str, user: str = "postgres", extra: str = ""):
    return profile_with(tmp_path, f"{{id: pg, kind: database, driver: postgresql, verify: restore, source: "
                                  f"{{host: 127.0.0.1, port: 5432, user: {user}, databases: [{db}]{extra}}}}}")


def test_postgresql_of_tens_of_megabytes_round_trips(tmp_path, postgres_db):
    db = postgres_db["database"]
    fill_postgresql(db)
    assert int(psql(db, "SELECT pg_database_size(current_database())")) > 50 * MIB
    profile = pg_profile(tmp_path, db)
    outcome = run_repository(profile, profile.repository("pg"))
    assert outcome.state == "good", outcome.message  # verified at restore level as part of the run
    manifest = json.loads(open(outcome.manifest).read())
    assert manifest["row_counts"][db] == {"public.accounts": 500_000, "public.notes": 200_000}
    result = verify(profile, outcome.run_id, "structure")
    assert result.outcome == "passed", failed_checks(result)
    result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "passed", failed_checks(result)
    target = f"dse_restored_{uuid.uuid4().hex[:8]}"
    try:
        restored = do_restore(profile, outcome.run_id, target)
        assert restored.outcome == "done", restored.message
        for table, key in (("accounts", "aid"), ("notes", "id")):
            assert pg_checksum(target, table, key) == pg_checksum(db, table, key)
    finally:
        psql("postgres", f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")


def test_mariadb_of_tens_of_megabytes_round_trips(tmp_path, mariadb_db):
    db = mariadb_db["database"]
    maria(mariadb_db, "CREATE TABLE t (id INT PRIMARY KEY, a CHAR(32), b VARCHAR(100)) ENGINE=InnoDB;"
                      "INSERT INTO t SELECT seq, md5(seq), repeat(md5(seq * 7), 2) FROM seq_1_to_400000;", db)
    assert int(maria(mariadb_db, "SELECT SUM(LENGTH(a) + LENGTH(b) + 4) FROM t", db)) > 35 * MIB
    profile = profile_with(tmp_path, f"{{id: my, kind: database, driver: mysql, verify: restore, source: "
                                     f"{{host: 127.0.0.1, port: 3306, user: root, databases: [{db}]}}}}")
    outcome = run_repository(profile, profile.repository("my"))
    assert outcome.state == "good", outcome.message
    result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "passed", failed_checks(result)
    assert "400000 rows" in next(c.detail for c in result.checks if c.name == f"rows {db}")
    target = f"dse_restored_{uuid.uuid4().hex[:8]}"
    checksum = "SELECT COUNT(*), MD5(GROUP_CONCAT(MD5(CONCAT(id, a, b)) ORDER BY id SEPARATOR '')) FROM t"
    try:
        maria(mariadb_db, "SET GLOBAL group_concat_max_len = 64 * 1024 * 1024")
        restored = do_restore(profile, outcome.run_id, target)
        assert restored.outcome == "done", restored.message
        assert maria(mariadb_db, checksum, target) == maria(mariadb_db, checksum, db)
    finally:
        maria(mariadb_db, f"DROP DATABASE IF EXISTS {target}")


def test_a_postgresql_backup_role_that_is_not_a_superuser(tmp_path, postgres_db, pg_role):
    db = postgres_db["database"]
    psql(db, "CREATE TABLE grades (id int PRIMARY KEY, mark int); INSERT INTO grades SELECT g, g % 10 "
             "FROM generate_series(1, 1000) g;")
    profile = pg_profile(tmp_path, db, pg_role)
    repo = profile.repository("pg")

    # check tries what the run will do with the role, and names each privilege missing.
    problems = [f.message for f in check_repository(profile, repo, {}) if f.level == "error"]
    assert any("permission denied for table grades" in p and "pg_read_all_data" in p for p in problems), problems
    assert any("permission denied for table pg_authid" in p and "without-passwords" in p for p in problems), problems
    assert any("CREATEDB" in p for p in problems), problems

    # The run fails with the tool's own error line, not the detail pg_dumpall writes after it.
    outcome = run_repository(profile, repo)
    assert outcome.state == "failed"
    assert "ERROR:  permission denied for table pg_authid" in outcome.message, outcome.message
    assert "Query was" not in outcome.message

    # SELECT on the table but not on its sequence: a schema dump reads no sequence, the run does.
    psql(db, f"CREATE SEQUENCE grades_seq; GRANT SELECT ON grades TO {pg_role}")
    problems = [f.message for f in check_repository(profile, repo, {}) if f.level == "error"]
    assert any("grades_seq" in p for p in problems) and not any("grades," in p for p in problems), problems

    # The privileges the README names, and the globals without password hashes: all of it works.
    psql("postgres", f"GRANT pg_read_all_data TO {pg_role}; ALTER ROLE {pg_role} CREATEDB")
    profile = pg_profile(tmp_path, db, pg_role, ", globals: without-passwords")
    repo = profile.repository("pg")
    assert [f.message for f in check_repository(profile, repo, {}) if f.level == "error"] == []
    outcome = run_repository(profile, repo)
    assert outcome.state == "good", outcome.message
    assert verify(profile, outcome.run_id, "restore").outcome == "passed"
    target = f"dse_restored_{uuid.uuid4().hex[:8]}"
    restored = do_restore(profile, outcome.run_id, target)
    assert restored.outcome == "done", restored.message
    assert pg_checksum(target, "grades", "id") == pg_checksum(db, "grades", "id")


def test_check_names_what_a_mariadb_user_lacks_for_restore_level_verification(tmp_path, mariadb_db):
    user = f"dse_{uuid.uuid4().hex[:8]}"
    db = mariadb_db["database"]
    maria(mariadb_db, f"CREATE USER '{user}'@'%'; GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON "
                      f"`{db}`.* TO '{user}'@'%';")
    try:
        profile = profile_with(tmp_path, f"{{id: my, kind: database, driver: mysql, verify: restore, source: "
                                         f"{{host: 127.0.0.1, port: 3306, user: {user}, databases: [{db}]}}}}")
        problems = [f.message for f in check_repository(profile, profile.repository("my"), {}) if f.level == "error"]
        assert len(problems) == 1 and "dse\\_verify\\_%" in problems[0], problems
        maria(mariadb_db, f"GRANT ALL ON `dse\\_verify\\_%`.* TO '{user}'@'%'")
        assert [f for f in check_repository(profile, profile.repository("my"), {}) if f.level == "error"] == []
    finally:
        maria(mariadb_db, f"DROP USER IF EXISTS '{user}'@'%'")


def test_check_tries_the_dump_and_names_a_privilege_the_mariadb_user_lacks(tmp_path, mariadb_db):
    """A user that logs in and reads every table, but may not read a view's definition: only the dump
    itself (mariadb-dump's SHOW CREATE of the view) finds it, so check must try the dump as the run will."""
    user = f"dse_{uuid.uuid4().hex[:8]}"
    db = mariadb_db["database"]
    maria(mariadb_db, "CREATE TABLE marks (id INT PRIMARY KEY, mark INT); INSERT INTO marks VALUES (1, 5);"
                      "CREATE VIEW good_marks AS SELECT id FROM marks WHERE mark > 3;", db)
    maria(mariadb_db, f"CREATE USER '{user}'@'%'; GRANT SELECT, TRIGGER, EVENT, LOCK TABLES ON `{db}`.* "
                      f"TO '{user}'@'%';")
    try:
        profile = profile_with(tmp_path, f"{{id: my, kind: database, driver: mysql, verify: structure, source: "
                                         f"{{host: 127.0.0.1, port: 3306, user: {user}, databases: [{db}]}}}}")
        repo = profile.repository("my")
        problems = [f.message for f in check_repository(profile, repo, {}) if f.level == "error"]
        assert len(problems) == 1, problems
        assert f"the dump of {db}" in problems[0] and "SHOW VIEW command denied" in problems[0], problems
        assert "SHOW VIEW, TRIGGER" in problems[0], problems  # what to grant

        outcome = run_repository(profile, repo)
        assert outcome.state == "failed"
        assert "mariadb-dump: Couldn't execute 'show create table `good_marks`': SHOW VIEW command denied" \
            in outcome.message, outcome.message

        maria(mariadb_db, f"GRANT SHOW VIEW ON `{db}`.* TO '{user}'@'%'")
        assert [f for f in check_repository(profile, repo, {}) if f.level == "error"] == []
        outcome = run_repository(profile, repo)
        assert outcome.state == "good", outcome.message
    finally:
        maria(mariadb_db, f"DROP USER IF EXISTS '{user}'@'%'")


def test_a_failed_mariadb_query_reports_the_clients_error_line(tmp_path, mariadb_db):
    """The run counts rows before it dumps; a table the user sees but may not read fails that count with
    ERROR 1142, which the client writes after the statement it echoes between dashed lines. The table is
    named `error` so that the echoed statement itself would pass for the error line."""
    user = f"dse_{uuid.uuid4().hex[:8]}"
    db = mariadb_db["database"]
    maria(mariadb_db, "CREATE TABLE marks (id INT PRIMARY KEY); CREATE TABLE `error` (id INT PRIMARY KEY);", db)
    maria(mariadb_db, f"CREATE USER '{user}'@'%'; GRANT SELECT ON `{db}`.marks TO '{user}'@'%'; "
                      f"GRANT INSERT ON `{db}`.`error` TO '{user}'@'%';")
    try:
        profile = profile_with(tmp_path, f"{{id: my, kind: database, driver: mysql, verify: structure, source: "
                                         f"{{host: 127.0.0.1, port: 3306, user: {user}, databases: [{db}]}}}}")
        outcome = run_repository(profile, profile.repository("my"))
        assert outcome.state == "failed"
        prefix = f"cannot count the rows of {db}: "
        assert prefix in outcome.message, outcome.message
        reported = outcome.message[outcome.message.index(prefix) + len(prefix):]
        assert reported.startswith("ERROR 1142 (42000) at line 1: SELECT command denied to user"), reported
        assert "-----" not in outcome.message and "COUNT(*)" not in outcome.message, outcome.message
        assert "the user lacks a privilege the dump needs" in reported, reported  # advice() still follows
    finally:
        maria(mariadb_db, f"DROP USER IF EXISTS '{user}'@'%'")


def test_tens_of_megabytes_and_thousands_of_files_round_trip(tmp_path):
    """A tree of a real size through the whole path: run, restore-level verification, restore."""
    srv = tmp_path / "srv"
    for i in range(3):  # random data: zstd cannot shrink it, every byte is carried
        (srv / "blobs").mkdir(parents=True, exist_ok=True)
        (srv / "blobs" / f"b{i}.bin").write_bytes(os.urandom(10 * 1024 * 1024))
    for d in range(40):
        folder = srv / "site" / f"d{d:02d}"
        folder.mkdir(parents=True)
        for f in range(50):
            (folder / f"page{f:02d}.html").write_text(f"<p>{d} {f}</p>\n" * (f + 1))
    os.link(srv / "blobs" / "b0.bin", srv / "site" / "b0-again.bin")
    for folder in srv.rglob("*"):
        if folder.is_dir():
            os.utime(folder, ns=(1_400_000_000_000_000_001,) * 2)
    profile = profile_with(tmp_path, "{id: t, kind: config, driver: files, verify: restore, source: {path: ./srv}}")
    outcome = run_repository(profile, profile.repository("t"))
    assert outcome.state == "good", outcome.message
    manifest = manifest_of(outcome)
    assert manifest["file_count"] == 2003 and manifest["bytes"] > 30 * 1024 * 1024
    with Catalog(profile.catalog_path) as catalog:
        assert [v.outcome for v in catalog.verifications(outcome.run_id)] == ["passed"]
    result = do_restore(profile, outcome.run_id, str(tmp_path / "restored"))
    assert result.outcome == "done", result.message
    assert differences(snapshot(srv), snapshot(tmp_path / "restored")) == []
