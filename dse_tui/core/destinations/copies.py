"""Copies of a good run onto its repository's destinations (procedure 4.2.1: distinct devices), each read
back and compared with the manifest's SHA-256 before it counts.

A copy is written under a temporary name, fsynced and renamed, then every file is read back from its
final name; only then does the catalog call it verified. Copies count by device, not by destination: two
folders on one disk are one copy. Each destination fails on its own; the others go on."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from dse_tui.core.catalog import Catalog, Run, current_operator
from dse_tui.core.destinations.job import CHUNK, MANIFEST, CopyError, Job
from dse_tui.core.profile.config import Destination, Profile
from dse_tui.core.destinations.encrypt import StagingError
from dse_tui.core.keys.crypto import key_id
from dse_tui.core.common.fsutil import fsync_dir
from dse_tui.core.engine.locks import claim_temporary
from dse_tui.core.engine.pipeline import Cancelled
from dse_tui.core.verification.levels import sha256_file

@dataclass
class CopyOutcome:
    run_id: int
    repository: str
    destination: str
    state: str  # verified | failed | skipped | cancelled
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

    parts = json.loads(Path(run.manifest).read_text())["parts"]
    return bool(parts) and all(is_encrypted(p) for p in parts)


def run_files(run: Run) -> list[dict]:
    """The parts and the manifest, with what they must read back as."""
    manifest_path = Path(run.manifest)
    manifest = json.loads(manifest_path.read_text())
    files = [{"file": p["file"], "size": p["size"], "sha256": p["sha256"]} for p in manifest["parts"]]
    files.append({"file": MANIFEST, "size": manifest_path.stat().st_size, "sha256": run.sha256})
    return files


def copy_run(profile: Profile, catalog: Catalog, run: Run, dest: Destination, *,
             cancel: threading.Event | None = None, log: Callable[[str], None] | None = None,
             on_bytes: Callable[[int], None] | None = None, operator: str | None = None) -> CopyOutcome:
    """Copy `run` to `dest` and read it back. Never raises for a failure of the copy: the outcome says it."""
    t0 = time.monotonic()
    out = CopyOutcome(run.id, run.repository, dest.id, "failed")
    if run.state != "good" or not run.artifact or catalog.is_pruned(run.id):
        out.message = f"run {run.id} is {run.state if run.state != 'good' else 'pruned'}: only a good, kept run is copied"
        return out
    if any(c.state == "verified" and c.destination == dest.id for c in catalog.copies_of(run.id)):
        out.state, out.message = "skipped", f"run {run.id} already has a verified copy on {dest.id}"
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
                raise CopyError(f"{f['file']} is missing from {job.source}: verify run {run.id}")
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
    catalog.record_event("copy", out.state, repository=run.repository, operator=job.operator,
                         detail={"run_id": run.id, "destination": dest.id, "copy_id": job.copy_id, "path": out.path,
                                 "media": out.media, "message": out.message})
    job.log(f"{dest.id}: {out.state}" + (f": {out.message}" if out.message else f" ({out.path})"))
    return out


def _copy_recorded(job: Job, out: CopyOutcome, encrypt_on_the_way: bool, mark: str) -> None:
    """The copy itself, from its row (`copying`, naming the lock held meanwhile) to its end in the catalog."""
    profile, catalog, run, dest = job.profile, job.catalog, job.run, job.dest
    job.copy_id = catalog.add_copy(run.id, dest.id, state="copying", lock=mark)
    catalog.record_event("copy started", "ok", repository=run.repository, operator=job.operator,
                         detail={"run_id": run.id, "destination": dest.id, "copy_id": job.copy_id})
    try:
        if encrypt_on_the_way:
            from dse_tui.core.destinations.encrypt import stage_encrypted

            job.staging, job.staged_sha256, job.files = stage_encrypted(job, dest.recipients)
        if dest.kind == "optical":
            from dse_tui.core.destinations.optical import copy_optical

            path, device, media = copy_optical(job)
        elif dest.kind == "ssh":
            path, device, media = _copy_ssh(job), _ssh_device(dest), []
        else:
            root, device, medium = _local_root(job)
            path = _copy_local(job, root / profile.site.id / run.repository / job.name)
            media = _link_removable(job, *medium) if medium else []
        out.state, out.path, out.media, out.size = "verified", str(path), media, job.size
        catalog.finish_copy(job.copy_id, "verified", path=str(path), size=job.size, sha256=job.manifest_sha256,
                            device=device, key_ids=[key_id(r) for r in dest.recipients] if job.staged else None)
    except Cancelled:
        out.state, out.message = "cancelled", "cancelled by the operator"
    except (CopyError, StagingError) as exc:
        out.message = str(exc)
    except OSError as exc:
        out.message = _os_message(exc, dest)
    except subprocess.TimeoutExpired as exc:
        out.message = f"{exc.cmd[0]} did not answer in {exc.timeout:.0f} s"
    finally:
        if job.staging:  # the copy carries it; the run keeps its own form
            job.staging.release()
    if out.state != "verified":  # a cancelled copy is failed too (it never counts), by its own event
        catalog.finish_copy(job.copy_id, "failed", message=out.message,
                            event="cancelled" if out.state == "cancelled" else None)
        if out.state == "failed":
            from dse_tui.core.records import notify
            notify.copy_failed(profile, catalog, run, dest.id, out.message, job.copy_id)


def _os_message(exc: OSError, dest: Destination) -> str:
    if exc.errno == errno.ENOSPC:
        return f"{dest.id} is full: free space there or use another medium"
    return f"{exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}"


# ---------------------------------------------------------------------- local folders and removable disks

def local_device(path: Path) -> str:
    """The filesystem a path is on (of its nearest existing folder): what "distinct device" compares."""
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    st = os.stat(p)
    return f"dev:{os.major(st.st_dev)}:{os.minor(st.st_dev)}"


def _local_root(job: Job) -> tuple[Path, str, list[str]]:
    dest = job.dest
    if dest.kind == "directory":
        if not Path(dest.path).is_dir():  # never made here: an unmounted share must not fill the local disk
            raise CopyError(f"{dest.path} does not exist: is the disk or share of {dest.id} mounted?")
        return Path(dest.path), local_device(Path(dest.path)), None
    from dse_tui.core.destinations.devices import DevicesError, block_devices, find_volume, volume_key

    wanted = dest.settings.get("uuid") or dest.settings.get("label")
    try:
        dev = find_volume(block_devices(), dest.settings.get("uuid"), dest.settings.get("label"))
    except DevicesError as exc:
        raise CopyError(str(exc)) from None
    if dev is None:
        raise CopyError(f"the removable disk {wanted} of {dest.id} is not plugged in")
    if not dev.mountpoint:
        raise CopyError(f"the removable disk {wanted} ({dev.path}) is plugged in but not mounted: mount it "
                        f"(udisksctl mount -b {dev.path}) and copy again")
    return Path(dev.mountpoint) / "dse-tui", f"vol:{volume_key(dev)}", (dev,)


def _link_removable(job: Job, dev) -> list[str]:
    """The disk's medium (made on its first copy), linked to the copy once it verified."""
    from dse_tui.core.destinations.devices import volume_key
    from dse_tui.core.destinations.media import allocate_medium, refresh_expiry

    catalog = job.catalog
    medium = catalog.medium_by_volume(job.dest.id, volume_key(dev))
    if medium is None:
        code, mid = allocate_medium(job.profile, catalog, job.dest, "removable", volume=volume_key(dev),
                                    capacity=dev.size,
                                    location=job.dest.settings.get("location") or job.dest.settings.get("description"))
        catalog.record_event("medium created", "ok", operator=job.operator,
                             detail={"code": code, "kind": "removable", "volume": volume_key(dev)})
        medium = catalog.medium(mid)
    elif medium.state == "blank":  # an erased disk written again: what it holds counts from now on
        catalog.update_medium(medium.id, state="in-use")
        catalog.record_event("medium moved", "ok", operator=job.operator,
                             detail={"code": medium.code, "state": "in-use", "why": "a copy was written on it"})
    catalog.link_copy_medium(job.copy_id, medium.id, 1, 1, path=dev.mountpoint)
    refresh_expiry(job.profile, catalog, medium.id)
    return [medium.code]


