"""Verification of runs from remote sources, through the real loopback sshd: the trial restore of a
remote database happens on that server, over the connection, with its password still out of argv."""

from __future__ import annotations

import os

from dse_tui.core.engine.runner import run_repository
from tests.conftest import ssh_yaml
from tests.engine_helpers import ProcWatcher, failed_checks, profile_with, verify
from tests.test_engine_databases import mariadb, psql
from tests.test_verify_databases import scratch_maria, scratch_pg


def test_remote_files_pass_every_level(tmp_path, sshd):
    tree = tmp_path / "remote-www"
    (tree / "img").mkdir(parents=True)
    (tree / "index.html").write_text("<p>remote</p>")
    (tree / "img" / "logo.png").write_bytes(os.urandom(100_000))
    profile = profile_with(tmp_path, f"{{id: rw, kind: web, driver: files, ssh: {ssh_yaml(sshd)}, "
                                     f"source: {{path: {tree}}}, verify: restore}}")
    outcome = run_repository(profile, profile.repository("rw"))
    assert outcome.state == "good", outcome.message
    result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "passed", failed_checks(result)


def test_remote_postgresql_trial_restore_on_the_server(tmp_path, sshd, postgres_db):
    db = postgres_db["database"]
    psql(db, "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 500);")
    before = scratch_pg()
    profile = profile_with(tmp_path, f"{{id: rpg, kind: database, driver: postgresql, ssh: {ssh_yaml(sshd)}, "
                                     f"source: {{host: 127.0.0.1, user: postgres, databases: [{db}]}}}}")
    outcome = run_repository(profile, profile.repository("rpg"))
    assert outcome.state == "good", outcome.message
    result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "passed", failed_checks(result)
    assert "500 rows" in next(c.detail for c in result.checks if c.name == f"rows {db}")
    assert not scratch_pg() - before


def test_remote_mariadb_trial_restore_keeps_the_password_out_of_argv(tmp_path, sshd, mariadb_db, mariadb_user,
                                                                     monkeypatch):
    client, db = mariadb_db["client"], mariadb_db["database"]
    user, password = mariadb_user
    mariadb(client, "CREATE TABLE b (id INT PRIMARY KEY); INSERT INTO b VALUES (1), (2), (3);", db)
    before = scratch_maria(mariadb_db)
    monkeypatch.setenv("DSE_TEST_MY_PASSWORD", password)
    profile = profile_with(tmp_path, f"{{id: rmy, kind: database, driver: mysql, ssh: {ssh_yaml(sshd)}, "
                                     f"source: {{host: 127.0.0.1, user: {user}, databases: [{db}], "
                                     f"password_env: DSE_TEST_MY_PASSWORD}}}}")
    with ProcWatcher() as watcher:
        outcome = run_repository(profile, profile.repository("rmy"))
        assert outcome.state == "good", outcome.message
        result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "passed", failed_checks(result)
    assert "3 rows" in next(c.detail for c in result.checks if c.name == f"rows {db}")
    assert not any(password in c for c in watcher.cmdlines)
    assert not scratch_maria(mariadb_db) - before
