"""A MariaDB backup user without TRIGGER on a database gets a dump from mariadb-dump that exits 0 and lacks
the triggers (issue 16): check and the run read what the user holds (drivers/mysql/grants.py) instead of
trusting the dump. Against the real server with throwaway users and roles; the grants' reading on its own
(patterns, the most specific grant, roles) with rows as the server gives them."""

from __future__ import annotations

import re
import uuid

import pytest

from dse_tui.core.drivers.mysql.grants import Grants, like, specificity
from dse_tui.core.profile.check import check_repository
from dse_tui.core.engine.runner import run_repository
from tests.engine_helpers import profile_with, unzstd
from tests.test_verify_databases import maria

READS = "SELECT, SHOW VIEW, EVENT, LOCK TABLES"  # all the dump needs but TRIGGER


@pytest.fixture
def account(mariadb_db):
    """A user (and a role named after it), dropped afterwards; the database holds a table with a trigger."""
    user = f"dse_{uuid.uuid4().hex[:8]}"
    maria(mariadb_db, "CREATE TABLE marks (id INT PRIMARY KEY, mark INT); INSERT INTO marks VALUES (1, 5);"
                      "CREATE TRIGGER marks_bound BEFORE INSERT ON marks FOR EACH ROW SET NEW.mark = LEAST(NEW.mark, 6);",
                      mariadb_db["database"])
    maria(mariadb_db, f"CREATE USER '{user}'@'%'")
    yield user
    maria(mariadb_db, f"DROP USER IF EXISTS '{user}'@'%'; DROP ROLE IF EXISTS {user}_role")


def errors(profile) -> list[str]:
    return [f.message for f in check_repository(profile, profile.repository("my"), {}) if f.level == "error"]


def my_profile(tmp_path, user: str, db: str):
    return profile_with(tmp_path, f"{{id: my, kind: database, driver: mysql, verify: structure, source: "
                                  f"{{host: 127.0.0.1, port: 3306, user: {user}, databases: [{db}]}}}}")


def assert_good_with_the_trigger(profile, db: str) -> None:
    assert errors(profile) == []
    outcome = run_repository(profile, profile.repository("my"))
    assert outcome.state == "good", outcome.message
    assert b"TRIGGER marks_bound BEFORE INSERT ON marks" in unzstd(f"{outcome.artifact}/{db}.sql.zst")


def test_a_user_without_trigger_is_named_by_check_and_fails_the_run(tmp_path, mariadb_db, account):
    db = mariadb_db["database"]
    maria(mariadb_db, f"GRANT {READS} ON `{db}`.* TO '{account}'@'%'")
    profile = my_profile(tmp_path, account, db)
    problems = errors(profile)
    assert len(problems) == 1, problems
    assert f"lacks TRIGGER on {db}" in problems[0] and "leaves its triggers out" in problems[0], problems
    assert f"GRANT TRIGGER ON `{db}`.* TO '{account}'@'%'" in problems[0], problems

    outcome = run_repository(profile, profile.repository("my"))
    assert outcome.state == "failed"
    assert f"lacks TRIGGER on {db}" in outcome.message, outcome.message

    maria(mariadb_db, f"GRANT TRIGGER ON `{db}`.* TO '{account}'@'%'")
    assert_good_with_the_trigger(profile, db)


def test_a_grant_through_a_pattern_counts_unless_an_exact_one_hides_it(tmp_path, mariadb_db, account):
    """MariaDB uses only the most specific database grant that matches: GRANT ALL on a pattern does not
    add TRIGGER to an exact grant on the database that lacks it (the dump then lacks the triggers)."""
    db = mariadb_db["database"]
    pattern = re.sub(r"([_%])", r"\\\1", db[:-3]) + "%"  # the database and nothing another test makes
    maria(mariadb_db, f"GRANT ALL ON `{pattern}`.* TO '{account}'@'%'; GRANT {READS} ON `{db}`.* TO '{account}'@'%'")
    profile = my_profile(tmp_path, account, db)
    problems = errors(profile)
    assert len(problems) == 1 and f"lacks TRIGGER on {db}" in problems[0], problems
    assert f"GRANT TRIGGER ON `{db}`.*" in problems[0], problems  # on the grant in effect

    maria(mariadb_db, f"REVOKE ALL ON `{db}`.* FROM '{account}'@'%'")
    assert_good_with_the_trigger(profile, db)


