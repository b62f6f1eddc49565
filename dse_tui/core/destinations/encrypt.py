"""A plaintext run encrypted on its way to a destination that encrypts (`encrypt: true` on the destination):
an encrypted twin of the run is made next to it (every part through `age`, hashed as read and as written),
with its own manifest, and that twin is what the copy carries. The run itself stays as it is.

The twin's manifest is the run's, with each part renamed `NAME.zst.age`, its size and SHA-256 those of
the encrypted bytes, `plaintext_sha256` the run's own part digest, and `encrypted_copy_of` naming the
run's manifest. The copy is then verified, and later re-verified, against that manifest."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from dse_tui.core.keys.crypto import SUFFIX, encrypt_stage, key_id, manifest_block
from dse_tui.core.common.fsutil import fsync_dir
from dse_tui.core.engine.locks import OwnedFolder, claim_folder
from dse_tui.core.engine.pipeline import stream
from dse_tui.core.verification.levels import READ_CHUNK
from dse_tui.core.verification.manifest import read_manifest, write_manifest
from dse_tui.core.texts import Text, Told

STAGING = ".encrypted"
CHUNK = READ_CHUNK  # hashed as read (and as written): the size that hashes fastest


class StagingError(Told):
    pass


def stage_encrypted(job, recipients: tuple[str, ...]) -> tuple[OwnedFolder, str, list[dict]]:
    """(the twin's folder, its manifest's SHA-256, its files as a copy job lists them). The caller releases
    the folder once the copy is done; a twin left by a copy that was killed goes with the next one."""
    folder = claim_folder(job.profile.storage_root / STAGING, f"{Path(job.run.artifact).name}-{job.dest.id}")
    try:
        digest, files = _stage(job, folder.path, recipients)
    except BaseException:
        folder.release()
        raise
    return folder, digest, files


def _stage(job, folder: Path, recipients: tuple[str, ...]) -> tuple[str, list[dict]]:
    run = job.run
    source = Path(run.artifact)
    manifest = read_manifest(run.manifest)  # a files run's entries are streamed into the twin, never loaded
    needed = sum(p["size"] for p in manifest["parts"])
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise StagingError("copy.staging_room", run=run.id, dest=job.dest.id, needed=needed, free=free,
                           root=job.profile.storage_root)
    parts = []
    for p in manifest["parts"]:
        parts.append(_encrypt_part(job, source / p["file"], folder / (p["file"] + SUFFIX), p, recipients))
    renamed = {p["file"]: q["file"] for p, q in zip(manifest["parts"], parts)}
    twin = {**manifest, "parts": parts, "size": sum(q["size"] for q in parts),
            "encryption": manifest_block(recipients),
            "encrypted_copy_of": {"manifest_sha256": run.sha256, "destination": job.dest.id}}
    if isinstance(manifest.get("audit_log"), dict) and manifest["audit_log"].get("part") in renamed:
        twin["audit_log"] = {**manifest["audit_log"], "part": renamed[manifest["audit_log"]["part"]]}
    size, digest = write_manifest(folder / "manifest.json", twin)
    fsync_dir(folder)
    files = [{"file": q["file"], "size": q["size"], "sha256": q["sha256"]} for q in parts]
    files.append({"file": "manifest.json", "size": size, "sha256": digest})
    job.log(str(Text("copy.log.encrypted", dest=job.dest.id, run=run.id,
                     keys=", ".join(key_id(r) for r in recipients))))
    return digest, files


def _encrypt_part(job, src: Path, dst: Path, part: dict, recipients) -> dict:
    read = hashlib.sha256()
    size = [0]

    def feed(pipe) -> None:
        with open(src, "rb") as f:
            while chunk := f.read(CHUNK):
                read.update(chunk)
                size[0] += len(chunk)
                pipe.write(chunk)

    stage = encrypt_stage(recipients)
    with open(dst, "wb") as out:  # Cancelled (job.cancel) goes up to the copy, which says so
        result = stream([stage], out, feed=feed, cancel=job.cancel)
    if not result.ok:
        raise StagingError("copy.encrypt_failed", file=src.name, failure=result.failure())
    if read.hexdigest() != part["sha256"] or size[0] != part["size"]:
        raise StagingError("copy.source_damaged", src=src, run=job.run.id)
    return {**part, "file": dst.name, "size": result.size, "sha256": result.sha256,
            "commands": part.get("commands", []) + [stage.argv], "encryption": "age",
            "plaintext_size": part["size"], "plaintext_sha256": part["sha256"]}
