"""PostgreSQL and MariaDB backups against the real servers: fill, back up, restore into a fresh database,
compare the rows; and the password never reaches argv, the manifest, the catalog or the log."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.engine.runner import run_repository
from tests.engine_helpers import ProcWatcher, manifest_of, profile_with


def psql(db: str, sql: str) -> str:
    return subprocess.run(["psql", "-XAtq", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-c", sql],
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture
def restore_pg():
    name = f"dse_restore_{uuid.uuid4().hex[:8]}"
    psql("postgres", f"CREATE DATABASE {name}")
    yield name
    psql("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_postgresql_dump_restores_with_the_same_rows(tmp_path, postgres_db, restore_pg, monkeypatch):
    db = postgres_db["database"]
    psql(db, "CREATE TABLE students (id serial PRIMARY KEY, name text, grade numeric);"
             "INSERT INTO students(name, grade) SELECT 'student ' || g, g % 10 FROM generate_series(1, 5000) g;"
             "CREATE TABLE courses (code text PRIMARY KEY); INSERT INTO courses VALUES ('MAT101'), ('FIS201');")
    secret = f"pg-secret-{uuid.uuid4().hex}"
    monkeypatch.setenv("DSE_TEST_PG_PASSWORD", secret)  # trust auth ignores it; it must still stay hidden
    profile = profile_with(tmp_path, f"{{id: pg, kind: database, driver: postgresql, source: {{host: 127.0.0.1, "
                                     f"port: 5432, user: postgres, databases: [{db}], "
                                     f"password_env: DSE_TEST_PG_PASSWORD}}}}")
    with ProcWatcher() as watcher:
        outcome = run_repository(profile, profile.repository("pg"))
    assert outcome.state == "good", outcome.message
    manifest = manifest_of(outcome)
    assert [p["file"] for p in manifest["parts"]] == ["globals.sql.zst", f"{db}.pgdump.zst", "audit-log.jsonl.zst"]
    assert any("pg_dump -Fc -Z0 --snapshot=" in c and c.rstrip().endswith("-d " + db) for c in watcher.cmdlines), "the watcher saw the dump run"
    assert not any(secret in c for c in watcher.cmdlines)
    dump = f"{outcome.artifact}/{db}.pgdump.zst"
    subprocess.run(f"zstd -dc {dump} | pg_restore -h 127.0.0.1 -U postgres -d {restore_pg}", shell=True, check=True)
    for table in ("students", "courses"):
        query = f"SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {table} t"
        assert psql(restore_pg, query) == psql(db, query)
    assert psql(restore_pg, "SELECT count(*) FROM students").strip() == "5000"
    globals_sql = subprocess.run(["zstd", "-dc", f"{outcome.artifact}/globals.sql.zst"], capture_output=True,
                                 text=True, check=True).stdout
    assert "CREATE ROLE postgres" in globals_sql
    assert_secret_absent(secret, profile, outcome)


def catalog_bytes(path) -> bytes:
    """All the catalog holds: the SQLite file, or a plain dump of the PostgreSQL database standing for it."""
    from tests import pg_catalogs

    if not pg_catalogs.ON_POSTGRESQL:
        return Path(path).read_bytes()
    return subprocess.run(["pg_dump", "-d", pg_catalogs.CURRENT.url_for(path)], capture_output=True,
                          check=True).stdout


def assert_secret_absent(secret: str, profile, outcome) -> None:
    assert secret.encode() not in open(outcome.manifest, "rb").read()
    assert secret.encode() not in catalog_bytes(profile.catalog_path)
    with Catalog(profile.catalog_path) as catalog:
        assert secret not in (catalog.run_log(outcome.run_id) or "")
        assert not any(secret in str(e) for e in catalog.events(1000))


def test_postgresql_missing_database_fails_with_the_reason(tmp_path, postgres_db):
    profile = profile_with(tmp_path, "{id: pg, kind: database, driver: postgresql, source: {host: 127.0.0.1, "
                                     "user: postgres, databases: [no_such_db_dse], globals: false}}")
    outcome = run_repository(profile, profile.repository("pg"))
    assert outcome.state == "failed" and 'database "no_such_db_dse" does not exist' in outcome.message
    assert outcome.message.endswith("— check the names in the profile's source")


def mariadb(client: str, sql: str, db: str = "") -> str:
    argv = [client, "-h", "127.0.0.1", "-u", "root", "-N", "-B", "-e", sql] + ([db] if db else [])
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def test_mariadb_dump_restores_with_the_same_rows(tmp_path, mariadb_db, mariadb_user, monkeypatch):
    client, db = mariadb_db["client"], mariadb_db["database"]
    user, password = mariadb_user
    mariadb(client, "CREATE TABLE books (id INT PRIMARY KEY AUTO_INCREMENT, title VARCHAR(200)) ENGINE=InnoDB;"
                    "INSERT INTO books(title) VALUES ('Ficciones'), ('Rayuela'), ('El túnel');"
                    "CREATE TRIGGER t_upper BEFORE INSERT ON books FOR EACH ROW SET NEW.title = TRIM(NEW.title);", db)
    monkeypatch.setenv("DSE_TEST_MY_PASSWORD", password)
    profile = profile_with(tmp_path, f"{{id: my, kind: database, driver: mysql, source: {{host: 127.0.0.1, "
                                     f"port: 3306, user: {user}, databases: [{db}], "
                                     f"password_env: DSE_TEST_MY_PASSWORD}}}}")
    with ProcWatcher() as watcher:
        outcome = run_repository(profile, profile.repository("my"))
    assert outcome.state == "good", outcome.message
    assert any("--single-transaction --routines --triggers --events" in c for c in watcher.cmdlines)
    assert not any(password in c for c in watcher.cmdlines)
    restored = f"{db}_r"
    mariadb(client, f"CREATE DATABASE {restored}")
    try:
        subprocess.run(f"zstd -dc {outcome.artifact}/{db}.sql.zst | {client} -h 127.0.0.1 -u root {restored}",
                       shell=True, check=True)
        query = "SELECT id, title FROM books ORDER BY id"
        assert mariadb(client, query, restored) == mariadb(client, query, db)
        assert "t_upper" in mariadb(client, "SHOW TRIGGERS", restored)
    finally:
        mariadb(client, f"DROP DATABASE IF EXISTS {restored}")
    dump_tail = subprocess.run(f"zstd -dc {outcome.artifact}/{db}.sql.zst | tail -n 1", shell=True,
                               capture_output=True, text=True).stdout
    assert dump_tail.startswith("-- Dump completed")
    assert_secret_absent(password, profile, outcome)
    assert not list(tmp_path.glob("*.cnf")), "no option file left behind"


def test_mariadb_wrong_password_fails_clearly(tmp_path, mariadb_db, mariadb_user, monkeypatch):
    user, password = mariadb_user
    monkeypatch.setenv("DSE_TEST_MY_PASSWORD", "not-the-password")
    profile = profile_with(tmp_path, f"{{id: my, kind: database, driver: mysql, source: {{host: 127.0.0.1, "
                                     f"user: {user}, databases: [{mariadb_db['database']}], "
                                     f"password_env: DSE_TEST_MY_PASSWORD}}}}")
    outcome = run_repository(profile, profile.repository("my"))
    assert outcome.state == "failed" and "Access denied" in outcome.message
    assert outcome.message.endswith("— check the user and the password (password_env or passfile) in the profile")
    assert "not-the-password" not in outcome.message


def test_mariadb_all_databases_skips_the_system_ones(tmp_path, mariadb_db):
    profile = profile_with(tmp_path, "{id: my, kind: database, driver: mysql, source: {host: 127.0.0.1, "
                                     "user: root}}")
    outcome = run_repository(profile, profile.repository("my"))
    assert outcome.state == "good", outcome.message
    databases = manifest_of(outcome)["databases"]
    assert mariadb_db["database"] in databases and "mysql" in databases
    assert not {"information_schema", "performance_schema", "sys"} & set(databases)
