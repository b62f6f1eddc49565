"""`check` against the real PostgreSQL and MariaDB servers of this machine (never skipped under CI=true)."""

from __future__ import annotations

import os
import subprocess


from dse_tui.core.profile import check as preflight
from dse_tui.core.profile.config import load_profile
from tests.conftest import write_profile


def repo_profile(tmp_path, driver: str, source: str):
    body = f"""\
site: {{id: t, name: T}}
storage: {{root: ./b, catalog: ./c.sqlite}}
repositories:
  - id: db
    kind: database
    driver: {driver}
    source: {source}
"""
    return load_profile(write_profile(tmp_path, body)).repository("db")


def finding(repo):
    (result,) = preflight.check_repository(None, repo, {})
    return result


def test_postgresql_answers(tmp_path, postgres_db):
    repo = repo_profile(tmp_path, "postgresql", f"{{host: 127.0.0.1, port: 5432, user: postgres, "
                                                f"databases: [{postgres_db['database']}]}}")
    result = finding(repo)
    assert result.level == "ok", result
    assert f"PostgreSQL at 127.0.0.1:5432 answers ({postgres_db['database']})" in result.message


def test_postgresql_missing_database_is_named(tmp_path, postgres_db):
    repo = repo_profile(tmp_path, "postgresql", "{host: 127.0.0.1, port: 5432, user: postgres, "
                                                "databases: [no_such_db_here]}")
    result = finding(repo)
    assert result.level == "error"
    assert "database no_such_db_here" in result.message and "does not exist" in result.message


def test_postgresql_unreachable_server(tmp_path, postgres_db):
    repo = repo_profile(tmp_path, "postgresql", "{host: 127.0.0.1, port: 1, user: postgres}")
    result = finding(repo)
    assert result.level == "error" and "127.0.0.1:1" in result.message


def test_mariadb_answers(tmp_path, mariadb_db):
    repo = repo_profile(tmp_path, "mysql", f"{{host: 127.0.0.1, port: 3306, user: root, "
                                           f"databases: [{mariadb_db['database']}]}}")
    result = finding(repo)
    assert result.level == "ok", result


def test_mariadb_missing_database_is_named(tmp_path, mariadb_db):
    repo = repo_profile(tmp_path, "mysql", "{host: 127.0.0.1, port: 3306, user: root, databases: [no_such_db]}")
    result = finding(repo)
    assert result.level == "error" and "database no_such_db" in result.message


def test_mariadb_password_comes_from_the_environment_and_never_reaches_argv(tmp_path, mariadb_db, mariadb_user,
                                                                          monkeypatch):
    user, password = mariadb_user
    repo = repo_profile(tmp_path, "mysql", f"{{host: 127.0.0.1, port: 3306, user: {user}, "
                                           f"databases: [{mariadb_db['database']}], password_env: DSE_TEST_PW}}")
    seen = []
    real_run = subprocess.run

    def spy(argv, *args, **kwargs):
        seen.append((list(argv), kwargs.get("input")))
        return real_run(argv, *args, **kwargs)

    monkeypatch.setattr(preflight.subprocess, "run", spy)
    monkeypatch.setenv("DSE_TEST_PW", password)
    before = set(os.listdir("/tmp"))
    assert finding(repo).level == "ok"
    argv, given = seen[0]
    assert "--defaults-extra-file=/dev/stdin" in argv and password in given  # through stdin...
    assert not any(password in " ".join(a) for a, _ in seen)  # ...never argv
    assert set(os.listdir("/tmp")) - before == set(), "no option file on disk"

    monkeypatch.setenv("DSE_TEST_PW", "wrong")
    result = finding(repo)
    assert result.level == "error" and "Access denied" in result.message
    assert "wrong" not in result.message.replace("wrong password", "")
