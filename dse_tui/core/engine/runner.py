"""A run: lock → artifact parts + manifest in a temporary folder → fsync → rename → read back → catalog.

What the catalog calls good has been written completely, fsynced, renamed to its final name and read
back against its manifest. A crash at any moment leaves at most a `.tmp-*` folder (removed by the next
run of that repository) and a run marked running, which the next run marks failed (its verification and
copies, interrupted).
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import threading
import time
import traceback
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Callable

from dse_tui import __version__
from dse_tui.core.records import notify
from dse_tui.core.records.audit import export_jsonl, segment_start
from dse_tui.core.catalog import Catalog, CatalogError, current_operator
from dse_tui.core.catalog.lifecycle import CopyState, Refused, RunState, VerificationOutcome
from dse_tui.core.profile.model import Profile, Repository
from dse_tui.core.keys.crypto import key_id, manifest_block
from dse_tui.core import drivers
from dse_tui.core.drivers.base import BackupContext, BackupError
from dse_tui.core.common.fsutil import drop_cache, fsync_dir
from dse_tui.core.engine.hosts import Lease, LeaseHeld, this_host
from dse_tui.core.engine.locks import AlreadyRunning, RepoLock
from dse_tui.core.common.tools import find_tool, tool_version
from dse_tui.core.engine.retention import prune
from dse_tui.core.verification.rules import data_size
from dse_tui.core.engine.outcome import BACKUP, COPY, READ_BACK, VERIFY, PhaseReporter, RunOutcome, RunProgress
from dse_tui.core.engine.pipeline import Cancelled, TimedOut
from dse_tui.core.common.timeutil import iso, utcnow
from dse_tui.core.texts import said
from dse_tui.core.verification.runs import check_run, clear_manual_required
from dse_tui.core.verification.levels import only_key_missing, sha256_file, summary
from dse_tui.core.verification.manifest import write_manifest

MANIFEST = "manifest.json"
AUDIT_LOG = "audit-log.jsonl.zst"
TMP_PREFIX = ".tmp-"
# Not a state of the run: complete and read back but not good (a verification or a site rule held it).
# It is kept, as evidence, and recorded failed.
UNSATISFACTORY = "unsatisfactory"
# Not a run: a run of what was due, not made because another host holds the repository or has just made it.
SKIPPED = "skipped"


def run_repository(profile: Profile, repo: Repository, *, trigger: str = "console", operator: str | None = None,
                   cancel: threading.Event | None = None, on_progress: Callable[[RunProgress], None] | None = None,
                   log: Callable[[str], None] | None = None, producer: Callable[[BackupContext], None] | None = None,
                   session_id: int | None = None, only_if_pending: bool = False) -> RunOutcome:
    """Back up one repository. Never raises for a failure of the backup itself: the outcome says it.
    `producer` writes the parts instead of the repository's driver (a manual backup's files, registered
    from `session_id`): the rest (manifest, read-back, verification, catalog) is the same. `only_if_pending`
    (a run of what is due): skipped when another host runs it or ran it since it was found due."""
    cancel = cancel or threading.Event()
    log = log or (lambda line: None)
    operator = operator or current_operator()
    if cancel.is_set():  # e.g. ^C while it waited for a free slot
        return RunOutcome(repo.id, None, RunState.CANCELLED, message=said("run.msg.cancelled_before"))
    try:
        lock = RepoLock(profile.storage_root, repo.id).acquire()
    except AlreadyRunning as exc:
        return RunOutcome(repo.id, None, "already-running", message=str(exc))
    except OSError as exc:
        return RunOutcome(repo.id, None, RunState.FAILED,
                          message=said("run.msg.storage", root=profile.storage_root, error=exc.strerror))
    try:
        with Catalog(profile.catalog_path) as catalog:
            return _run_leased(profile, repo, catalog, trigger, operator, cancel, on_progress, log, producer,
                               session_id, only_if_pending)
    except (sqlite3.Error, CatalogError) as exc:  # the catalog itself failed (its disk full?): say so, go on
        return RunOutcome(repo.id, None, RunState.FAILED,
                          message=said("run.msg.catalog", catalog=profile.catalog_path, error=exc))
    finally:
        lock.release()


def _run_leased(profile, repo, catalog: Catalog, trigger, operator, cancel, on_progress, log, producer, session_id,
                only_if_pending) -> RunOutcome:
    """The run under the repository's lease in the catalog: the file lock guards one machine, the lease
    every host sharing the catalog (engine/hosts.py)."""
    lease = Lease(profile, repo.id, profile.lease.total_seconds(), outer=cancel)
    try:
        lease.acquire(catalog)
    except LeaseHeld as exc:
        if only_if_pending:  # another host is backing it up now: nothing is wanted of this one
            return RunOutcome(repo.id, None, SKIPPED, message=said("run.msg.running_on", host=exc.holder.host))
        return RunOutcome(repo.id, None, "already-running",
                          message=said("run.msg.already", repo=repo.id, holder=exc))
    try:
        if only_if_pending and not _still_pending(profile, repo, catalog):
            return RunOutcome(repo.id, None, SKIPPED, message=said("run.msg.meanwhile"))
        outcome = _run_locked(profile, repo, catalog, trigger, operator, lease.cancel, on_progress, log, producer,
                              session_id)
    except Refused as exc:  # its run was marked interrupted by another host: the lease had been lost
        outcome = RunOutcome(repo.id, None, RunState.FAILED, message=said("run.msg.lease_lost", error=exc))
    finally:
        lease.release(catalog)
    if lease.lost.is_set():
        log(f"the lease of {repo.id} in the catalog was lost: the run was stopped")
        return replace(outcome, message=said("run.msg.lease_stopped"))
    return outcome


def _still_pending(profile, repo, catalog: Catalog) -> bool:
    """Whether a run is still wanted, now that this host holds the lease: another may have made it since
    this one found it due."""
    from dse_tui.core.engine.schedule import repo_status

    return repo_status(repo, catalog.last_status().get(repo.id), utcnow()).pending


def _run_locked(profile, repo, catalog: Catalog, trigger, operator, cancel, on_progress, log, producer=None,
                session_id=None) -> RunOutcome:
    repo_dir = profile.storage_root / repo.id
    for stale in catalog.interrupt_stale_runs(repo.id):
        log(f"run {stale} had been interrupted: marked failed")
        # Killed between the rename and the catalog's "good": complete maybe, but never read back.
        for orphan in repo_dir.glob(f"*-r{stale}") if repo_dir.is_dir() else ():
            shutil.rmtree(orphan, ignore_errors=True)
            log(f"removed {orphan.name}, which the interrupted run {stale} never confirmed")
    for step in catalog.interrupt_dead_steps():  # the dead run's own verification and copies among them
        log(f"a {step.action} of {step.repository} had been interrupted: marked so")
    _remove_stale_temporaries(repo_dir, log)
    expected = next(iter(catalog.good_sizes(repo.id, 1)), None)  # the last good run's size, for an ETA
    started = utcnow()
    t0 = time.monotonic()
    report = PhaseReporter(repo.id, expected, on_progress)
    host = this_host()
    run_id = catalog.start_run(repo.id, trigger=trigger, operator=operator, at=started, session_id=session_id,
                               host=host)
    catalog.record_event("run started", "ok", repository=repo.id, operator=operator,
                         detail={"run_id": run_id, "trigger": trigger, "session_id": session_id, "host": host})
    name = f"{started.strftime('%Y%m%dT%H%M%SZ')}-r{run_id}"
    workdir = repo_dir / f"{TMP_PREFIX}{name}"
    final = repo_dir / name
    ctx = BackupContext(
        profile, repo, workdir, cancel,
        deadline=t0 + repo.timeout.total_seconds(),
        on_bytes=report.bytes if on_progress else None,
        log=log, recipients=repo.recipients)
    state, message, manifest_path, digest, size = RunState.FAILED, None, None, None, None
    try:
        workdir.mkdir(parents=True, mode=0o700)  # transient plaintext (an SQLite copy) is the owner's only
        driver = drivers.get(repo.driver)
        report.phase(BACKUP, total=expected)
        (producer or driver.backup)(ctx)
        if not ctx.parts:
            raise BackupError("the driver produced nothing to keep")
        # The records travel with the backup set: the catalog is never their only copy (ISO 9001 4.2.4).
        # Each run carries the log since its repository's previous run (and an overlap): together the runs
        # hold all of it, and no run carries a site's whole history.
        start = segment_start(catalog, repo.id)
        log_bytes = export_jsonl(catalog, start)
        ctx.on_bytes = None  # progress is of the data, measured against the last good run's data size
        written = ctx.part(AUDIT_LOG, [], feed=lambda pipe: pipe.write(log_bytes))
        last = catalog.last_event_id()
        ctx.meta["audit_log"] = {"part": written.file, "first_id": start + 1, "last_id": last}
        manifest = _manifest(profile, repo, ctx, driver, run_id, started, operator, trigger, session_id)
        # Compact, a driver's per-file entries streamed into it; hashed as it is written, read back below.
        written_manifest = write_manifest(workdir / MANIFEST, manifest)
        fsync_dir(workdir)
        os.rename(workdir, final)  # the moment the run gets its final name: complete, or not there at all
        fsync_dir(repo_dir)
        manifest_path = final / MANIFEST
        report.phase(READ_BACK, total=manifest["size"])
        _read_back(final, manifest, report.bytes, {p.file for p in ctx.parts if p.read_back})
        digest = _read_back_manifest(manifest_path, *written_manifest)
        # The read-back is not stopped half way: a ^C during it (or as the last stream ended) cancels the run
        # here, before a verification with nothing to stream, which never looks at the cancel, finds it good.
        if cancel.is_set():
            raise Cancelled()
        size = manifest["data_size"]  # the catalog's size, its charts and the shrink rule: the data alone
        report.phase(VERIFY, expected_seconds=_verification_seconds(catalog, repo, run_id, size))
        state, message = _verify_fresh(profile, repo, catalog, run_id, final, digest, operator, cancel, log,
                                       report.bytes)
        if state == RunState.GOOD and ctx.unsatisfactory:
            state, message = UNSATISFACTORY, ctx.unsatisfactory
        if state == RunState.GOOD:
            log(f"good: {len(ctx.parts)} part(s), {size} bytes in {final}")
    except BackupError as exc:
        message = str(exc)
    except Cancelled:
        state, message = RunState.CANCELLED, said("run.msg.cancelled")
    except (TimedOut, subprocess.TimeoutExpired):
        message = said("run.msg.timed_out", timeout=repo.timeout)
    except FileNotFoundError as exc:
        message = (said("run.msg.not_installed", tool=exc.filename) if exc.filename and "/" not in str(exc.filename)
                   else f"{exc.strerror}: {exc.filename}")
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            message = said("run.msg.disk_full", root=profile.storage_root)
        else:
            message = f"{exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}"
    except Exception as exc:  # a bug must not stop the other repositories' runs
        message = said("run.msg.internal", error=repr(exc))
        ctx.stderr.append(traceback.format_exc())
    finally:
        # A complete artifact that is not satisfactory stays, marked failed, as evidence (and to be accepted
        # if only the shrink rule held it); anything else that is not good goes.
        kept = state in (RunState.GOOD, UNSATISFACTORY)
        if not kept:
            shutil.rmtree(workdir, ignore_errors=True)
            if final.exists():
                shutil.rmtree(final, ignore_errors=True)  # renamed but not read back right: not a backup
        if message:
            log(f"{state}: {message}")
    if state == UNSATISFACTORY:
        state = RunState.FAILED
    elapsed = time.monotonic() - t0
    full_log = "\n".join(ctx.stderr) or None
    catalog.finish_run(run_id, state, size=size, sha256=digest, artifact=str(final) if kept else None,
                       manifest=str(manifest_path) if kept else None, message=message, log=full_log,
                       key_ids=[key_id(r) for r in ctx.recipients] if kept else None, operator=operator)
    if state == RunState.FAILED:
        # Procedure 4.2.1: a backup that is not satisfactory calls for a manual one.
        catalog.set_manual_required(repo.id, f"run {run_id} failed: {message}")
        notify.run_failed(profile, catalog, repo, run_id, message)
    elif state == RunState.GOOD:
        clear_manual_required(catalog, repo.id, started)
    copies = (_copy_good_run(profile, repo, catalog, run_id, operator, cancel, log, report)
              if state == RunState.GOOD else None)
    if state == RunState.GOOD:
        try:
            removed = [d.run.id for d in prune(profile, catalog, repo, operator=operator) if not d.keep]
            if removed:
                log(f"retention: pruned run(s) {', '.join(map(str, removed))}")
        except OSError as exc:  # pruning is housekeeping: it must not turn a good run into a failure
            log(f"retention: could not prune: {exc}")
    stored = catalog.verified_copies([run_id]).get(run_id, 0) >= repo.copies if state == RunState.GOOD else None
    return RunOutcome(repo.id, run_id, state, str(final) if kept else None,
                      str(manifest_path) if kept else None, size, digest, message, elapsed, copies, stored,
                      ctx.meta.get("not_archived", []))


def _copy_good_run(profile, repo, catalog: Catalog, run_id: int, operator, cancel, log,
                   report: PhaseReporter) -> list[dict]:
    """Procedure 4.2.1: a satisfactory backup goes onto its distinct devices at once. A destination that
    fails (a disk not plugged in) is said and recorded; the run stays good, "not stored" until copied."""
    from dse_tui.core.destinations.copies import copy_run, run_files

    out = []
    run = catalog.run(run_id)
    for dest_id in repo.destinations:
        dest = profile.destinations.get(dest_id)
        if dest is None or cancel.is_set():
            continue
        try:
            report.phase(COPY, total=sum(f["size"] for f in run_files(run)), destination=dest_id)
            out.append(copy_run(profile, catalog, run, dest, cancel=cancel, log=log, operator=operator,
                                on_bytes=report.bytes).as_json())
        except Exception as exc:  # a bug in one destination must not cost the run or the other copies
            log(f"{dest_id}: internal error while copying: {exc!r}")
            out.append({"destination": dest_id, "state": CopyState.FAILED, "message": f"internal error: {exc!r}"})
    return out


def _verify_fresh(profile, repo, catalog: Catalog, run_id: int, final: Path, digest: str, operator, cancel,
                  log, on_bytes=None) -> tuple[str, str | None]:
    """The run's verification at its repository's level and the site's rules, recorded: a run is good only
    once it passes. ('good' | 'unsatisfactory', message); raises Cancelled."""
    run = replace(catalog.run(run_id), artifact=str(final), manifest=str(final / MANIFEST), sha256=digest)
    with catalog.begin_step(profile.storage_root) as lock:
        verification = catalog.start_verification(run_id, repo.verify, trigger="after run", operator=operator,
                                                  lock=lock.mark)
        outcome, checks = check_run(profile, repo, run, catalog, repo.verify, cancel=cancel, log=log,
                                    checksum_done=True, on_bytes=on_bytes)
        message = None if outcome == VerificationOutcome.PASSED else (
            "cancelled" if outcome == VerificationOutcome.CANCELLED else summary(checks))
        catalog.finish_verification(verification, outcome, [c.as_json() for c in checks], message, operator=operator)
    if outcome == VerificationOutcome.CANCELLED:
        raise Cancelled()
    if outcome == VerificationOutcome.INCONCLUSIVE and only_key_missing(checks):
        # Written, read back and its plaintext hashed on the way: what only the key could add is the
        # deeper levels, which the next verification with the key makes. Not a reason for a manual backup.
        log(f"warning: verified to checksum only, the key is not at hand: {message}")
        return RunState.GOOD, None
    if outcome == VerificationOutcome.INCONCLUSIVE:  # a fresh run that could not be verified is not a good backup yet
        return UNSATISFACTORY, said("run.msg.unverified", why=message)
    return ((RunState.GOOD, None) if outcome == VerificationOutcome.PASSED
            else (UNSATISFACTORY, said("run.msg.unsatisfactory", why=message)))


def _verification_seconds(catalog: Catalog, repo, run_id: int, size: int) -> float | None:
    """How long this run's verification should take: the last good run's, after its run at the same level,
    scaled to this run's size. What a verification reads is what each level makes of the run, which only a
    driver knows: its bytes cannot be held against the run's size, its time can."""
    for run in catalog.recent_runs(repo.id, 5):
        if run.id == run_id or run.state != RunState.GOOD or not run.size:
            continue
        for v in catalog.verifications(run.id, 5):
            if (v.trigger == "after run" and v.outcome == VerificationOutcome.PASSED and v.level == repo.verify
                    and v.ended_at):
                return (v.ended_at - v.started_at).total_seconds() * size / run.size
        return None  # the last good run's own verification: an older one says less of this run
    return None


