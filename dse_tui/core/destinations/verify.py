"""Verification of copies: each copy re-read where it is and held against the run's manifest. A copy that
no longer matches is reported and stops counting; one that cannot be reached now (a disk not plugged in,
a host down) is said and left as it was."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dse_tui.core.catalog import Catalog, current_operator
from dse_tui.core.catalog.lifecycle import VerificationOutcome
from dse_tui.core.catalog.media import Copy
from dse_tui.core.destinations.base import kind_module
from dse_tui.core.destinations.copies import run_files
from dse_tui.core.destinations.job import MANIFEST, CopyError, Job, Unreachable
from dse_tui.core.engine.pipeline import Cancelled
from dse_tui.core.texts import said


@dataclass
class CopyCheck:
    copy_id: int
    run_id: int
    repository: str
    destination: str
    outcome: str  # passed | failed | inconclusive (out of reach: says nothing of the copy) | cancelled
    message: str | None = None

    def as_json(self) -> dict:
        return {"copy_id": self.copy_id, "run_id": self.run_id, "repository": self.repository,
                "destination": self.destination, "outcome": self.outcome, "message": self.message}


def verify_copy(profile, catalog: Catalog, copy: Copy, *, trigger: str = "console", operator: str | None = None,
                cancel: threading.Event | None = None) -> CopyCheck:
    operator = operator or current_operator()
    run = catalog.run(copy.run_id)
    check = CopyCheck(copy.id, run.id, run.repository, copy.destination, VerificationOutcome.FAILED)
    dest = profile.destinations.get(copy.destination)
    if dest is None:
        check.outcome = VerificationOutcome.INCONCLUSIVE
        check.message = said("verify.copy_destination_gone", destination=copy.destination)
        return check
    try:
        lock = catalog.begin_step(profile.storage_root)
    except OSError as exc:
        check.outcome, check.message = VerificationOutcome.INCONCLUSIVE, str(exc)
        return check
    with lock:
        verification = catalog.start_verification(run.id, "checksum", trigger=trigger, operator=operator,
                                                  copy_id=copy.id, lock=lock.mark)
        _check_copy(profile, catalog, run, copy, dest, check, cancel or threading.Event(), operator)
        # A copy that failed its re-reading stops counting there and then.
        catalog.finish_verification(verification, check.outcome, [{"name": f"copy on {copy.destination}",
                                                             "ok": check.outcome == VerificationOutcome.PASSED,
                                                             "detail": check.message or copy.path or ""}],
                                    check.message, operator=operator)
    return check


def _check_copy(profile, catalog: Catalog, run, copy: Copy, dest, check: CopyCheck, cancel: threading.Event,
                operator: str) -> None:
    """The copy re-read where it is, by its destination's kind; `check` says how that went."""
    try:
        # The manifest the copy carries is the run's, or its encrypted twin's (copy.sha256).
        job = Job(profile, catalog, run, dest, _expected(run, copy), cancel, lambda line: None, None, operator,
                  copy.id, staged_sha256=copy.sha256)
        kind_module(dest.kind).verify(job, copy)
        check.outcome = VerificationOutcome.PASSED
    except Unreachable as exc:
        check.outcome, check.message = VerificationOutcome.INCONCLUSIVE, str(exc)
    except Cancelled:
        check.outcome, check.message = VerificationOutcome.CANCELLED, said("run.msg.cancelled")
    except (CopyError, OSError) as exc:
        check.message = str(exc) if isinstance(exc, CopyError) else f"{exc.strerror or exc}: {exc.filename or ''}"


def _expected(run, copy: Copy) -> list[dict]:
    if copy.sha256 and copy.sha256 != run.sha256:
        # Encrypted on its way there: the copy carries its own manifest, whose hash the catalog keeps.
        return [{"file": MANIFEST, "size": None, "sha256": copy.sha256}]
    if not run.manifest or not Path(run.manifest).is_file():
        # The run was pruned here: the copy is held against its own manifest, whose hash the catalog keeps.
        return [{"file": MANIFEST, "size": None, "sha256": run.sha256}]
    return run_files(run)


def due_copies(profile, catalog: Catalog, now: datetime, repo_ids: list[str] | None = None) -> list[Copy]:
    """Verified copies (of runs kept here or pruned) whose last check is older than their repository's
    `verify_every` (all of them, without `verify_every`, when repositories are named)."""
    out = []
    for repo in profile.repositories:
        if repo_ids is not None and repo.id not in repo_ids:
            continue
        if repo_ids is None and repo.verify_every is None:
            continue
        runs = catalog.runs_with_copies(repo.id)  # pruned here too: then the copies are all there is
        for copy in catalog.verified_copies_list(runs):
            last = catalog.copy_verified_at(copy.id) or copy.verified_at
            if repo_ids is not None or last is None or last + repo.verify_every <= now:
                out.append(copy)
    return out
