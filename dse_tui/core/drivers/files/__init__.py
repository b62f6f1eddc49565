"""files: a directory tree as a tar stream compressed with zstd, with a per-file manifest (tree.py).

The driver is imported from tree.py when first asked for (the registry's DRIVER, or any other name): the
tar writer's process, a module of this package, then starts without the profile's schema, the pipeline and
the rest the driver needs, a tenth of a second at every run."""

from __future__ import annotations

import importlib


def __getattr__(name: str):
    if name.startswith("__"):  # the import system's own questions (__path__, __spec__…) are not the driver's
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.tree"), name)
