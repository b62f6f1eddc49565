"""What one copy of a run needs, whatever the destination (folder, removable disk, disc images, SSH):
shared by copies.py, verify.py and each kind's module, which need nothing else of each other."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from dse_tui.core.catalog import Catalog, Run
from dse_tui.core.profile.model import Destination, Profile
from dse_tui.core.engine.locks import OwnedFolder
from dse_tui.core.engine.pipeline import Cancelled
from dse_tui.core.verification.levels import READ_CHUNK
from dse_tui.core.texts import Told

CHUNK = READ_CHUNK  # copies are hashed as they are read: the size that hashes fastest
MANIFEST = "manifest.json"


class CopyError(Told):
    """This destination cannot take the copy; the message says why and what to do."""


class Unreachable(Told):
    """The copy cannot be read now (a disk not plugged in, a host down); it is not known to be bad."""


@dataclass(frozen=True)
class Copied:
    """Where a copy went once it read back right: the path people are shown, the device it counts as
    (distinct devices count, not destinations) and the media codes it made or used."""

    path: str
    device: str
    media: list[str]


@dataclass
class Job:
    """What one copy needs, whatever the destination."""

    profile: Profile
    catalog: Catalog
    run: Run
    dest: Destination
    files: list[dict]  # {"file", "size", "sha256"}: the parts and the manifest
    cancel: threading.Event
    log: Callable[[str], None]
    on_bytes: Callable[[int], None] | None
    operator: str
    copy_id: int = 0
    done: int = 0
    staging: OwnedFolder | None = None  # the run's encrypted twin, when the destination encrypts (copycrypt)
    staged_sha256: str | None = None  # its manifest's

    @property
    def staged(self) -> Path | None:
        return self.staging.path if self.staging else None

    @property
    def source(self) -> Path:
        return self.staged or Path(self.run.artifact)

    @property
    def manifest_sha256(self) -> str | None:
        """Of the manifest the copy carries: the run's, or its encrypted twin's."""
        return self.staged_sha256 or self.run.sha256

    @property
    def name(self) -> str:
        return Path(self.run.artifact).name

    @property
    def size(self) -> int:
        return sum(f["size"] for f in self.files)

    def progress(self, n: int) -> None:
        self.done += n
        if self.on_bytes:
            self.on_bytes(self.done)
        if self.cancel.is_set():
            raise Cancelled()