def _copy_local(job: Job, final: Path) -> Path:
    final.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(final.parent).free
    if free < job.size:
        raise CopyError(f"{job.dest.id} has {free} bytes free, the copy needs {job.size}: free space or use "
                        "another medium")
    # Made under a claimed temporary folder: a copy killed half-way is removed by the next one, found by
    # its lock (a pid in its name would have kept it there for good once the number was reused).
    with claim_temporary(final.parent, final.name) as claimed:
        tmp = claimed.path / final.name
        tmp.mkdir()
        for f in job.files:
            _copy_file(job, job.source / f["file"], tmp / f["file"], f)
        fsync_dir(tmp)
        if final.exists():  # an earlier copy that did not verify: replaced, never trusted
            shutil.rmtree(final)
        os.rename(tmp, final)
        fsync_dir(final.parent)
    for f in job.files:  # read back from the final name, as the next restore would
        _drop_cache(final / f["file"])
        size, digest = sha256_file(final / f["file"])
        if size != f["size"] or digest != f["sha256"]:
            raise CopyError(f"{f['file']} read back from {final} differs from the manifest (size {size}, "
                            f"expected {f['size']}): the medium may be failing")
    return final


def _copy_file(job: Job, src: Path, dst: Path, expected: dict) -> None:
    digest = hashlib.sha256()
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(CHUNK):
            digest.update(chunk)
            fout.write(chunk)
            job.progress(len(chunk))
        fout.flush()
        os.fsync(fout.fileno())
    if digest.hexdigest() != expected["sha256"]:
        raise CopyError(f"{src} no longer matches its manifest: run {job.run.id} is damaged; verify it")


