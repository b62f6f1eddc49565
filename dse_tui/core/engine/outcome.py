"""What a run reports: progress while it goes, an outcome at the end. Light on imports, for the console."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RunProgress:
    repository: str
    written: int  # compressed bytes written so far
    expected: int | None  # size of the last good run, for an ETA
    elapsed: float


@dataclass
class RunOutcome:
    repository: str
    run_id: int | None
    state: str  # good | failed | cancelled | already-running
    artifact: str | None = None
    manifest: str | None = None
    size: int | None = None
    sha256: str | None = None
    message: str | None = None
    elapsed: float = 0.0
    copies: list[dict] | None = None  # CopyOutcome.as_json() of each destination, after a good run
    # A good run on as many distinct devices as its repository asks (procedure 4.2.1); None: not good.
    stored: bool | None = None
    not_archived: list[dict] | None = None  # {path, type, reason[, detail]}: what the archive lacks of the source

    def as_json(self) -> dict:
        return {"repository": self.repository, "run_id": self.run_id, "state": self.state,
                "artifact": self.artifact, "manifest": self.manifest, "size": self.size, "sha256": self.sha256,
                "message": self.message, "elapsed": round(self.elapsed, 3), "copies": self.copies or [],
                "stored": self.stored, "not_archived": self.not_archived or []}
