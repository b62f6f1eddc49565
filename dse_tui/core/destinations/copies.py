"""Copies of a good run onto its repository's destinations (procedure 4.2.1: distinct devices), each read
back and compared with the manifest's SHA-256 before it counts.

A copy is written under a temporary name, fsynced and renamed, then every file is read back from its
final name; only then does the catalog call it verified. Copies count by device, not by destination: two
folders on one disk are one copy. Each destination fails on its own; the others go on.

This module is what every kind shares (what to copy, the loop over destinations, the catalog's record and
events); how a copy is written to a kind of destination and read back is that kind's module (see the
package: directory, removable, ssh, optical)."""

from __future__ import annotations

import errno
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from dse_tui.core.catalog import Catalog, Run, current_operator
from dse_tui.core.catalog.lifecycle import CopyState, Event, RunState
from dse_tui.core.destinations.base import kind_module
from dse_tui.core.destinations.job import MANIFEST, CopyError, Job
from dse_tui.core.profile.model import Destination, Profile
from dse_tui.core.destinations.encrypt import StagingError
from dse_tui.core.engine.pipeline import Cancelled
from dse_tui.core.keys.crypto import key_id
from dse_tui.core.verification.manifest import read_manifest
from dse_tui.core.texts import Text, said

SKIPPED = "skipped"  # a copy not made, since the destination has a verified one: no record, no event


@dataclass
class CopyOutcome:
    run_id: int
    repository: str
    destination: str
    state: str  # the event that ended its record (verified, failed, cancelled), or SKIPPED
    copy_id: int | None = None
    path: str | None = None
    message: str | None = None
    size: int = 0
    media: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def as_json(self) -> dict:
        return {"run_id": self.run_id, "repository": self.repository, "destination": self.destination,
                "state": self.state, "copy_id": self.copy_id, "path": self.path, "message": self.message,
                "size": self.size, "media": self.media, "elapsed": round(self.elapsed, 3)}


def _encrypted(run: Run) -> bool:
    """What the artifact says, not only the catalog: every part of it written by age."""
    from dse_tui.core.keys.crypto import is_encrypted

    parts = read_manifest(run.manifest)["parts"]
    return bool(parts) and all(is_encrypted(p) for p in parts)


def run_files(run: Run) -> list[dict]:
    """The parts and the manifest, with what they must read back as."""
    manifest_path = Path(run.manifest)
    manifest = read_manifest(manifest_path)  # its parts: a files run's entries are not read
    files = [{"file": p["file"], "size": p["size"], "sha256": p["sha256"]} for p in manifest["parts"]]
    files.append({"file": MANIFEST, "size": manifest_path.stat().st_size, "sha256": run.sha256})
    return files


def copy_run(profile: Profile, catalog: Catalog, run: Run, dest: Destination, *,
             cancel: threading.Event | None = None, log: Callable[[str], None] | None = None,
             on_bytes: Callable[[int], None] | None = None, operator: str | None = None) -> CopyOutcome:
    """Copy `run` to `dest` and read it back. Never raises for a failure of the copy: the outcome says it."""
    t0 = time.monotonic()
    out = CopyOutcome(run.id, run.repository, dest.id, CopyState.FAILED)
    if run.state != RunState.GOOD or not run.artifact or catalog.is_pruned(run.id):
        out.message = (f"run {run.id} is {run.state if run.state != RunState.GOOD else 'pruned'}: only a good, kept run"
                       " is copied")
        return out
    if any(c.state == CopyState.VERIFIED and c.destination == dest.id for c in catalog.copies_of(run.id)):
        out.state, out.message = SKIPPED, f"run {run.id} already has a verified copy on {dest.id}"
        return out
    job = Job(profile, catalog, run, dest, [], cancel or threading.Event(), log or (lambda line: None), on_bytes,
              operator or current_operator())
    try:
        encrypted = _encrypted(run)
        encrypt_on_the_way = bool(dest.recipients) and not encrypted
        if dest.settings.get("require_encryption") and not encrypted and not encrypt_on_the_way:
            out.message = (f"{dest.id} requires encryption and run {run.id} is not encrypted: it is not copied there "
                           f"(set encrypt: true on {run.repository}; its next runs can go there)")
            catalog.record_event("copy refused", "failed", repository=run.repository, operator=job.operator,
                                 detail={"run_id": run.id, "destination": dest.id, "message": out.message})
            return out
        job.files = run_files(run)
        for f in job.files:  # the source first: a damaged run is not spread onto other devices
            if not (job.source / f["file"]).is_file():
                raise CopyError("copy.source_file_missing", file=f["file"], source=job.source, run=run.id)
    except CopyError as exc:
        out.message = str(exc)
        return out
    except (OSError, ValueError, KeyError) as exc:
        out.message = f"cannot read run {run.id}'s manifest: {exc}"
        return out
    try:
        lock = catalog.begin_step(profile.storage_root)
    except OSError as exc:
        out.message = str(exc)
        return out
    with lock:
        _copy_recorded(job, out, encrypt_on_the_way, lock.mark)
    out.copy_id, out.elapsed = job.copy_id, time.monotonic() - t0
    state = Text(f"copystate.{out.state}")
    job.log(str(Text("copy.log.ended", dest=dest.id, state=state, message=out.message) if out.message
                else Text("copy.log.ended_at", dest=dest.id, state=state, path=out.path)))
    return out


