"""Drivers: how each kind of source is backed up, checked, verified and restored. One module (or package)
per driver, named as the profile's `driver:`, each ending with `DRIVER = Driver(...)` (drivers/base.py).

The registry finds the drivers by their module names, without importing them: the profile's schema lists
them, and only a driver in use is ever imported. Adding a driver is adding its module (docs/developers.md).
Nothing else is imported here, so any module may ask the registry without an import cycle."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

SHARED = frozenset({"base", "catalog_pg"})  # modules of this package that are not drivers (catalog_pg: catalog's PG half)
# Drivers a repository of the profile cannot name: a setting makes their one repository
# (catalog: storage.catalog_backup, the catalog's own).
BUILT_IN = frozenset({"catalog"})


@cache
def names() -> tuple[str, ...]:
    """Every driver's name, sorted."""
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in SHARED))


def selectable() -> tuple[str, ...]:
    """The drivers a profile's repository may name."""
    return tuple(n for n in names() if n not in BUILT_IN)


def get(name: str):
    """The `Driver` (drivers/base.py) of that name; KeyError for one that does not exist."""
    if name not in names():
        raise KeyError(name)
    return importlib.import_module(f"{__name__}.{name}").DRIVER
