"""Copies onto optical discs: ISO 9660 images with Rock Ridge (and Joliet), built with xorriso, each ready
to burn with the operator's own tool and read back before it counts.

A run larger than one disc spans several images ("2 of 3"): parts are cut where a disc fills up
(`file.001`, `file.002`, …, joined with `cat` to restore) and every disc carries the manifest and an index
of the whole set, so any one disc says what the others hold."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dse_tui.core.catalog.media import Copy
from dse_tui.core.destinations.common import own_manifest
from dse_tui.core.destinations.job import CHUNK, MANIFEST, Copied, CopyError, Job, Unreachable
from dse_tui.core.engine.locks import claim_folder, claim_temporary
from dse_tui.core.engine.pipeline import Cancelled
from dse_tui.core.engine import supervisor
from dse_tui.core.profile.model import Destination
from dse_tui.core.verification.levels import SCRATCH, sha256_file
from dse_tui.core.texts import Text

RESERVE = 4 << 20  # per disc: the ISO's own structures, the index and a margin
TIMEOUT = 3600


@dataclass(frozen=True)
class Piece:
    file: str  # the part (or the manifest) it is of
    name: str  # its name on the disc
    offset: int
    length: int


def plan_discs(files: list[dict], capacity: int) -> list[list[Piece]]:
    """Which pieces go on which disc: parts in order, cut where a disc fills; the manifest on every disc."""
    manifest = next(f for f in files if f["file"] == MANIFEST)
    usable = capacity - RESERVE - manifest["size"]
    if usable <= 0:
        raise CopyError("optical.too_small", capacity=capacity)
    discs: list[list[Piece]] = [[]]
    room = usable
    for f in files:
        if f["file"] == MANIFEST:
            continue
        if f["size"] == 0:  # an empty part is still a part: on the current disc, whole
            discs[-1].append(Piece(f["file"], f["file"], 0, 0))
            continue
        cuts = []
        offset, left = 0, f["size"]
        while left > 0:
            if room == 0:
                discs.append([])
                room = usable
            take = min(left, room)
            cuts.append((offset, take, len(discs) - 1))
            offset, left, room = offset + take, left - take, room - take
        for k, (off, length, disc) in enumerate(cuts, 1):
            name = f["file"] if len(cuts) == 1 else f"{f['file']}.{k:03}"
            discs[disc].append(Piece(f["file"], name, off, length))
    for disc in discs:
        disc.append(Piece(MANIFEST, MANIFEST, 0, manifest["size"]))
    return discs


def volume_id(code: str) -> str:
    """ISO 9660 volume ids are d-characters (A-Z, 0-9, _), at most 32."""
    return re.sub(r"[^A-Z0-9_]", "_", code.upper())[:32]


def copy(job: Job) -> Copied:
    from dse_tui.core.destinations.media import allocate_medium, refresh_expiry

    if not shutil.which("xorriso"):
        raise CopyError("optical.no_xorriso")
    dest, catalog = job.dest, job.catalog
    capacity = dest.capacity
    discs = plan_discs(job.files, capacity)
    folder = Path(dest.path)
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < job.size + len(discs) * RESERVE:
        raise CopyError("optical.no_room", folder=folder, free=free, size=job.size)
    codes = []
    for _ in discs:
        # Recorded at once (blank until verified), so two images never get one code.
        codes.append(allocate_medium(job.profile, catalog, dest, "optical", capacity=capacity, state="blank",
                                     location=dest.settings.get("location") or f"image in {folder}, to burn"))
    index = _index(job, discs, [c for c, _ in codes])
    images = []
    try:
        for n, (disc, (code, mid)) in enumerate(zip(discs, codes), 1):
            image = folder / f"{code}.iso"
            _build(job, disc, image, code, index, n)
            images.append(image)  # from here on removed again if anything fails
            size = image.stat().st_size
            if size > capacity:
                raise CopyError("optical.image_too_big", image=image.name, size=size, capacity=capacity)
        _read_back(job, discs, images)
    except BaseException:
        for image in images:
            image.unlink(missing_ok=True)
        for code, mid in codes:
            catalog.update_medium(mid, state="destroyed", note="its image failed to build or verify")
        raise
    for n, (image, (code, mid)) in enumerate(zip(images, codes), 1):
        catalog.link_copy_medium(job.copy_id, mid, n, len(images), path=str(image), size=image.stat().st_size,
                                 sha256=sha256_file(image)[1])
        catalog.update_medium(mid, state="in-use")
        catalog.record_event("medium created", "ok", repository=job.run.repository, operator=job.operator,
                             detail={"code": code, "kind": "optical", "image": str(image), "seq": f"{n} of {len(images)}"})
        refresh_expiry(job.profile, catalog, mid)
    return Copied(str(folder / f"{codes[0][0]}.iso"), f"optical:{codes[0][0]}", [c for c, _ in codes])


def _index(job: Job, discs: list[list[Piece]], codes: list[str]) -> dict:
    return {
        "format": "dse-tui-disc-set/1", "site": job.profile.site.id, "repository": job.run.repository,
        "run_id": job.run.id, "run": job.name, "manifest_sha256": job.manifest_sha256,
        "discs": [{"seq": n, "of": len(discs), "code": code,
                   "pieces": [{"file": p.file, "name": p.name, "offset": p.offset, "length": p.length}
                              for p in disc]} for n, (disc, code) in enumerate(zip(discs, codes), 1)],
        "restore": "copy every disc's files into one folder; join cut parts in order: cat NAME.001 NAME.002 … > NAME",
    }


def _build(job: Job, disc: list[Piece], image: Path, code: str, index: dict, n: int) -> None:
    claimed = claim_temporary(image.parent, image.stem)  # a dead build's is removed by the next one
    scratch = claimed.path
    tmp = scratch / image.name  # the image being made: renamed to its final name only when complete
    try:
        (scratch / "index.json").write_text(json.dumps({**index, "this_disc": n}, indent=2))
        lines = [f"{code}: disc {n} of {len(index['discs'])} · {index['repository']} · run {index['run_id']} "
                 f"({index['run']})", ""]
        for d in index["discs"]:
            lines.append(f"disc {d['seq']} ({d['code']}): " + ", ".join(p["name"] for p in d["pieces"]))
        lines += ["", index["restore"]]
        (scratch / "INDEX.txt").write_text("\n".join(lines) + "\n")
        argv = ["xorriso", "-abort_on", "FAILURE", "-report_about", "FAILURE", "-outdev", f"stdio:{tmp}",
                "-volid", volume_id(code), "-joliet", "on", "-rockridge", "on",
                "-map", str(scratch / "index.json"), "/index.json", "-map", str(scratch / "INDEX.txt"), "/INDEX.txt"]
        for p in disc:
            src = str(job.source / p.file)
            whole = p.offset == 0 and p.length == (job.source / p.file).stat().st_size
            argv += ["-map", src, f"/{p.name}"] if whole else ["-cut_out", src, str(p.offset), str(p.length),
                                                              f"/{p.name}"]
        argv.append("-commit")
        tmp.unlink(missing_ok=True)
        code_, stderr = _xorriso(argv, job)
        if code_ != 0:
            tail = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit {code_}"
            raise CopyError("optical.xorriso_failed", image=image.name, error=tail)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.rename(tmp, image)
        job.progress(sum(p.length for p in disc if p.file != MANIFEST))
    finally:
        claimed.release()


def _read_back(job: Job, discs: list[list[Piece]], images: list[Path]) -> None:
    """Every image opened with xorriso -osirrox and extracted; the pieces, joined in order, must hash as the
    manifest says; every disc's manifest as the catalog says."""
    expected = {f["file"]: f for f in job.files}
    digests = {name: hashlib.sha256() for name in expected if name != MANIFEST}
    for disc, image in zip(discs, images):
        with claim_folder(job.profile.storage_root / SCRATCH, f"disc-{image.stem}") as owned:
            _read_disc(job, disc, image, owned.path, digests)
    for name, digest in digests.items():
        if digest.hexdigest() != expected[name]["sha256"]:
            raise CopyError("optical.read_back_differs", file=name)