def _copy_recorded(job: Job, out: CopyOutcome, encrypt_on_the_way: bool, mark: str) -> None:
    """The copy itself, from its row (`copying`, naming the lock held meanwhile) to its end in the catalog,
    which records its event."""
    profile, catalog, run, dest = job.profile, job.catalog, job.run, job.dest
    job.copy_id = catalog.add_copy(run.id, dest.id, state=CopyState.COPYING, lock=mark)
    catalog.record_event("copy started", "ok", repository=run.repository, operator=job.operator,
                         detail={"run_id": run.id, "destination": dest.id, "copy_id": job.copy_id})
    try:
        if encrypt_on_the_way:
            from dse_tui.core.destinations.encrypt import stage_encrypted

            job.staging, job.staged_sha256, job.files = stage_encrypted(job, dest.recipients)
        kind = kind_module(dest.kind)
        # Said before it starts: a copy onto a disc set or a slow host takes minutes.
        job.log(str(Text("copy.log.copying", dest=dest.id, run=run.id, where=kind.describe(dest))))
        copied = kind.copy(job)
        out.state, out.path, out.media, out.size = CopyState.VERIFIED, copied.path, copied.media, job.size
        catalog.finish_copy(job.copy_id, CopyState.VERIFIED, path=copied.path, size=job.size,
                            sha256=job.manifest_sha256, device=copied.device,
                            key_ids=[key_id(r) for r in dest.recipients] if job.staged else None,
                            media=copied.media, operator=job.operator)
    except Cancelled:
        out.state, out.message = Event.CANCELLED, said("run.msg.cancelled")
    except (CopyError, StagingError) as exc:
        out.message = str(exc)
    except OSError as exc:
        out.message = _os_message(exc, dest)
    except subprocess.TimeoutExpired as exc:
        out.message = f"{exc.cmd[0]} did not answer in {exc.timeout:.0f} s"
    finally:
        if job.staging:  # the copy carries it; the run keeps its own form
            job.staging.release()
    if out.state != CopyState.VERIFIED:  # a cancelled copy is failed too (it never counts), by its own event
        catalog.finish_copy(job.copy_id, CopyState.FAILED, message=out.message,
                            event=Event.CANCELLED if out.state == Event.CANCELLED else None, operator=job.operator)
        if out.state == CopyState.FAILED:
            from dse_tui.core.records import notify
            notify.copy_failed(profile, catalog, run, dest.id, out.message, job.copy_id)


def _os_message(exc: OSError, dest: Destination) -> str:
    if exc.errno == errno.ENOSPC:
        return f"{dest.id} is full: free space there or use another medium"
    return f"{exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}"


# ---------------------------------------------------------------------- what to copy

def copy_pending(profile: Profile, catalog: Catalog, repo_ids: list[str] | None = None, *,
                 run_id: int | None = None, to: list[str] | None = None, cancel: threading.Event | None = None,
                 log: Callable[[str], None] | None = None, operator: str | None = None,
                 on_bytes: Callable[[str, int], None] | None = None) -> list[CopyOutcome]:
    """The latest good run of each repository named (all by default), or run `run_id`, onto each of its
    destinations (or those of `to`) that has no verified copy of it yet."""
    from dse_tui.core.engine.hosts import made_here

    cancel = cancel or threading.Event()
    if run_id is not None:
        run = catalog.run(run_id)
        if run is None:
            raise CopyError("copy.run_unknown", run=run_id)
        targets = [(profile.repository(run.repository), run)]
    else:
        targets = []
        for repo in profile.repositories:
            if repo_ids and repo.id not in repo_ids:
                continue
            run = latest_good(catalog, repo.id)
            # Another host's run is copied by that host, whose storage root holds it (engine/hosts.py).
            if run is not None and made_here(run):
                targets.append((repo, run))
    from dse_tui.core.engine.locks import AlreadyRunning, RepoLock

    outcomes = []
    for repo, run in targets:
        try:  # one writer per repository: a run (which copies too) or another copy waits its turn
            lock = RepoLock(profile.storage_root, repo.id).acquire()
        except AlreadyRunning as exc:
            outcomes += [CopyOutcome(run.id, repo.id, d, CopyState.FAILED, message=f"{exc}: copy again when it ends")
                         for d in (to or repo.destinations)]
            continue
        try:
            for dest_id in (to or repo.destinations):
                if cancel.is_set():
                    return outcomes
                dest = profile.destinations.get(dest_id)
                if dest is None:
                    outcomes.append(CopyOutcome(run.id, repo.id, dest_id, CopyState.FAILED,
                                                message=f"no destination {dest_id}"))
                    continue
                outcomes.append(copy_run(profile, catalog, run, dest, cancel=cancel, log=log, operator=operator,
                                         on_bytes=(lambda n, d=dest_id: on_bytes(d, n)) if on_bytes else None))
        finally:
            lock.release()
    return outcomes


def latest_good(catalog: Catalog, repo_id: str) -> Run | None:
    """The repository's latest good run that still has its artifact."""
    for run in catalog.recent_runs(repo_id, 50):
        if run.state == RunState.GOOD and run.artifact and not catalog.is_pruned(run.id):
            return run
    return None
