"""DSE_TEST_CATALOG=postgresql: the tests' catalogs on PostgreSQL (127.0.0.1:5432, trust) instead of
SQLite files. Each catalog file a test opens becomes a database of its own, uniquely named, made on its
first opening (so the console and a run opening one path share one catalog) and dropped after the test.
Tests that read the SQLite file itself (its bytes, sqlite3.connect) are SQLite's own and skip there."""

from __future__ import annotations

import os
import uuid

import pytest

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

    def url_for(self, path) -> str:
        import hashlib

        import psycopg

        key = os.path.abspath(os.fspath(path))
        name = f"dse_cat_{self.salt}_{hashlib.sha1(key.encode()).hexdigest()[:12]}"
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

    init.original = original
    Catalog.__init__ = init
    return dbs


@pytest.fixture(autouse=True)
def catalog_backend(monkeypatch):
    """Points every Catalog a test (or a child it starts) opens by path at a PostgreSQL database, under
    DSE_TEST_CATALOG=postgresql."""
    if not ON_POSTGRESQL:
        yield None
        return
    from dse_tui.core.catalog import Catalog

    salt = uuid.uuid4().hex[:8]
    original = Catalog.__init__
    dbs = redirect(salt)
    children = os.path.join(os.path.dirname(__file__), "pg_children")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    monkeypatch.setenv("DSE_TEST_CATALOG_SALT", salt)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (children, root, os.environ.get("PYTHONPATH")) if p))
    try:
        yield dbs
    finally:
        Catalog.__init__ = original
        dbs.drop()


# A test of the SQLite file itself (its journal mode, its bytes, its query plans): SQLite's alone.
sqlite_only = pytest.mark.skipif(ON_POSTGRESQL, reason="about the SQLite file itself")


def place(dbs: Databases | None, path):
    """What a child process is given to open as the test's catalog `path`: the path, or its database's URL."""
    return dbs.url_for(path) if dbs is not None else path


def raw_connection(path):
    """The catalog `path` as someone with the database and its own client could write it, in autocommit."""
    if not ON_POSTGRESQL:
        import sqlite3

        return sqlite3.connect(path, isolation_level=None)
    from dse_tui.core.catalog.backend import PgConnection

    return PgConnection(CURRENT.url_for(path))
