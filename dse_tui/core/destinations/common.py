"""What the destination kinds share to write and re-read files: a file hashed as it is copied, read back
from the medium as it is written and fsynced, a folder made under a temporary name and renamed, a folder
re-read against the manifest (from the medium: the page cache dropped first)."""

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
    spread onto another device. `dst` is read back from the medium as it is written (engine/readbehind.py),
    and must read as the manifest says."""
    from dse_tui.core.engine.readbehind import ReadBehind

    digest = hashlib.sha256()
    written = 0
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        behind = ReadBehind(fout.fileno())
        try:
            while chunk := fin.read(CHUNK):
                digest.update(chunk)
                fout.write(chunk)
                written += len(chunk)
                job.progress(len(chunk))
                if behind.due(written):
                    fout.flush()
                    behind.wrote(written)
            fout.flush()
            os.fsync(fout.fileno())
            size, read_back = behind.finish(written)
        except BaseException:
            behind.abort()
            raise
    if digest.hexdigest() != expected["sha256"]:
        raise CopyError("copy.source_damaged", src=src, run=job.run.id)
    if size != expected["size"] or read_back != expected["sha256"]:
        raise CopyError("copy.read_back_differs", file=dst.name, place=dst.parent.parent, size=size,
                        expected=expected["size"])


def copy_to_folder(job: Job, final: Path) -> Path:
    """The job's files into the folder `final` on a mounted filesystem, then read back from there."""
    final.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(final.parent).free
    if free < job.size:
        raise CopyError("copy.no_room", dest=job.dest.id, free=free, size=job.size)
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
        os.rename(tmp, final)  # each file read back from the medium as it was written: complete and right
        fsync_dir(final.parent)
    return final


def check_folder(folder: Path, files: list[dict]) -> None:
    """A copy in a folder re-read against `files` (only its manifest's, when the run was pruned here)."""
    if not folder.is_dir():
        raise CopyError("copy.folder_gone", folder=folder)
    if files[0]["size"] is None:
        files = own_manifest(folder / MANIFEST, files[0]["sha256"])
    for f in files:
        path = folder / f["file"]
        if not path.is_file():
            raise CopyError("copy.file_missing", file=f["file"], folder=folder)
        drop_cache(path)  # what the medium holds, not what a recent read of it left in memory
        _, digest = sha256_file(path)
        if digest != f["sha256"]:
            raise CopyError("copy.file_changed", file=f["file"], folder=folder)


def own_manifest(path: Path, sha256: str) -> list[dict]:
    """The files a copy's own manifest lists, once it hashes as the catalog recorded."""
    drop_cache(path)
    size, digest = sha256_file(path)
    if digest != sha256:
        raise CopyError("copy.manifest_changed", path=path)
    manifest = json.loads(path.read_text())
    return [{"file": p["file"], "size": p["size"], "sha256": p["sha256"]} for p in manifest["parts"]] + \
        [{"file": MANIFEST, "size": size, "sha256": sha256}]