def test_what_the_default_role_holds_counts_and_another_role_does_not(tmp_path, mariadb_db, account):
    """The information_schema views show a user none of its role's grants; a role counts once enabled at
    login (the default role), as it does for mariadb-dump."""
    db, role = mariadb_db["database"], f"{account}_role"
    maria(mariadb_db, f"GRANT {READS} ON `{db}`.* TO '{account}'@'%'; CREATE ROLE {role}; "
                      f"GRANT TRIGGER ON `{db}`.* TO {role}; GRANT {role} TO '{account}'@'%'")
    profile = my_profile(tmp_path, account, db)
    problems = errors(profile)
    assert len(problems) == 1 and f"lacks TRIGGER on {db}" in problems[0], problems

    maria(mariadb_db, f"SET DEFAULT ROLE {role} FOR '{account}'@'%'")
    assert_good_with_the_trigger(profile, db)


def test_check_warns_when_the_routines_of_another_user_would_be_left_out(tmp_path, mariadb_db, account):
    """Without read access to mysql.proc, mariadb-dump leaves out a procedure the user did not define and
    exits 0; whether a database has such routines the user cannot see, so a warning."""
    db = mariadb_db["database"]
    maria(mariadb_db, "CREATE PROCEDURE best_mark() SELECT MAX(mark) FROM marks", db)
    maria(mariadb_db, f"GRANT {READS}, TRIGGER ON `{db}`.* TO '{account}'@'%'")
    profile = my_profile(tmp_path, account, db)
    warned = [f.message for f in check_repository(profile, profile.repository("my"), {}) if f.level == "warn"]
    assert len(warned) == 1 and f"GRANT SELECT ON mysql.proc TO '{account}'@'%'" in warned[0], warned

    maria(mariadb_db, f"GRANT SELECT ON mysql.proc TO '{account}'@'%'")
    assert [f for f in check_repository(profile, profile.repository("my"), {}) if f.level != "ok"] == []
    outcome = run_repository(profile, profile.repository("my"))
    assert outcome.state == "good", outcome.message
    assert b"PROCEDURE `best_mark`()" in unzstd(f"{outcome.artifact}/{db}.sql.zst")


def test_like_patterns_as_grants_write_them():
    assert like("dse_lab", "dse\\_%") and like("dse_", "dse\\_%") and not like("dseXlab", "dse\\_%")
    assert like("dseXlab", "dse_lab") and like("a%b", "a\\%b") and not like("axb", "a\\%b")
    assert not like("DSE_lab", "dse\\_%")  # database names are case-sensitive on Linux
    ordered = ["dse\\_lab", "dse_lab", "d_e_lab", "dse\\_la%", "dse\\_%", "d%e%", "%"]
    assert sorted(ordered, key=specificity) == ordered


def test_the_most_specific_grant_decides_and_roles_add_to_it():
    rows = [["me", "u@%"], ["global", "'u'@'%'", "USAGE"], ["global", "'v'@'%'", "TRIGGER"],
            ["schema", "'u'@'%'", "lab", "SELECT"], ["schema", "'u'@'%'", "la\\\\_", "SELECT"],
            ["schema", "'u'@'%'", "%", "ALL PRIVILEGES"],
            ["GRANT `r` TO `u`@`%`"], ["GRANT ALL PRIVILEGES ON `x\\\\_%`.* TO `u`@`%`"],
            ["GRANT EVENT ON *.* TO `r`"], ["GRANT SHOW VIEW ON `la\\\\_`.* TO `r`"]]
    grants = Grants.parse(rows)
    assert grants.account == "'u'@'%'"
    assert grants.missing("lab") == ["SHOW VIEW", "TRIGGER"]  # 'v' is another user; `%` is hidden by `lab`
    assert grants.missing("la_") == ["TRIGGER"]  # the role's SHOW VIEW on its own pattern
    assert grants.missing("other") == []  # `%` holds everything
    assert "GRANT SHOW VIEW, TRIGGER ON `lab`.* TO 'u'@'%'" in grants.lacks("lab")
