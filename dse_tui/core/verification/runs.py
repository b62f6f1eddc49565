"""Verifying stored runs and recording it: the catalog's verification rows and events, a run that no
longer verifies stops counting, and the repository's manual-required state set or cleared.

The state clears only when a run that started after it was set verifies good (a later run, or a
registered manual backup): re-reading an older run proves nothing about the failure that set it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from dse_tui.core.catalog import Catalog, Run, current_operator
from dse_tui.core.catalog.lifecycle import RunState, VerificationOutcome
from dse_tui.core.profile.model import Profile, Repository
from dse_tui.core.verification.rules import SHRINK, evaluate
from dse_tui.core.engine.pipeline import Cancelled, TimedOut
from dse_tui.core.verification.levels import (Check, VerifyContext, VerifyFailed, claim_scratch, load_manifest, only_key_missing,
                                 summary, verify_artifact)
from dse_tui.core.texts import Told, said


@dataclass
class VerifyOutcome:
    repository: str
    run_id: int
    level: str
    outcome: str  # passed | failed | inconclusive (could not be checked now) | cancelled
    checks: list[Check] = field(default_factory=list)
    message: str | None = None
    verification_id: int | None = None
    elapsed: float = 0.0

    @property
    def passed(self) -> bool:
        return self.outcome == VerificationOutcome.PASSED

    def as_json(self) -> dict:
        return {"repository": self.repository, "run_id": self.run_id, "level": self.level,
                "outcome": self.outcome, "message": self.message, "verification_id": self.verification_id,
                "checks": [c.as_json() for c in self.checks], "elapsed": round(self.elapsed, 3)}


def check_run(profile: Profile, repo: Repository, run: Run, catalog: Catalog, level: str, *,
              cancel: threading.Event | None = None, log: Callable[[str], None] | None = None,
              on_bytes: Callable[[int], None] | None = None, checksum_done: bool = False,
              timeout: float | None = None, keyring=None) -> tuple[str, list[Check]]:
    """The artifact's levels and the site's rules, nothing recorded: ('passed'|'failed'|'inconclusive'|
    'cancelled', checks). Inconclusive: nothing failed, but a check could not be made (a server down, a tool
    missing, out of time)."""
    cancel = cancel or threading.Event()
    try:
        scratch = claim_scratch(profile, run.id)
    except OSError as exc:
        return VerificationOutcome.FAILED, [Check("scratch", False, said("verify.no_scratch", root=profile.storage_root,
                                                                         error=exc.strerror or exc))]
    v = VerifyContext(profile, repo, run.id, _run_dir(run), {}, scratch.path, cancel,
                      deadline=time.monotonic() + (timeout or repo.timeout.total_seconds()),
                      log=log or (lambda line: None), on_bytes=on_bytes, keyring=keyring)
    with scratch:
        return _checked(v, catalog, level, run, checksum_done)


def _checked(v: VerifyContext, catalog: Catalog, level: str, run: Run, checksum_done: bool) -> tuple[str, list[Check]]:
    repo = v.repo
    try:
        v.manifest = load_manifest(run.manifest or "")
        # The site's rules read the manifest only: a key not at hand does not stop them.
        if verify_artifact(v, level, manifest_sha256=run.sha256, checksum_done=checksum_done) \
                or only_key_missing(v.checks):
            sizes = catalog.good_sizes_before(repo.id, run.started_at, repo.rules.shrink_window or 1)
            for name, ok, detail in evaluate(repo, v.manifest, sizes, catalog.acknowledged(run.id)):
                v.check(name, ok, detail)
    except VerifyFailed as exc:
        v.check("manifest", False, str(exc))
    except Cancelled:
        return VerificationOutcome.CANCELLED, v.checks
    except TimedOut:
        v.check("time", False, said("verify.timed_out", timeout=repo.timeout), unable=True)
    except FileNotFoundError as exc:  # a tool the level needs is not installed here
        v.check("tools", False, said("verify.not_installed", tool=exc.filename or exc), unable=True)
    except Exception as exc:  # a bug must not leave the verification "running" nor stop the others
        v.check("internal", False, said("run.msg.internal", error=repr(exc)), unable=True)
    if any(not c.ok and not c.inconclusive for c in v.checks) or not v.checks:
        return VerificationOutcome.FAILED, v.checks
    if any(c.inconclusive for c in v.checks):
        return VerificationOutcome.INCONCLUSIVE, v.checks
    return VerificationOutcome.PASSED, v.checks


def verify_run(profile: Profile, catalog: Catalog, run: Run, *, level: str | None = None, trigger: str = "console",
               operator: str | None = None, cancel: threading.Event | None = None,
               log: Callable[[str], None] | None = None, on_bytes: Callable[[int], None] | None = None,
               keyring=None) -> VerifyOutcome:
    """Verify a stored run at `level` (default: its repository's) and record it all. `keyring`: the
    identities that open an encrypted run (default: the profile's and the keys folder)."""
    repo = profile.repository(run.repository)
    level = level or repo.verify
    operator = operator or current_operator()
    t0 = time.monotonic()
    if run.artifact is None or catalog.is_pruned(run.id):
        return VerifyOutcome(repo.id, run.id, level, VerificationOutcome.FAILED,
                             [Check("artifact", False, said("verify.no_artifact"))], said("verify.no_artifact_message"))
    try:
        lock = catalog.begin_step(profile.storage_root)
    except OSError as exc:  # nothing is known of the run: it stays as it was
        return VerifyOutcome(repo.id, run.id, level, VerificationOutcome.INCONCLUSIVE,
                             [Check("lock", False, str(exc), inconclusive=True)], str(exc))
    with lock:
        verification = catalog.start_verification(run.id, level, trigger=trigger, operator=operator, lock=lock.mark)
        outcome, checks = check_run(profile, repo, run, catalog, level, cancel=cancel, log=log, on_bytes=on_bytes,
                                    keyring=keyring)
        if outcome == VerificationOutcome.FAILED and catalog.is_pruned(run.id):
            outcome = VerificationOutcome.CANCELLED  # retention removed it meanwhile: that says nothing of it
            checks = checks + [Check("artifact", False, said("verify.pruned_meanwhile"))]
        message = (None if outcome == VerificationOutcome.PASSED else said("run.msg.cancelled")
                   if outcome == VerificationOutcome.CANCELLED else summary(checks))
        catalog.finish_verification(verification, outcome, [c.as_json() for c in checks], message, operator=operator)
    result = VerifyOutcome(repo.id, run.id, level, outcome, checks, message, verification, time.monotonic() - t0)
    settle(catalog, repo, run, result, profile, operator=operator)
    return result


def settle(catalog: Catalog, repo: Repository, run: Run, result: VerifyOutcome, profile=None, *,
           operator: str | None = None) -> None:
    """What a verification means for the run and its repository."""
    if result.outcome in (VerificationOutcome.CANCELLED, VerificationOutcome.INCONCLUSIVE):
        return  # nothing is known of the run: it stays as it was, and is due again
    if result.outcome == VerificationOutcome.FAILED:
        reason = said("verify.run_failed_reason", run=run.id, level=result.level, message=result.message)
        if run.state == RunState.GOOD:
            catalog.fail_run(run.id, said("verify.run_failed", message=result.message), operator=operator)
        catalog.set_manual_required(repo.id, reason)
        if profile is not None:
            from dse_tui.core.records import notify
            notify.manual_required(profile, catalog, repo.id, reason, key=f"verify:{result.verification_id}")
        return
    clear_manual_required(catalog, repo.id, run.started_at, run.id)


def clear_manual_required(catalog: Catalog, key: str, started_at: datetime, run_id: int | None = None) -> None:
    """A run that started after the state was set has verified good: the state goes."""
    since = catalog.manual_required_since(key)
    if since is not None and started_at >= since:
        catalog.set_manual_required(key, None)
        catalog.record_event("manual backup no longer required", "ok", repository=key, detail={"run_id": run_id})


class AcceptError(Told):
    """The run cannot be accepted; the message says why."""


def acceptable(catalog: Catalog, run: Run) -> bool:
    """The run's latest verification failed on the shrink rule alone."""
    return shrink_only(run, catalog.last_verifications([run.id]).get(run.id), catalog.is_pruned(run.id))


def shrink_only(run: Run, last, pruned: bool) -> bool:
    """acceptable() from what is already known of the run: its latest verification, and whether it was pruned
    (a table of runs has both for every row: catalog.run_history)."""
    failed = [c for c in last.checks if not c["ok"]] if last and last.outcome == VerificationOutcome.FAILED else []
    return run.state == RunState.FAILED and not pruned and bool(failed) and all(c["name"] == SHRINK for c in failed)


def accept_run(catalog: Catalog, run: Run, reason: str, operator: str | None = None) -> None:
    """An operator accepts a run held back by the shrink rule (e.g. data archived on purpose)."""
    reason = reason.strip()
    if not reason:
        raise AcceptError("a reason is required to accept a run: it goes into the records")
    if not acceptable(catalog, run):
        raise AcceptError(f"run {run.id} was not held back by the shrink rule alone: only such a run can be "
                          "accepted (a damaged one needs a new run or a manual backup)")
    catalog.accept_run(run.id, reason, operator=operator)
    # The state this run set (it is the repository's latest) goes with it; an older failure's does not.
    latest = catalog.recent_runs(run.repository, 1)
    if latest and latest[0].id == run.id:
        catalog.set_manual_required(run.repository, None)


def due_runs(profile: Profile, catalog: Catalog, now: datetime, repos: list[Repository] | None = None) -> list[Run]:
    """Stored runs of this host (engine/hosts.py: it holds their folders) whose last passed verification is
    older than their repository's `verify_every`."""
    from dse_tui.core.engine.hosts import made_here

    out = []
    for repo in repos or profile.repositories:
        if repo.verify_every is None:
            continue
        for run in catalog.prunable_runs(repo.id):  # the good runs still kept
            if not made_here(run):
                continue
            checked = catalog.verified_at(run.id)
            if checked is None or checked + repo.verify_every <= now:
                out.append(run)
    return out


def _run_dir(run: Run) -> Path:
    return Path(run.artifact or ".")
