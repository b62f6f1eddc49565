"""DSE_TEST_CATALOG=postgresql: the fixture that points every test's catalogs at PostgreSQL databases
(tests/pg_catalogs.py), and what tests use to read a catalog either way."""

from __future__ import annotations

import os
import uuid

import pytest

from tests import pg_catalogs
from tests.pg_catalogs import ADMIN_URL, ON_POSTGRESQL, Databases, admin, database_url, redirect  # noqa: F401


@pytest.fixture(autouse=True)
def catalog_backend(monkeypatch):
    """Points every Catalog a test (or a child it starts) opens by path at a PostgreSQL database, under
    DSE_TEST_CATALOG=postgresql."""
    if not ON_POSTGRESQL:
        yield None
        return
    from dse_tui.core.catalog import Catalog

    salt = uuid.uuid4().hex[:8]
    original, original_exists = Catalog.__init__, Catalog.__dict__["exists"]
    dbs = redirect(salt)
    children = os.path.join(os.path.dirname(__file__), "pg_children")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    monkeypatch.setenv("DSE_TEST_CATALOG_SALT", salt)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (children, root, os.environ.get("PYTHONPATH")) if p))
    try:
        yield dbs
    finally:
        Catalog.__init__ = original
        Catalog.exists = original_exists
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

    return PgConnection(pg_catalogs.CURRENT.url_for(path))
