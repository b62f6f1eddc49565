"""What the destination kinds share to write and re-read files: a file hashed as it is copied and fsynced,
a folder made under a temporary name and renamed, the page cache dropped before a read-back, a folder
re-read against the manifest."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from dse_tui.core.common.fsutil import drop_cache, fsync_dir
from dse_tui.core.destinations.job import CHUNK, MANIFEST, CopyError, Job
from dse_tui.core.engine.locks import claim_temporary
from dse_tui.core.verification.levels import sha256_file


def copy_file(job: Job, src: Path, dst: Path, expected: dict) -> None:
    """`src` into `dst`, fsynced, hashed on the way: a source that no longer matches its manifest is not
    spread onto another device."""
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


def copy_to_folder(job: Job, final: Path) -> Path:
    """The job's files into the folder `final` on a mounted filesystem, then read back from there."""
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
            copy_file(job, job.source / f["file"], tmp / f["file"], f)
        fsync_dir(tmp)
        if final.exists():  # an earlier copy that did not verify: replaced, never trusted
            shutil.rmtree(final)
        os.rename(tmp, final)
        fsync_dir(final.parent)
    for f in job.files:  # read back from the final name, as the next restore would
        drop_cache(final / f["file"])
        size, digest = sha256_file(final / f["file"])
        if size != f["size"] or digest != f["sha256"]:
            raise CopyError(f"{f['file']} read back from {final} differs from the manifest (size {size}, "
                            f"expected {f['size']}): the medium may be failing")
    return final


def check_folder(folder: Path, files: list[dict]) -> None:
    """A copy in a folder re-read against `files` (only its manifest's, when the run was pruned here)."""
    if not folder.is_dir():
        raise CopyError(f"{folder} is gone")
    if files[0]["size"] is None:
        files = own_manifest(folder / MANIFEST, files[0]["sha256"])
    for f in files:
        path = folder / f["file"]
        if not path.is_file():
            raise CopyError(f"{f['file']} is missing from {folder}")
        drop_cache(path)  # what the medium holds, not what a recent read of it left in memory
        _, digest = sha256_file(path)
        if digest != f["sha256"]:
            raise CopyError(f"{f['file']} in {folder} no longer matches its SHA-256")


def own_manifest(path: Path, sha256: str) -> list[dict]:
    """The files a copy's own manifest lists, once it hashes as the catalog recorded."""
    drop_cache(path)
    size, digest = sha256_file(path)
    if digest != sha256:
        raise CopyError(f"{path} no longer matches the catalog's SHA-256")
    manifest = json.loads(path.read_text())
    return [{"file": p["file"], "size": p["size"], "sha256": p["sha256"]} for p in manifest["parts"]] + \
        [{"file": MANIFEST, "size": size, "sha256": sha256}]
