"""The copies of runs found in the places an operator names for `restore --from`: folders of disks and
shares (a directory destination's copy, a removable disk's `dse-tui/` folder), disc images and mounted
discs (an optical destination's set), and folders over SSH. What is found here is only looked at; the
copy is made whole elsewhere (discset.py, sshcopy.py) and verified before anything is restored.

A copy says what it is by itself, with no catalog: a folder copy by its manifest.json (site, repository,
run, driver), a disc by its index.json (the whole set, and which disc it is)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from dse_tui.core.texts import Text, Told

MANIFEST = "manifest.json"
INDEX = "index.json"
MANIFEST_FORMAT = "dse-tui-manifest/1"
DISC_SET_FORMAT = "dse-tui-disc-set/1"
DEPTH = 4  # a removable disk's mount point / dse-tui / site / repository / run


class PlaceError(Told):
    """The copy cannot be found, made whole or trusted; the message says why and what to do."""


@dataclass(frozen=True)
class Found:
    """One copy of a run (a folder), or one disc of a set, as found."""

    kind: str  # folder | disc | ssh
    site: str
    repository: str
    run_id: int
    run: str  # the run's folder name
    where: str  # for people
    path: Path | None = None  # a folder copy's folder, a disc's image or mount folder
    index: dict = field(default_factory=dict, compare=False)  # a disc's index.json
    remote: object = None  # sshcopy.Remote of an SSH copy
    driver: str | None = None

    @property
    def seq(self) -> int:
        return int(self.index.get("this_disc", 0))

    @property
    def key(self) -> tuple:
        """Copies of one run: the same site, repository and run."""
        return self.site, self.repository, self.run_id

    def label(self) -> str:
        return f"run {self.run_id} of {self.repository} (site {self.site})"


def scan_path(path: Path) -> list[Found]:
    """The copies and discs in one local place: a folder (searched DEPTH levels down), an image, a drive."""
    if path.is_file() or _is_block_device(path):
        disc = read_image(path)
        return [disc] if disc else []
    out: list[Found] = []
    _walk(path, DEPTH, out)
    return out


def _walk(folder: Path, depth: int, out: list[Found]) -> None:
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return
    names = {e.name for e in entries}
    if INDEX in names:  # a mounted disc (or its files copied into a folder)
        disc = _disc(_read_json(folder / INDEX), folder, f"disc in {folder}")
        if disc:
            out.append(disc)
            return
    if MANIFEST in names:
        copy = _folder_copy(folder)
        if copy:
            out.append(copy)
            return
    for entry in entries:
        if entry.name.startswith("."):  # claimed temporaries, scratch: never a copy
            continue
        if entry.suffix == ".iso" and entry.is_file():
            disc = read_image(entry)
            if disc:
                out.append(disc)
        elif depth > 0 and entry.is_dir() and not entry.is_symlink():
            _walk(entry, depth - 1, out)


def _folder_copy(folder: Path) -> Found | None:
    head = manifest_head(folder / MANIFEST)
    if head is None:
        return None
    return Found("folder", str(head.get("site", "")), str(head.get("repository", "")), int(head["run_id"]),
                 folder.name, str(folder), path=folder, driver=head.get("driver"))


def manifest_head(path: Path) -> dict | None:
    """A manifest's fields but its per-file entries, or None when it is not a dse-tui manifest."""
    from dse_tui.core.verification.manifest import read_manifest

    try:
        manifest = read_manifest(path)
    except (OSError, ValueError):
        return None
    return head_of(manifest)


def head_of(manifest) -> dict | None:
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT or "run_id" not in manifest:
        return None
    return {k: v for k, v in manifest.items() if k != "files"}


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _disc(index: dict, source: Path, where: str) -> Found | None:
    if index.get("format") != DISC_SET_FORMAT or "this_disc" not in index:
        return None
    return Found("disc", str(index.get("site", "")), str(index.get("repository", "")), int(index["run_id"]),
                 str(index.get("run", "")), where, path=source, index=index)


def _is_block_device(path: Path) -> bool:
    try:
        return stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        return False


def read_image(image: Path) -> Found | None:
    """A disc image (or a drive with a disc in it): its index.json read with xorriso, without mounting."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="dse-tui-index-") as tmp:
        out = Path(tmp) / INDEX
        try:
            done = subprocess.run(["xorriso", "-osirrox", "on", "-indev", f"stdio:{image}", "-extract", "/" + INDEX,
                                   str(out)], capture_output=True, timeout=600)
        except FileNotFoundError:
            raise PlaceError("restore.place.no_xorriso") from None
        except subprocess.TimeoutExpired:
            return None
        if done.returncode != 0 or not out.is_file():
            return None
        return _disc(_read_json(out), image, f"disc image {image}" if image.is_file() else f"disc in {image}")


def choose(found: list[Found], run_id: int | None) -> list[Found]:
    """The copies of the one run asked for (or of the only run found): a folder copy first (nothing to put
    together), else the discs of its set. PlaceError listing what was found when it is not one run."""
    if run_id is not None:
        found = [f for f in found if f.run_id == run_id]
    runs = sorted({f.key for f in found})
    if not runs:
        raise PlaceError("restore.place.no_copy_of" if run_id is not None else "restore.place.no_copy", run=run_id)
    if len(runs) > 1:
        listed = "; ".join(str(Text("restore.place.listed", run=r, repo=repo, site=site)) for site, repo, r in runs)
        raise PlaceError("restore.place.several" if run_id is None else "restore.place.several_sites", n=len(runs),
                         listed=listed, run=run_id)
    mine = [f for f in found if f.key == runs[0]]
    whole = [f for f in mine if f.kind in ("folder", "ssh")]
    return whole[:1] if whole else [f for f in mine if f.kind == "disc"]
