"""DSE_TEST_CATALOG=postgresql: the tests' catalogs on PostgreSQL (127.0.0.1:5432, trust) instead of
SQLite files. Each catalog file a test opens becomes a database of its own, uniquely named, made on its
first opening (so the console and a run opening one path share one catalog) and dropped after the test.
Tests that read the SQLite file itself (its bytes, sqlite3.connect) are SQLite's own and skip there.

No pytest here: the children a test starts load this (tests/pg_children), some as a user whose interpreter
has only the application's packages (tree_helpers.Nobody). The fixture is in catalog_backend.py."""

from __future__ import annotations

import os

ADMIN_URL = os.environ.get("DSE_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
ON_POSTGRESQL = os.environ.get("DSE_TEST_CATALOG", "sqlite") == "postgresql"
CURRENT = None  # the running test's Databases


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def database_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


class Databases:
    """The databases standing for the catalog files of one test (and of its children: the name of a
    file's database is derived from the test's salt and the file's path, so both find the same one)."""

    def __init__(self, salt: str):
        self.salt = salt

    def name_for(self, path) -> str:
        import hashlib

        key = os.path.abspath(os.fspath(path))
        return f"dse_cat_{self.salt}_{hashlib.sha1(key.encode()).hexdigest()[:12]}"

    def made(self, path) -> bool:
        """Whether the catalog file `path` has been opened (its database made), as a SQLite file exists."""
        import psycopg

        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                (self.name_for(path),)).fetchone() is not None

    def url_for(self, path) -> str:
        import psycopg

        name = self.name_for(path)
        # A test and the runs it starts open the same path at once: one makes the database, under a lock
        # (two CREATE DATABASE of one name at once fail on pg_database's unique index, not as duplicates).
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (name,))
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                conn.execute(f"CREATE DATABASE {name}")
        return database_url(name)

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                                (f"dse_cat_{self.salt}_%",))]
        for name in names:
            admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def redirect(salt: str) -> Databases:
    """Every Catalog opened by path, from now on, opens the database standing for that path."""
    global CURRENT
    from dse_tui.core.catalog import Catalog
    from dse_tui.core.catalog.backend import is_postgresql

    dbs = CURRENT = Databases(salt)
    original = Catalog.__init__

    def init(self, path, *args, **kwargs):
        if not is_postgresql(path):
            path = dbs.url_for(path)
        original(self, path, *args, **kwargs)

    def exists(path) -> bool:
        return is_postgresql(path) or dbs.made(path)

    init.original = original
    Catalog.__init__ = init
    Catalog.exists = staticmethod(exists)
    return dbs
