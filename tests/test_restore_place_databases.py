"""Restores of database runs from a copy (`restore --from`) on a fresh machine: no profile, no catalog, only
dse-tui and the server's client tools. The copy's manifest says the driver; the server and the new database
are named on the command line; the restored rows are compared with the source's."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from dse_tui.core.engine.runner import run_repository
from dse_tui.core.profile.config import load_profile
from tests.conftest import write_profile
from tests.test_engine_databases import psql
from tests.test_restore_place import assert_fresh, copied, dse, fresh_env

ROWS = "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM staff"
PAY = "SELECT string_agg(who || '=' || amount, ',' ORDER BY who) FROM hr.pay"


def database_site(tmp_path: Path, repo_yaml: str):
    body = f"""\
site: {{id: t, name: Test}}
storage: {{root: ./backups, catalog: ./catalog.sqlite}}
destinations:
  - {{id: share, kind: directory, path: ./share}}
repositories:
  - {repo_yaml}
"""
    (tmp_path / "share").mkdir()
    profile = load_profile(write_profile(tmp_path, body.replace("destinations: [share]", "destinations: []")))
    outcome = run_repository(profile, profile.repositories[0])
    assert outcome.state == "good", outcome.message
    profile = load_profile(write_profile(tmp_path, body))
    copied(profile)
    return profile, outcome.run_id


@pytest.fixture
def dropped():
    made: list[str] = []
    yield made
    for name in made:
        psql("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_postgresql_copy_is_restored_into_a_new_database_on_a_fresh_machine(tmp_path, postgres_db, dropped):
    db = postgres_db["database"]
    psql(db, "CREATE TABLE staff (id serial PRIMARY KEY, name text); INSERT INTO staff(name) VALUES ('ana'), ('eva');"
             "CREATE SCHEMA hr; CREATE TABLE hr.pay (who text, amount int); INSERT INTO hr.pay VALUES ('ana', 10);")
    profile, run_id = database_site(tmp_path, f"{{id: pg, kind: database, driver: postgresql, source: {{host: "
                                              f"127.0.0.1, port: 5432, user: postgres, databases: [{db}]}}, "
                                              f"destinations: [share]}}")
    env = fresh_env(tmp_path)
    target = f"dse_from_{uuid.uuid4().hex[:8]}"
    dropped.append(target)
    result = dse("restore", "--from", str(tmp_path / "share"), "--to", target, "--host", "127.0.0.1",
                 "--port", "5432", "--user", "postgres", "--json", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    (out,) = json.loads(result.stdout)
    assert out["outcome"] == "done" and out["run_id"] == run_id and out["target"] == target
    assert psql(target, ROWS) == psql(db, ROWS) == "1:ana,2:eva\n"
    assert psql(target, PAY) == psql(db, PAY)
    assert_fresh(env)
    # The same again: the database is there now, refused without --force, and left as it is.
    again = dse("restore", "--from", str(tmp_path / "share"), "--to", target, "--host", "127.0.0.1",
                "--user", "postgres", env=env, cwd=tmp_path)
    assert again.returncode == 1 and target in again.stderr and "--force" in again.stderr
    assert psql(target, ROWS) == "1:ana,2:eva\n"


def test_one_database_and_one_table_of_a_postgresql_copy_by_name(tmp_path, postgres_db, dropped):
    db = postgres_db["database"]
    other = f"dse_other_{uuid.uuid4().hex[:8]}"
    dropped.append(other)
    psql("postgres", f"CREATE DATABASE {other}")
    psql(other, "CREATE TABLE staff (id int, name text); INSERT INTO staff VALUES (7, 'otro')")
    psql(db, "CREATE TABLE staff (id serial PRIMARY KEY, name text); INSERT INTO staff(name) VALUES ('ana'), ('eva');"
             "CREATE SCHEMA hr; CREATE TABLE hr.pay (who text, amount int); INSERT INTO hr.pay VALUES ('ana', 10);")
    database_site(tmp_path, f"{{id: pg, kind: database, driver: postgresql, source: {{host: 127.0.0.1, port: 5432, "
                            f"user: postgres, databases: [{db}, {other}]}}, destinations: [share]}}")
    env = fresh_env(tmp_path)
    server = ("--host", "127.0.0.1", "--user", "postgres")
    target = f"dse_from_{uuid.uuid4().hex[:8]}"
    dropped.append(target)
    unnamed = dse("restore", "--from", str(tmp_path / "share"), "--to", target, *server, env=env, cwd=tmp_path)
    assert unnamed.returncode == 1 and "--database" in unnamed.stderr
    result = dse("restore", "--from", str(tmp_path / "share"), "--to", target, "--database", other, *server,
                 env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert psql(target, ROWS) == "7:otro\n"
    part = f"dse_from_{uuid.uuid4().hex[:8]}"
    dropped.append(part)
    result = dse("restore", "--from", str(tmp_path / "share"), "--to", part, "--database", db, "--table", "hr.pay",
                 *server, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert psql(part, "SELECT string_agg(table_schema || '.' || table_name, ',') FROM information_schema.tables "
                      "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')") == "hr.pay\n"
    assert psql(part, PAY) == psql(db, PAY)


def test_a_postgresql_copy_whose_roles_this_server_lacks_is_restored_with_the_data(tmp_path, postgres_db, dropped):
    db = postgres_db["database"]
    role = f"dse_gone_{uuid.uuid4().hex[:8]}"
    reader = f"{role}_r"
    psql("postgres", f"CREATE ROLE {role}; CREATE ROLE {reader}")
    try:
        psql(db, "CREATE TABLE staff (id serial PRIMARY KEY, name text); INSERT INTO staff(name) VALUES ('ana'), "
                 f"('eva'); ALTER TABLE staff OWNER TO {role}; CREATE SCHEMA hr AUTHORIZATION {role};"
                 "CREATE TABLE hr.pay (who text, amount int); INSERT INTO hr.pay VALUES ('ana', 10);"
                 f"GRANT SELECT ON hr.pay TO {reader}")
        database_site(tmp_path, f"{{id: pg, kind: database, driver: postgresql, source: {{host: 127.0.0.1, "
                                f"port: 5432, user: postgres, databases: [{db}]}}, destinations: [share]}}")
        expected = psql(db, ROWS)
    finally:  # the new server: the role is not there
        psql("postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        psql("postgres", f"DROP ROLE IF EXISTS {role}; DROP ROLE IF EXISTS {reader}")
    env = fresh_env(tmp_path)
    target = f"dse_from_{uuid.uuid4().hex[:8]}"
    dropped.append(target)
    result = dse("restore", "--from", str(tmp_path / "share"), "--to", target, "--host", "127.0.0.1",
                 "--user", "postgres", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert psql(target, ROWS) == expected == "1:ana,2:eva\n"
    assert psql(target, PAY) == "ana=10\n"
    assert f"{role}, {reader}" in result.stderr and "globals.sql" in result.stderr