def _read_disc(job: Job, disc: list[Piece], image: Path, scratch: Path, digests: dict) -> None:
    """One image extracted into `scratch`: its pieces checked, its parts' bytes added to `digests`."""
    status, stderr = _xorriso(["xorriso", "-osirrox", "on", "-indev", f"stdio:{image}", "-extract", "/",
                               str(scratch)], job)
    if status != 0:
        tail = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit {status}"
        raise CopyError("optical.unreadable", image=image.name, error=tail)
    for p in disc:
        path = scratch / p.name
        if not path.is_file() or path.stat().st_size != p.length:
            raise CopyError("optical.part_wrong", image=image.name, file=p.name)
        if p.file == MANIFEST:
            if sha256_file(path)[1] != job.manifest_sha256:
                raise CopyError("optical.manifest_differs", image=image.name)
            continue
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                digests[p.file].update(chunk)
                if job.cancel.is_set():
                    raise Cancelled()


def _xorriso(argv: list[str], job: Job) -> tuple[int, str]:
    """xorriso, stopped when the operator cancels (a DVD image takes minutes) or after TIMEOUT."""
    import tempfile
    import time

    with tempfile.TemporaryFile() as err:
        ending, status = supervisor.run(argv, cancel=job.cancel, deadline=time.monotonic() + TIMEOUT,
                                        stdout=subprocess.DEVNULL, stderr=err)
        if ending is supervisor.Ending.CANCELLED:
            raise Cancelled()
        if ending is supervisor.Ending.TIMED_OUT:
            raise CopyError("optical.timeout", seconds=TIMEOUT)
        err.seek(0)
        return status, err.read().decode(errors="replace")


def verify(job: Job, existing: Copy) -> None:
    """The set's images, where they wait to be burned, read back as when they were made."""
    catalog = job.catalog
    links = catalog.copy_media(existing.id)
    images = [Path(cm.path) for cm in links]
    missing = [str(p) for p in images if not p.is_file()]
    if missing:
        raise Unreachable("optical.images_gone", images=", ".join(missing))
    capacity = catalog.medium(links[0].medium_id).capacity
    if job.files[0]["size"] is None:  # pruned here: the set's own manifest (on every disc), checked first
        job.files = _manifest_from_image(job.profile, images[0], job.files[0]["sha256"])
    _read_back(job, plan_discs(job.files, capacity), images)


def _manifest_from_image(profile, image: Path, sha256: str) -> list[dict]:
    with claim_folder(profile.storage_root / SCRATCH, f"manifest-{image.stem}") as owned:
        manifest = owned.path / "manifest.json"
        out = subprocess.run(["xorriso", "-osirrox", "on", "-indev", f"stdio:{image}", "-extract", "/manifest.json",
                              str(manifest)], capture_output=True, text=True, timeout=600)
        if out.returncode != 0 or not manifest.is_file():
            raise CopyError("optical.manifest_unreadable", image=image.name)
        return own_manifest(manifest, sha256)


def describe(dest: Destination) -> str:
    disc = dest.settings.get("disc") or Text("dest.optical_bytes", capacity=dest.capacity)
    return Text("dest.optical", disc=disc, path=dest.path)


def device(dest: Destination) -> str | None:
    return None  # every disc is a medium, and a device, of its own


def tools(dest: Destination) -> list[str]:
    return ["xorriso"]  # makes the images and reads them back
