"""A part of a database run restored: one table or schema of a PostgreSQL dump into a new database on the
real server (the others absent), SQLite tables into a new file; names the run does not hold refused."""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from dse_tui.cli import main
from dse_tui.core.catalog import Catalog
from dse_tui.core.engine.runner import run_repository
from dse_tui.core.restore.run import RestoreError, plan, restore
from tests.engine_helpers import profile_with
from tests.test_engine_databases import psql

TABLES = ("SELECT string_agg(table_schema || '.' || table_name, ',' ORDER BY 1) FROM information_schema.tables "
          "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")


def restore_parts(profile, run_id, target, parts, **kw):
    with Catalog(profile.catalog_path) as catalog:
        p = plan(profile, catalog.run(run_id), str(target), parts=parts)
        return restore(profile, catalog, p, **kw)


@pytest.fixture
def pg_run(tmp_path, postgres_db):
    db = postgres_db["database"]
    psql(db, "CREATE TABLE staff (id serial PRIMARY KEY, name text); INSERT INTO staff(name) VALUES ('ana'), ('eva');"
             "CREATE TABLE rooms (n int); INSERT INTO rooms VALUES (1), (2), (3);"
             "CREATE SCHEMA hr; CREATE TABLE hr.pay (who text, amount int); INSERT INTO hr.pay VALUES ('ana', 10);"
             "CREATE TABLE hr.leave (who text)")
    profile = profile_with(tmp_path, f"{{id: pg, kind: database, driver: postgresql, source: {{host: 127.0.0.1, "
                                     f"port: 5432, user: postgres, databases: [{db}]}}}}")
    outcome = run_repository(profile, profile.repository("pg"))
    assert outcome.state == "good", outcome.message
    made = []
    yield profile, outcome.run_id, made
    for name in made:
        psql("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_one_postgresql_table_into_a_new_database_and_nothing_else(pg_run):
    profile, run_id, made = pg_run
    target = f"dse_part_{uuid.uuid4().hex[:8]}"
    made.append(target)
    result = restore_parts(profile, run_id, target, ["staff"])
    assert result.outcome == "done", result.message
    assert psql(target, TABLES).strip() == "public.staff"
    assert psql(target, "SELECT string_agg(name, ',' ORDER BY id) FROM staff") == "ana,eva\n"
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.restores(run_id)[0].parts == ("public.staff",)


def test_a_postgresql_schema_and_a_qualified_table_by_the_cli(pg_run, capsys):
    profile, run_id, made = pg_run
    target = f"dse_part_{uuid.uuid4().hex[:8]}"
    made.append(target)
    code = main(["restore", str(run_id), "--table", "hr", "--table", "public.rooms", "--to", target,
                 "--profile", str(profile.file)])
    assert code == 0, capsys.readouterr().err
    assert psql(target, TABLES).strip() == "hr.leave,hr.pay,public.rooms"
    assert psql(target, "SELECT sum(n) FROM rooms") == "6\n"


def test_a_table_the_run_does_not_hold_is_refused_before_any_database_is_made(pg_run, capsys):
    profile, run_id, made = pg_run
    target = f"dse_part_{uuid.uuid4().hex[:8]}"
    with pytest.raises(RestoreError, match="'nope'"):
        restore_parts(profile, run_id, target, ["staff", "nope"])
    assert psql("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{target}'") == "0\n"
    assert main(["restore", str(run_id), "--path", "x", "--to", target, "--profile", str(profile.file)]) == 1
    assert "--table" in capsys.readouterr().err


def test_sqlite_tables_into_a_new_file_with_their_indexes_and_rows(tmp_path):
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        conn.executescript("""
            CREATE TABLE books (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT UNIQUE, year INT);
            CREATE INDEX books_by_year ON books(year);
            CREATE TABLE loans (book INT, who TEXT);
            CREATE TABLE notes (body TEXT);
            CREATE TRIGGER loans_log AFTER INSERT ON loans BEGIN INSERT INTO notes VALUES (new.who); END;
            CREATE VIEW recent AS SELECT * FROM books WHERE year > 2000;
            INSERT INTO books(title, year) VALUES ('a', 1999), ('b', 2005);
            DELETE FROM books WHERE title = 'a';
            INSERT INTO loans VALUES (2, 'eva');
        """)
    conn.close()
    profile = profile_with(tmp_path, "{id: s, kind: database, driver: sqlite, source: {path: ./app.db}}")
    outcome = run_repository(profile, profile.repository("s"))
    assert outcome.state == "good", outcome.message
    out = tmp_path / "out" / "part.db"
    result = restore_parts(profile, outcome.run_id, out, ["books", "loans"])
    assert result.outcome == "done", result.message
    got = sqlite3.connect(out)
    schema = {(t, n) for t, n in got.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}
    assert schema == {("table", "books"), ("index", "books_by_year"), ("table", "loans")}
    assert got.execute("SELECT id, title, year FROM books").fetchall() == [(2, "b", 2005)]
    assert got.execute("SELECT seq FROM sqlite_sequence WHERE name = 'books'").fetchone() == (2,)
    assert got.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    got.close()
    # Beside it only the temporary folder and its lock that every SQLite restore writes through (emptied).
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".dse-tmp")) == ["part.db"]
    assert not any((tmp_path / "out" / ".dse-tmp").iterdir())
    with pytest.raises(RestoreError, match="'recent'"):
        restore_parts(profile, outcome.run_id, tmp_path / "o2.db", ["recent"])
    with pytest.raises(RestoreError, match="never over the live database"):
        restore_parts(profile, outcome.run_id, db, ["books"], confirm="s")
    assert sqlite3.connect(db).execute("SELECT count(*) FROM notes").fetchone() == (1,)


