"""Restoring a run: into a new folder, file or database, and only with a typed confirmation into the
live source. The artifact's checksums are read first: a damaged artifact is never restored.

What a target means and how a run is restored there is each driver's (plan_restore, restore):
    files, git   a folder (new or empty; --force for a non-empty one with files)
    sqlite       a file (or a folder to put it in)
    postgresql,  a database name on the repository's server (must not exist unless --force), or a
    mysql        folder ("./dumps", "/srv/x") where the plain dump files are written

A part of a run (`parts`: files and folders, tables) is restored by the drivers that can (Driver.parts);
the parts are checked against the run's manifest when planned, before anything is written.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from dse_tui.core.catalog import Catalog, Run, current_operator
from dse_tui.core.catalog.lifecycle import RestoreOutcome as Outcome  # the record's; RestoreOutcome here reports it
from dse_tui.core.texts import said
from dse_tui.core.profile.model import Profile, Repository
from dse_tui.core.keys.crypto import IdentityError, Keyring
from dse_tui.core import drivers
from dse_tui.core.drivers.base import BackupError, RestoreError, RestoreTarget
from dse_tui.core.engine.pipeline import Cancelled, TimedOut
from dse_tui.core.verification.levels import VerifyContext, VerifyFailed, checksum, claim_scratch, load_manifest


def target_words(into: str, target: str) -> str:
    """Where a restore goes, as a plan describes it (in the active language)."""
    return said(f"restore.where.{into}", target=target)


def what_words(run_id: int, database: str | None, parts=()) -> str:
    """What of a run a restore brings back, as a plan describes it (in the active language)."""
    what = (said("restore.what.database", database=database, run=run_id) if database
            else said("restore.what.run", run=run_id))
    if parts:
        shown = ", ".join(parts[:3])
        if len(parts) > 3:
            shown = said("restore.what.more", shown=shown, n=len(parts) - 3)
        what = said("restore.what.parts", parts=shown, what=what)
    return what


def refuse_unconfirmed(repo_id: str, t, *, force: bool, confirm: str | None) -> None:
    """RestoreError for a plan `t` (target, into, live, exists) that needs the typed repository id or --force:
    one rule for a restore of a run and of a copy."""
    if t.live and confirm != repo_id:
        raise RestoreError("restore.refused.live", target=t.target, repo=repo_id)
    if t.exists and not force and not t.live:
        raise RestoreError("restore.refused.folder_exists" if t.into == "folder" else "restore.refused.exists",
                           target=t.target)


@dataclass(frozen=True)
class RestorePlan:
    repository: Repository
    run: Run
    target: str
    into: str  # folder | file | database
    database: str | None  # the run's database restored (database drivers)
    live: bool  # the target is the live source: only with a typed confirmation
    exists: bool
    parts: tuple[str, ...] = ()  # only these (paths, tables: the driver's Driver.parts); () the whole run

    def describe(self) -> str:
        return said("restore.plan", what=what_words(self.run.id, self.database, self.parts),
                    repo=self.repository.id, where=target_words(self.into, self.target)) + \
            (said("restore.plan.live") if self.live else "")


@dataclass
class RestoreOutcome:
    run_id: int
    target: str
    outcome: str  # Outcome: done | failed | cancelled
    message: str | None
    elapsed: float
    parts: tuple[str, ...] = ()

    def as_json(self) -> dict:
        return {"run_id": self.run_id, "target": self.target, "outcome": self.outcome, "message": self.message,
                "elapsed": round(self.elapsed, 3), "parts": list(self.parts)}


def plan(profile: Profile, run: Run, target: str, database: str | None = None, *,
         check_exists: bool = True, parts: tuple[str, ...] | list[str] = ()) -> RestorePlan:
    """What restoring `run` into `target` means. `check_exists=False` skips asking the database server
    (the console re-plans on every key typed). `parts`: only these (paths of a files run, tables of a
    database run), checked against the run's manifest (RestoreError naming one it does not hold, or when
    the driver restores runs whole)."""
    repo = profile.repository(run.repository)
    if run.artifact is None or not Path(run.artifact).is_dir():
        raise RestoreError("restore.refused.no_artifact", run=run.id)
    manifest = load_manifest(run.manifest or "")
    driver = drivers.get(repo.driver)
    t: RestoreTarget = driver.plan_restore(repo, run.id, manifest, target, database, check_exists)
    if parts:
        t = replace(t, parts=tuple(driver.select_parts(repo, manifest, tuple(parts), t)))
    return RestorePlan(repo, run, t.target, t.into, t.database, t.live, t.exists, t.parts)


def restore(profile: Profile, catalog: Catalog, p: RestorePlan, *, force: bool = False, confirm: str | None = None,
            operator: str | None = None, cancel: threading.Event | None = None,
            log: Callable[[str], None] | None = None, keyring=None) -> RestoreOutcome:
    """Restore as planned and record it. Refuses (RestoreError, nothing recorded) what needs --force or
    the typed confirmation."""
    repo, run = p.repository, p.run
    refuse_unconfirmed(repo.id, p, force=force, confirm=confirm)
    if run.encrypted:  # the key first: nothing is created or truncated for a restore that cannot read
        keyring = keyring or Keyring.for_profile(profile)
        try:
            keyring.secret_for(run.key_ids.split())
        except IdentityError as exc:
            raise RestoreError("restore.refused.encrypted", run=run.id, error=exc) from None
    operator = operator or current_operator()
    log = log or (lambda line: None)
    cancel = cancel or threading.Event()
    t0 = time.monotonic()
    log(f"restoring {p.describe()}")
    try:  # the restore's own errors are its outcome (_restored): an OSError here is of the storage root
        with catalog.begin_step(profile.storage_root) as lock, claim_scratch(profile, run.id) as scratch:
            restore_id = catalog.start_restore(run.id, p.target, operator=operator, lock=lock.mark, parts=p.parts)
            v = VerifyContext(profile, repo, run.id, Path(run.artifact), {}, scratch.path, cancel,
                              deadline=time.monotonic() + repo.timeout.total_seconds(), log=log, keyring=keyring)
            outcome, message = _restored(v, p, force, run)
            catalog.finish_restore(restore_id, outcome, message, database=p.database, live=p.live, operator=operator)
    except OSError as exc:
        raise RestoreError("restore.cannot_work", path=profile.storage_root, error=exc.strerror or exc) from None
    return RestoreOutcome(run.id, p.target, outcome, message, time.monotonic() - t0, p.parts)


def _restored(v: VerifyContext, p: RestorePlan, force: bool, run: Run) -> tuple[str, str | None]:
    """(done | failed | cancelled, why not done): the artifact's checksums, then the driver's restore. Paths
    of a files run are held to their per-file entries as they are restored (the manifest's digest is the
    catalog's): the whole artifact is not read twice for one file."""
    driver = drivers.get(v.repo.driver)
    try:
        v.manifest = load_manifest(run.manifest)
        checksum(v, run.sha256, parts=not (p.parts and driver.parts == "paths"))
        bad = [c for c in v.checks if not c.ok]
        if bad:
            raise RestoreError("restore.refused.mismatch", name=bad[0].name, detail=bad[0].detail)
        driver.restore(v, RestoreTarget(p.target, p.into, p.database, p.live, p.exists, p.parts),
                                          force)
        v.log(f"restored {p.describe()}")
        return Outcome.DONE, None
    except (RestoreError, BackupError, VerifyFailed, IdentityError) as exc:
        return Outcome.FAILED, str(exc)
    except Cancelled:
        return Outcome.CANCELLED, said("run.msg.cancelled")
    except TimedOut:
        return Outcome.FAILED, f"timed out after {v.repo.timeout}"
    except OSError as exc:
        return Outcome.FAILED, f"{exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}"
    except Exception as exc:  # a tool's timeout, a bug: recorded as a failed restore, never left running
        return Outcome.FAILED, f"{type(exc).__name__}: {exc}"