def _manifest(profile, repo, ctx: BackupContext, driver, run_id, started: datetime, operator, trigger,
              session_id=None) -> dict:
    tools = {"dse-tui": __version__}
    for spec in driver.tools(repo):
        path = find_tool(spec)
        if path:
            tools[Path(path).name] = tool_version(path)
    parts = [p.as_json() for p in ctx.parts]
    return {
        "format": "dse-tui-manifest/1",
        "site": profile.site.id,
        "repository": repo.id,
        "name": repo.name,
        "kind": repo.kind,
        "driver": repo.driver,
        "source": driver.describe(repo),
        "run_id": run_id,
        "trigger": trigger,
        **({"session_id": session_id} if session_id else {}),
        "operator": operator,
        "host": this_host(),
        "started_at": iso(started),
        "ended_at": iso(utcnow()),
        "size": sum(p.size for p in ctx.parts),
        "data_size": data_size({"parts": parts, **ctx.meta}),
        "parts": parts,
        "tools": tools,
        **({"encryption": manifest_block(ctx.recipients)} if ctx.recipients else {}),
        **ctx.meta,
    }


def _read_back(final: Path, manifest: dict, on_bytes: Callable[[int], None], done: set[str] = frozenset()) -> None:
    """Every part, read back from the disk, must have the size and SHA-256 its stream had as it was written
    (the manifest's). Those in `done` were, as they were written (a stream's read-behind); the others are
    here, under their final name. Each was fsynced: its pages in the cache are clean, and they are dropped
    first, so that the read comes from the disk and not from what the writing left in memory."""
    read = sum(p["size"] for p in manifest["parts"] if p["file"] in done)

    def count(n: int) -> None:  # not cancelled half way: a run that got this far is kept or failed whole
        nonlocal read
        read += n
        on_bytes(read)

    for part in manifest["parts"]:
        if part["file"] in done:
            continue
        drop_cache(final / part["file"])
        size, digest = sha256_file(final / part["file"], on_read=count)
        if size != part["size"] or digest != part["sha256"]:
            raise BackupError(f"{part['file']} read back differs from what was written (size {size}, "
                              f"expected {part['size']}): check the disk under {final.parent}")


def _read_back_manifest(path: Path, written_size: int, written_sha256: str) -> str:
    """The manifest read back from the disk as its parts are; its SHA-256, as written, is the catalog's."""
    drop_cache(path)
    size, digest = sha256_file(path)
    if size != written_size or digest != written_sha256:
        raise BackupError(f"{path.name} read back differs from what was written (size {size}, expected "
                          f"{written_size}): check the disk under {path.parent.parent}")
    return digest


def _remove_stale_temporaries(repo_dir: Path, log) -> None:
    if not repo_dir.is_dir():
        return
    for entry in repo_dir.iterdir():
        if entry.name.startswith(TMP_PREFIX):
            shutil.rmtree(entry, ignore_errors=True)
            log(f"removed the unfinished {entry.name} of an interrupted run")
