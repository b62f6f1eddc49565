"""Verification of copies: each copy re-read where it is and held against the run's manifest. A copy that
no longer matches is reported and stops counting; one that cannot be reached now (a disk not plugged in,
a host down) is said and left as it was."""

from __future__ import annotations

import hashlib
import json
import shlex
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dse_tui.core.catalog import Catalog, current_operator
from dse_tui.core.catalog.media import Copy
from dse_tui.core.destinations.copies import run_files
from dse_tui.core.destinations.job import CopyError, Job
from dse_tui.core.engine.pipeline import Cancelled
from dse_tui.core.verification.levels import sha256_file


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


class Unreachable(Exception):
    """The copy cannot be read now; it is not known to be bad."""


def verify_copy(profile, catalog: Catalog, copy: Copy, *, trigger: str = "console", operator: str | None = None,
                cancel: threading.Event | None = None) -> CopyCheck:
    operator = operator or current_operator()
    run = catalog.run(copy.run_id)
    check = CopyCheck(copy.id, run.id, run.repository, copy.destination, "failed")
    dest = profile.destinations.get(copy.destination)
    if dest is None:
        check.outcome, check.message = "inconclusive", f"destination {copy.destination} is no longer in the profile"
        return check
    try:
        lock = catalog.begin_step(profile.storage_root)
    except OSError as exc:
        check.outcome, check.message = "inconclusive", str(exc)
        return check
    with lock:
        verification = catalog.start_verification(run.id, "checksum", trigger=trigger, operator=operator,
                                                  copy_id=copy.id, lock=lock.mark)
        _check_copy(profile, catalog, run, copy, dest, check, cancel or threading.Event(), operator)
        catalog.finish_verification(verification, check.outcome, [{"name": f"copy on {copy.destination}",
                                                             "ok": check.outcome == "passed",
                                                             "detail": check.message or copy.path or ""}],
                                    check.message)
    if check.outcome == "failed":
        catalog.finish_copy(copy.id, "failed", message=f"verification failed: {check.message}",
                            event="verification failed")
    catalog.record_event("copy verification", check.outcome, repository=run.repository, operator=operator,
                         detail={"copy_id": copy.id, "run_id": run.id, "destination": copy.destination,
                                 "message": check.message})
    return check


def _check_copy(profile, catalog: Catalog, run, copy: Copy, dest, check: CopyCheck, cancel: threading.Event,
                operator: str) -> None:
    """The copy re-read where it is; `check` says how that went."""
    try:
        files = _expected(run, copy)
        if dest.kind == "ssh":
            _check_ssh(dest, copy, files)
        elif dest.kind == "optical":
            _check_optical(profile, catalog, run, copy, dest, files, cancel, operator)
        else:
            _check_local(catalog, dest, copy, files)
        check.outcome = "passed"
    except Unreachable as exc:
        check.outcome, check.message = "inconclusive", str(exc)
    except Cancelled:
        check.outcome, check.message = "cancelled", "cancelled by the operator"
    except (CopyError, OSError) as exc:
        check.message = str(exc) if isinstance(exc, CopyError) else f"{exc.strerror or exc}: {exc.filename or ''}"


def _expected(run, copy: Copy) -> list[dict]:
    if copy.sha256 and copy.sha256 != run.sha256:
        # Encrypted on its way there: the copy carries its own manifest, whose hash the catalog keeps.
        return [{"file": "manifest.json", "size": None, "sha256": copy.sha256}]
    if not run.manifest or not Path(run.manifest).is_file():
        # The run was pruned here: the copy is held against its own manifest, whose hash the catalog keeps.
        return [{"file": "manifest.json", "size": None, "sha256": run.sha256}]
    return run_files(run)


def _check_local(catalog: Catalog, dest, copy: Copy, files: list[dict]) -> None:
    folder = Path(copy.path or "")
    if dest.kind == "removable":
        folder = _where_mounted_now(catalog, dest, copy, folder)
    elif not Path(dest.path).is_dir():
        raise Unreachable(f"{dest.path} is not there: is the disk or share of {dest.id} mounted?")
    if not folder.is_dir():
        raise CopyError(f"{folder} is gone")
    if files[0]["size"] is None:
        files = _own_manifest(folder / "manifest.json", files[0]["sha256"])
    for f in files:
        path = folder / f["file"]
        if not path.is_file():
            raise CopyError(f"{f['file']} is missing from {folder}")
        size, digest = sha256_file(path)
        if digest != f["sha256"]:
            raise CopyError(f"{f['file']} in {folder} no longer matches its SHA-256")