def test_one_mariadb_table_cut_out_of_the_dump_with_its_trigger(tmp_path, mariadb_db, mariadb_user):
    from tests.test_verify_databases import maria

    db = mariadb_db["database"]
    # A row whose text looks like a heading of the dump: the dump escapes its line break, the cut keeps it.
    maria(mariadb_db, "CREATE TABLE books (id INT PRIMARY KEY, title TEXT); "
                      "INSERT INTO books VALUES (1, 'Quijote'), (2, 'x\n--\n-- Table structure for table `loans`\n--');"
                      "CREATE TABLE loans (book INT, n INT); INSERT INTO loans VALUES (1, 1);"
                      "CREATE TRIGGER bump BEFORE INSERT ON books FOR EACH ROW SET NEW.title = UPPER(NEW.title);"
                      "CREATE VIEW recent AS SELECT * FROM books;", db)
    user, password = mariadb_user
    profile = profile_with(tmp_path, f"{{id: my, kind: database, driver: mysql, source: {{host: 127.0.0.1, "
                                     f"port: 3306, user: {user}, password_env: DSE_TEST_MY_PW, databases: [{db}]}}}}")
    import os
    os.environ["DSE_TEST_MY_PW"] = password
    try:
        outcome = run_repository(profile, profile.repository("my"))
        assert outcome.state == "good", outcome.message
        target = f"dse_part_{uuid.uuid4().hex[:8]}"
        try:
            result = restore_parts(profile, outcome.run_id, target, ["books"])
            assert result.outcome == "done", result.message
            assert maria(mariadb_db, "SHOW FULL TABLES", target).split() == ["books", "BASE", "TABLE"]
            assert maria(mariadb_db, "SELECT COUNT(*) FROM books WHERE title LIKE 'x%Table structure%'", target) == "1\n"
            assert maria(mariadb_db, "SHOW TRIGGERS", target).split()[0] == "bump"
            with pytest.raises(RestoreError, match="'recent'"):
                restore_parts(profile, outcome.run_id, f"{target}_2", ["recent"])
            with Catalog(profile.catalog_path) as catalog:
                assert catalog.restores(outcome.run_id)[0].parts == ("books",)
        finally:
            maria(mariadb_db, f"DROP DATABASE IF EXISTS {target}")
    finally:
        os.environ.pop("DSE_TEST_MY_PW", None)
