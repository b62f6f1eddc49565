"""An optical destination's spanning set put back together: every disc's pieces (cut where a disc filled)
written at their offsets into the run's files, in one folder, as the copy was before it was cut. The discs
may be images in several folders, mounted discs or a drive; a disc not among them is asked for by its
code (what its label says), and the set is never used with one missing."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from dse_tui.core.engine import supervisor
from dse_tui.core.engine.pipeline import Cancelled
from dse_tui.core.restore.found import DISC_SET_FORMAT, INDEX, MANIFEST, Found, PlaceError, scan_path
from dse_tui.core.texts import Text
from dse_tui.core.verification.levels import READ_CHUNK

TIMEOUT = 3600  # xorriso reading one disc


@dataclass(frozen=True)
class Wanted:
    """A disc of the set that is not at hand, as the operator finds it in the safe: by its label's code."""

    code: str
    seq: int
    total: int
    run: int
    repository: str
    problem: Text | None = None  # why the last place given was not it

    def text(self) -> Text:
        return Text("restore.disc.wanted", code=self.code, seq=self.seq, total=self.total, run=self.run,
                    repo=self.repository)

    def __str__(self) -> str:
        return str(self.text())


# Asked when a disc of the set is not at hand: the disc wanted → a path to look in, or None to stop.
Ask = Callable[[Wanted], "str | None"]


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
        wanted = Wanted(entry["code"], int(entry["seq"]), total, int(index["run_id"]), str(index["repository"]))
        while wanted.seq not in have:
            answer = ask(wanted) if ask else None
            if not answer:
                raise PlaceError("restore.disc.missing", what=wanted.text())
            path = Path(answer).expanduser()
            if not path.exists():
                problem = Text("restore.disc.no_such_place", place=answer)
            else:
                for d in scan_path(path):
                    if d.kind == "disc" and d.index.get("manifest_sha256") == sha:
                        have.setdefault(d.seq, d)
                problem = Text("restore.disc.not_there", place=answer, what=wanted.text())
            if wanted.seq not in have:
                log(str(problem))
                wanted = dataclasses.replace(wanted, problem=problem)
    return [have[int(e["seq"])] for e in index["discs"]]


def assemble(discs: list[Found], out: Path, cancel: threading.Event, log=lambda line: None) -> str:
    """The set's files written whole into `out`; returns the manifest's SHA-256 the index records (every
    disc's manifest must hash so)."""
    index = discs[0].index
    if index.get("format") != DISC_SET_FORMAT:
        raise PlaceError("restore.disc.not_ours", where=discs[0].where)
    sha = index["manifest_sha256"]
    sizes: dict[str, int] = {}
    for entry in index["discs"]:
        for p in entry["pieces"]:
            if p["file"] != MANIFEST:
                sizes[p["file"]] = max(sizes.get(p["file"], 0), p["offset"] + p["length"])
    need = sum(sizes.values())
    free = shutil.disk_usage(out).free
    if free < need:
        raise PlaceError("restore.disc.no_room", need=need, out=out, free=free)
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
            raise PlaceError("restore.disc.damaged", where=where, name=p["name"])
        if p["file"] == MANIFEST:
            digest = hashlib.sha256(src.read_bytes()).hexdigest()
            if digest != sha:
                raise PlaceError("restore.disc.other_manifest", where=where)
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
            raise PlaceError("restore.disc.unreadable", image=self.image,
                             said=said.splitlines()[-1] if said else "xorriso")
        return self.folder

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
