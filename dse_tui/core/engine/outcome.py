"""What a run reports: progress while it goes, an outcome at the end. Light on imports, for the console."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable

# The phases of a run, in their order. Each has its own figures: bytes read back are not bytes backed up.
BACKUP = "backup"
READ_BACK = "read-back"
VERIFY = "verify"
COPY = "copy"
PHASES = (BACKUP, READ_BACK, VERIFY, COPY)


@dataclass
class RunProgress:
    repository: str
    written: int  # compressed bytes the backup wrote (its last figure, in the later phases)
    expected: int | None  # size of the last good run, for the backup's ETA
    elapsed: float  # since the run began
    phase: str = BACKUP
    done: int = 0  # bytes this phase has handled so far
    total: int | None = None  # bytes it will handle, when known
    phase_elapsed: float = 0.0
    destination: str | None = None  # the copy's destination
    # How long the phase should take when its bytes say nothing of it (a verification reads what each level
    # makes of the run, not the run): the last such phase's duration, scaled to this run's size.
    expected_seconds: float | None = None

    def fraction(self) -> float | None:
        """How far the phase is, 0..1; None when nothing tells."""
        if self.total:
            return min(1.0, self.done / self.total)
        if self.expected_seconds:
            # Never full on time alone: a slower verification sits near its end rather than claim it.
            return min(0.99, self.phase_elapsed / self.expected_seconds)
        return None

    def rate(self) -> float:
        """The phase's bytes a second."""
        return self.done / self.phase_elapsed if self.phase_elapsed > 0 else 0.0

    def eta(self) -> float | None:
        """Seconds the phase still needs, by its own rate; None when nothing tells."""
        if self.total and self.rate() > 0:
            return max(0.0, (self.total - self.done) / self.rate()) if self.done < self.total else None
        if self.expected_seconds:
            left = self.expected_seconds - self.phase_elapsed
            return left if left > 0 else None
        return None


class PhaseReporter:
    """Turns the byte counts of each part of a run into RunProgress: the phase, its bytes since it began and
    what it expects. A new phase is reported at once (with nothing done yet), so even a short one is seen."""

    EVERY = 0.1  # seconds between two reports of one phase: a read-back counts every MiB

    def __init__(self, repository: str, expected: int | None, on_progress: Callable[[RunProgress], None] | None,
                 clock: Callable[[], float] = time.monotonic):
        self.on_progress, self.clock = on_progress, clock
        self.t0 = self.phase_t0 = self.reported = clock()
        self.last = RunProgress(repository, 0, expected, 0.0, total=expected)

    def phase(self, phase: str, *, total: int | None = None, destination: str | None = None,
              expected_seconds: float | None = None) -> None:
        self.phase_t0 = self.clock()
        self.last = replace(self.last, phase=phase, done=0, total=total, destination=destination,
                            expected_seconds=expected_seconds)
        self._report()

    def bytes(self, n: int) -> None:
        """`n`: the phase's bytes so far."""
        self.last.done = n
        if self.last.phase == BACKUP:
            self.last.written = n
        if self.on_progress is not None and self.clock() - self.reported >= self.EVERY:
            self._report()

    def _report(self) -> None:
        if self.on_progress is None:
            return
        self.reported = now = self.clock()
        self.on_progress(replace(self.last, elapsed=now - self.t0, phase_elapsed=now - self.phase_t0))


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