def _where_mounted_now(catalog: Catalog, dest, copy: Copy, folder: Path) -> Path:
    """A removable disk is found by its volume wherever it is mounted today."""
    from dse_tui.core.destinations.devices import DevicesError, block_devices, find_volume

    links = catalog.copy_media(copy.id)
    medium = catalog.medium(links[0].medium_id) if links else None
    volume = medium.volume if medium else None
    uuid, label = (None, volume[6:]) if volume and volume.startswith("label:") else (volume, None)
    try:
        dev = find_volume(block_devices(), uuid, label) if volume else None
    except DevicesError as exc:
        raise Unreachable(str(exc)) from None
    if dev is None or not dev.mountpoint:
        raise Unreachable(f"the disk {medium.code if medium else volume} of {dest.id} is not plugged in or not mounted")
    old_mount = Path(links[0].path) if links and links[0].path else None
    try:
        return Path(dev.mountpoint) / folder.relative_to(old_mount) if old_mount else folder
    except ValueError:
        return folder


def _own_manifest(path: Path, sha256: str) -> list[dict]:
    size, digest = sha256_file(path)
    if digest != sha256:
        raise CopyError(f"{path} no longer matches the catalog's SHA-256")
    manifest = json.loads(path.read_text())
    return [{"file": p["file"], "size": p["size"], "sha256": p["sha256"]} for p in manifest["parts"]] + \
        [{"file": "manifest.json", "size": size, "sha256": sha256}]


def _ssh_run(dest, folder: str, script: str) -> bytes:
    import subprocess

    from dse_tui.core.destinations.copies import _ssh

    host = dest.settings["host"]
    try:
        out = subprocess.run(_ssh(dest) + [script], capture_output=True, timeout=3600)
    except subprocess.TimeoutExpired:
        raise Unreachable(f"{host} did not answer") from None
    err = out.stderr.decode(errors="replace").strip()
    last = err.splitlines()[-1] if err else f"exit {out.returncode}"
    if out.returncode == 255:  # ssh's own failure: the host, not the copy
        raise Unreachable(f"{host}: {last}")
    if out.returncode != 0:
        raise CopyError(f"{folder} on {host}: {last}")
    return out.stdout


def _check_ssh(dest, copy: Copy, files: list[dict]) -> None:
    folder = (copy.path or "").split(":", 1)[-1]
    q = shlex.quote
    if files[0]["size"] is None:  # pruned here: the copy's own manifest, if it is still the one recorded
        text = _ssh_run(dest, folder, f"cat {q(folder + '/manifest.json')}")
        if hashlib.sha256(text).hexdigest() != files[0]["sha256"]:
            raise CopyError(f"manifest.json on {dest.settings['host']}:{folder} no longer matches the catalog's")
        parts = json.loads(text)["parts"]
        files = [{"file": p["file"], "sha256": p["sha256"]} for p in parts] + files
    listing = _ssh_run(dest, folder, f"cd {q(folder)} && sha256sum -- " + " ".join(q(f["file"]) for f in files))
    got = {}
    for line in listing.decode(errors="replace").splitlines():
        digest, _, name = line.partition("  ")
        got[name] = digest
    for f in files:
        if got.get(f["file"]) != f["sha256"]:
            raise CopyError(f"{f['file']} on {dest.settings['host']}:{folder} no longer matches its SHA-256")


def _check_optical(profile, catalog: Catalog, run, copy: Copy, dest, files, cancel, operator) -> None:
    from dse_tui.core.destinations.optical import _read_back, plan_discs

    links = catalog.copy_media(copy.id)
    images = [Path(cm.path) for cm in links]
    missing = [str(p) for p in images if not p.is_file()]
    if missing:
        raise Unreachable(f"image(s) {', '.join(missing)} not on disk (burned and removed?): verify the discs "
                          "in a drive with xorriso -indev /dev/sr0 -check_media")
    capacity = catalog.medium(links[0].medium_id).capacity
    if files[0]["size"] is None:  # pruned here: the set's own manifest (on every disc), checked first
        files = _manifest_from_image(profile, images[0], files[0]["sha256"])
    job = Job(profile, catalog, run, dest, files, cancel, lambda line: None, None, operator, copy.id,
              staged_sha256=copy.sha256)  # the manifest on the discs: the run's, or its encrypted twin's
    _read_back(job, plan_discs(files, capacity), images)


def _manifest_from_image(profile, image: Path, sha256: str) -> list[dict]:
    import subprocess

    from dse_tui.core.engine.locks import claim_folder
    from dse_tui.core.verification.levels import SCRATCH

    with claim_folder(profile.storage_root / SCRATCH, f"manifest-{image.stem}") as owned:
        manifest = owned.path / "manifest.json"
        out = subprocess.run(["xorriso", "-osirrox", "on", "-indev", f"stdio:{image}", "-extract", "/manifest.json",
                              str(manifest)], capture_output=True, text=True, timeout=600)
        if out.returncode != 0 or not manifest.is_file():
            raise CopyError(f"{image.name}: its manifest cannot be read back")
        return _own_manifest(manifest, sha256)


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
