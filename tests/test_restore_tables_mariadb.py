"""MariaDB tables restored alone from a database that has a view, stored routines, an event and triggers
(real server): a table comes with its triggers and rows, and nothing else; a view, a routine or an event
named alone is refused before anything is made, saying what it is and how to get it."""

from __future__ import annotations

import os
import uuid

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.engine.runner import run_repository
from dse_tui.core.restore.run import RestoreError
from tests.engine_helpers import profile_with
from tests.test_restore_tables import restore_parts
from tests.test_verify_databases import maria

SCHEMA = """
CREATE TABLE books (id INT PRIMARY KEY, title TEXT);
INSERT INTO books VALUES (1, 'Quijote'), (2, 'Lazarillo');
CREATE TABLE loans (book INT, who TEXT);
INSERT INTO loans VALUES (1, 'eva');
CREATE TABLE log (what TEXT);
CREATE TRIGGER loans_log AFTER INSERT ON loans FOR EACH ROW INSERT INTO log VALUES (NEW.who);
CREATE VIEW on_loan AS SELECT b.title, l.who FROM books b JOIN loans l ON l.book = b.id;
CREATE PROCEDURE lend(IN b INT, IN w TEXT) INSERT INTO loans VALUES (b, w);
CREATE FUNCTION loans_of(b INT) RETURNS INT READS SQL DATA RETURN (SELECT COUNT(*) FROM loans WHERE book = b);
CREATE EVENT tidy ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM log;
"""


@pytest.fixture
def maria_run(tmp_path, mariadb_db, mariadb_user):
    db = mariadb_db["database"]
    maria(mariadb_db, SCHEMA, db)
    user, password = mariadb_user
    profile = profile_with(tmp_path, f"{{id: my, kind: database, driver: mysql, source: {{host: 127.0.0.1, "
                                     f"port: 3306, user: {user}, password_env: DSE_TEST_MY_PW, databases: [{db}]}}}}")
    os.environ["DSE_TEST_MY_PW"] = password
    made: list[str] = []
    try:
        outcome = run_repository(profile, profile.repository("my"))
        assert outcome.state == "good", outcome.message
        yield profile, outcome.run_id, made
    finally:
        for name in made:
            maria(mariadb_db, f"DROP DATABASE IF EXISTS {name}")
        os.environ.pop("DSE_TEST_MY_PW", None)


def new_target(made: list[str]) -> str:
    made.append(f"dse_part_{uuid.uuid4().hex[:8]}")
    return made[-1]


def databases(mariadb_db) -> set[str]:
    return set(maria(mariadb_db, "SHOW DATABASES").split())


def test_a_table_of_a_database_with_views_and_routines_comes_alone_with_its_trigger(maria_run, mariadb_db):
    profile, run_id, made = maria_run
    target = new_target(made)
    result = restore_parts(profile, run_id, target, ["loans", "log"])
    assert result.outcome == "done", result.message
    assert maria(mariadb_db, "SHOW FULL TABLES", target).split() == ["loans", "BASE", "TABLE", "log", "BASE", "TABLE"]
    assert maria(mariadb_db, "SELECT who FROM loans", target) == "eva\n"
    assert maria(mariadb_db, "SHOW TRIGGERS", target).split()[0] == "loans_log"
    maria(mariadb_db, "INSERT INTO loans VALUES (2, 'ana')", target)  # the trigger works in the new database
    assert maria(mariadb_db, "SELECT what FROM log", target) == "ana\n"
    literal = target.replace("'", "''")
    assert maria(mariadb_db, "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = "
                             f"'{literal}'") == "0\n"
    assert maria(mariadb_db, f"SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '{literal}'") == "0\n"
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.restores(run_id)[0].parts == ("loans", "log")


@pytest.mark.parametrize("name, said", [
    ("on_loan", "'on_loan' is a view"),
    ("lend", "'lend' is a stored procedure"),
    ("loans_of", "'loans_of' is a stored function"),
    ("tidy", "'tidy' is an event"),
])
def test_a_view_routine_or_event_alone_is_refused_saying_what_it_is(maria_run, mariadb_db, name, said):
    profile, run_id, made = maria_run
    target = new_target(made)
    with pytest.raises(RestoreError) as refused:
        restore_parts(profile, run_id, target, ["books", name])
    assert said in str(refused.value) and "restore the database whole" in str(refused.value)
    assert target not in databases(mariadb_db)


def test_a_trigger_named_alone_points_to_its_table(maria_run, mariadb_db):
    profile, run_id, made = maria_run
    target = new_target(made)
    with pytest.raises(RestoreError, match="'loans_log' is a trigger of the table loans: it comes with it"):
        restore_parts(profile, run_id, target, ["loans_log"])
    assert target not in databases(mariadb_db)


def test_the_whole_database_keeps_its_view_routines_and_event(maria_run, mariadb_db):
    profile, run_id, made = maria_run
    target = new_target(made)
    result = restore_parts(profile, run_id, target, [])
    assert result.outcome == "done", result.message
    assert maria(mariadb_db, "SELECT title, who FROM on_loan", target) == "Quijote\teva\n"
    assert maria(mariadb_db, "SELECT loans_of(1)", target) == "1\n"
    literal = target.replace("'", "''")
    assert maria(mariadb_db, "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = "
                             f"'{literal}'") == "tidy\n"


def test_the_command_refuses_a_view_in_the_operators_language(maria_run, mariadb_db, capsys):
    from dse_tui.cli import main

    profile, run_id, made = maria_run
    target = new_target(made)
    code = main(["--lang", "es", "restore", str(run_id), "--table", "on_loan", "--to", target,
                 "--profile", str(profile.file)])
    err = capsys.readouterr().err
    assert code == 1 and "'on_loan' es una vista de" in err and "restaure la base de datos entera" in err
    assert target not in databases(mariadb_db)
