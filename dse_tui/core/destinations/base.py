"""The interface every destination kind's module has, and the module for a destination."""

from __future__ import annotations

import importlib
from typing import Protocol, cast

from dse_tui.core.catalog.media import Copy
from dse_tui.core.destinations import KINDS
from dse_tui.core.destinations.job import Copied, Job
from dse_tui.core.profile.model import Destination


class DestinationKind(Protocol):
    """A destination kind's module (the package's docstring says what each function does)."""

    def copy(self, job: Job) -> Copied: ...

    def verify(self, job: Job, existing: Copy) -> None: ...

    def describe(self, dest: Destination) -> str: ...

    def device(self, dest: Destination) -> str | None: ...

    def tools(self, dest: Destination) -> list[str]: ...


def kind_module(kind: str) -> DestinationKind:
    """The module of a destination kind (imported when first needed: a site without discs never loads the
    disc images' code)."""
    return cast(DestinationKind, importlib.import_module(KINDS[kind]))
