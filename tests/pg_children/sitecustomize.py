"""Loaded by the `dse-tui` children of a test under DSE_TEST_CATALOG=postgresql (tests/catalog_backend.py puts
this folder on their PYTHONPATH): their catalogs by path open the test's databases, as the parent's do."""

import os

if os.environ.get("DSE_TEST_CATALOG_SALT"):
    from tests.pg_catalogs import redirect

    redirect(os.environ["DSE_TEST_CATALOG_SALT"])
