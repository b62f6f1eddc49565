"""An optical destination's spanning set put back together: every disc's pieces (cut where a disc filled)
written at their offsets into the run's files, in one folder, as the copy was before it was cut. The discs
may be images in several folders, mounted discs or a drive; a disc not among them is asked for by its
code (what its label says), and the set is never used with one missing."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable

from dse_tui.core.engine import supervisor
from dse_tui.core.engine.pipeline import Cancelled
from dse_tui.core.restore.found import DISC_SET_FORMAT, INDEX, MANIFEST, Found, PlaceError, scan_path
from dse_tui.core.verification.levels import READ_CHUNK

TIMEOUT = 3600  # xorriso reading one disc

# Asked when a disc of the set is not at hand: (what to ask for) → a path to look in, or None to stop.
Ask = Callable[[str], "str | None"]


def complete(discs: list[Found], ask: Ask | None, log=lambda line: None) -> list[Found]:
    """One disc of each number of the set, in order; the missing ones asked for (PlaceError without)."""
    index = discs[0].index
    total = len(index["discs"])
    sha = index.get("manifest_sha256")
    have: dict[int, Found] = {}
    for d in discs:
        if d.index.get("manifest_sha256") == sha:
            have.setdefault(d.seq, d)
    for entry in index["discs"]:
        seq, code = int(entry["seq"]), entry["code"]
        while seq not in have:
            what = f"disc {seq} of {total} ({code}) of run {index['run_id']} of {index['repository']}"
            answer = ask(what) if ask else None
            if not answer:
                raise PlaceError(f"{what} is missing: put its image or mount point in another --from "
                                 f"(or insert it when asked, on a terminal)")
            path = Path(answer).expanduser()
            if not path.exists():
                log(f"{answer} does not exist")
                continue
            for d in scan_path(path):
                if d.kind == "disc" and d.index.get("manifest_sha256") == sha:
                    have.setdefault(d.seq, d)
            if seq not in have:
                log(f"{answer} does not hold {what}")
    return [have[int(e["seq"])] for e in index["discs"]]


def assemble(discs: list[Found], out: Path, cancel: threading.Event, log=lambda line: None) -> str:
    """The set's files written whole into `out`; returns the manifest's SHA-256 the index records (every
    disc's manifest must hash so)."""
    index = discs[0].index
    if index.get("format") != DISC_SET_FORMAT:
        raise PlaceError(f"{discs[0].where} is not a dse-tui disc")
    sha = index["manifest_sha256"]
    sizes: dict[str, int] = {}
    for entry in index["discs"]:
        for p in entry["pieces"]:
            if p["file"] != MANIFEST:
                sizes[p["file"]] = max(sizes.get(p["file"], 0), p["offset"] + p["length"])
    need = sum(sizes.values())
    free = shutil.disk_usage(out).free
    if free < need:
        raise PlaceError(f"putting the discs together needs {need} bytes under {out}, {free} are free: "
                         "give another folder with --work")
    for name in sizes:
        (out / name).touch()
    for disc, entry in zip(discs, index["discs"]):
        log(f"reading disc {entry['seq']} of {len(discs)} ({entry['code']}) from {disc.where}")
        if disc.path.is_dir():
            _take(disc.path, entry["pieces"], out, sha, disc.where, cancel)
            continue
        with _Extracted(out, disc.path, cancel) as folder:
            _take(folder, entry["pieces"], out, sha, disc.where, cancel)
    return sha


def _take(folder: Path, pieces: list[dict], out: Path, sha: str, where: str, cancel: threading.Event) -> None:
    for p in pieces:
        src = folder / p["name"]
        if not src.is_file() or src.stat().st_size != p["length"]:
            raise PlaceError(f"{where}: {p['name']} is missing or of the wrong size (the disc is damaged or "
                             "was read wrongly)")
        if p["file"] == MANIFEST:
            digest = hashlib.sha256(src.read_bytes()).hexdigest()
            if digest != sha:
                raise PlaceError(f"{where}: its manifest.json differs from the one the set's index records")
            shutil.copyfile(src, out / MANIFEST)
            continue
        with open(src, "rb") as fin, open(out / p["file"], "r+b") as fout:
            fout.seek(p["offset"])
            while chunk := fin.read(READ_CHUNK):
                fout.write(chunk)
                if cancel.is_set():
                    raise Cancelled()


class _Extracted:
    """A disc image (or drive) extracted by xorriso into a folder under `beside`, removed afterwards."""

    def __init__(self, beside: Path, image: Path, cancel: threading.Event):
        self.folder, self.image, self.cancel = beside / f".disc-{image.stem}", image, cancel

    def __enter__(self) -> Path:
        import tempfile

        shutil.rmtree(self.folder, ignore_errors=True)
        with tempfile.TemporaryFile() as err:
            ending, status = supervisor.run(["xorriso", "-osirrox", "on", "-indev", f"stdio:{self.image}",
                                             "-extract", "/", str(self.folder)], cancel=self.cancel,
                                            deadline=time.monotonic() + TIMEOUT, stdout=subprocess.DEVNULL,
                                            stderr=err)
            if ending is supervisor.Ending.CANCELLED:
                raise Cancelled()
            err.seek(0)
            said = err.read().decode(errors="replace").strip()
        if ending is supervisor.Ending.TIMED_OUT or status != 0 or not (self.folder / INDEX).is_file():
            shutil.rmtree(self.folder, ignore_errors=True)
            raise PlaceError(f"{self.image} cannot be read: {said.splitlines()[-1] if said else 'xorriso failed'}")
        return self.folder

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