def _drop_cache(path: Path) -> None:
    """Written and fsynced: evict it from the page cache so the read-back comes from the medium itself."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass  # not every filesystem or platform has it; the hash still runs



# ---------------------------------------------------------------------- ssh

SSH_TIMEOUT = 120


def _ssh(dest: Destination) -> list[str]:
    from dse_tui.core.common.ssh import ssh_argv

    d = dest.settings
    return ssh_argv(d["host"], d.get("user"), d.get("port"), d.get("identity_file"), d.get("options") or ())


def _ssh_device(dest: Destination) -> str:
    d = dest.settings
    return f"ssh:{d.get('user') or ''}@{d['host']}:{d.get('port') or 22}"


def _remote(dest: Destination, script: str, timeout: float = SSH_TIMEOUT) -> str:
    out = subprocess.run(_ssh(dest) + [script], capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        message = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"
        raise CopyError(f"{dest.id} ({dest.settings['host']}): {message}")
    return out.stdout


def _copy_ssh(job: Job) -> str:
    dest, q = job.dest, shlex.quote
    final = f"{dest.path}/{job.profile.site.id}/{job.run.repository}/{job.name}"
    tmp = f"{final}.tmp-{os.getpid()}"
    _remote(dest, f"rm -rf {q(tmp)} && mkdir -p {q(tmp)}")
    try:
        for f in job.files:
            with subprocess.Popen(_ssh(dest) + [f"cat > {q(tmp + '/' + f['file'])}"], stdin=subprocess.PIPE,
                                  stderr=subprocess.PIPE) as proc, open(job.source / f["file"], "rb") as fin:
                try:
                    while chunk := fin.read(CHUNK):
                        proc.stdin.write(chunk)
                        job.progress(len(chunk))
                    proc.stdin.close()
                except BrokenPipeError:
                    pass
                except Cancelled:
                    proc.kill()
                    raise
                err = proc.stderr.read().decode(errors="replace").strip()
                if proc.wait(SSH_TIMEOUT) != 0:
                    raise CopyError(f"{dest.id}: writing {f['file']} failed: {err.splitlines()[-1] if err else 'ssh'}")
        _remote(dest, f"sync; rm -rf {q(final)} && mv {q(tmp)} {q(final)}")
    except BaseException:
        try:
            _remote(dest, f"rm -rf {q(tmp)}")
        except (CopyError, OSError, subprocess.TimeoutExpired):
            pass
        raise
    listing = _remote(dest, f"cd {q(final)} && sha256sum -- " + " ".join(q(f["file"]) for f in job.files),
                      timeout=max(SSH_TIMEOUT, job.size / 20e6))
    got = {}
    for line in listing.splitlines():
        digest, _, name = line.partition("  ")
        got[name] = digest
    for f in job.files:
        if got.get(f["file"]) != f["sha256"]:
            raise CopyError(f"{f['file']} read back on {dest.settings['host']}:{final} differs from the manifest")
    return f"{dest.settings['host']}:{final}"


# ---------------------------------------------------------------------- what to copy

def copy_pending(profile: Profile, catalog: Catalog, repo_ids: list[str] | None = None, *,
                 run_id: int | None = None, to: list[str] | None = None, cancel: threading.Event | None = None,
                 log: Callable[[str], None] | None = None, operator: str | None = None,
                 on_bytes: Callable[[str, int], None] | None = None) -> list[CopyOutcome]:
    """The latest good run of each repository named (all by default), or run `run_id`, onto each of its
    destinations (or those of `to`) that has no verified copy of it yet."""
    cancel = cancel or threading.Event()
    if run_id is not None:
        run = catalog.run(run_id)
        if run is None:
            raise CopyError(f"no run {run_id} in the catalog")
        targets = [(profile.repository(run.repository), run)]
    else:
        targets = []
        for repo in profile.repositories:
            if repo_ids and repo.id not in repo_ids:
                continue
            run = latest_good(catalog, repo.id)
            if run is not None:
                targets.append((repo, run))
    from dse_tui.core.engine.locks import AlreadyRunning, RepoLock

    outcomes = []
    for repo, run in targets:
        try:  # one writer per repository: a run (which copies too) or another copy waits its turn
            lock = RepoLock(profile.storage_root, repo.id).acquire()
        except AlreadyRunning as exc:
            outcomes += [CopyOutcome(run.id, repo.id, d, "failed", message=f"{exc}: copy again when it ends")
                         for d in (to or repo.destinations)]
            continue
        try:
            for dest_id in (to or repo.destinations):
                if cancel.is_set():
                    return outcomes
                dest = profile.destinations.get(dest_id)
                if dest is None:
                    outcomes.append(CopyOutcome(run.id, repo.id, dest_id, "failed", message=f"no destination {dest_id}"))
                    continue
                outcomes.append(copy_run(profile, catalog, run, dest, cancel=cancel, log=log, operator=operator,
                                         on_bytes=(lambda n, d=dest_id: on_bytes(d, n)) if on_bytes else None))
        finally:
            lock.release()
    return outcomes


def latest_good(catalog: Catalog, repo_id: str) -> Run | None:
    """The repository's latest good run that still has its artifact."""
    for run in catalog.recent_runs(repo_id, 50):
        if run.state == "good" and run.artifact and not catalog.is_pruned(run.id):
            return run
    return None
