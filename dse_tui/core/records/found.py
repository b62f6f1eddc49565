"""Copies of runs found in places (like Bareos bscan reads volumes): a folder of a disk or share (a
directory destination's site/repository/run folders), a removable disk's `dse-tui/` folder, folders of
disc images (each image carries the set's manifest and index.json; a run's set may be spread over several
of the places given). What each copy's manifest says, and its parts read back, for catalog rebuild."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from dse_tui.core.verification.levels import sha256_file
from dse_tui.core.verification.manifest import read_manifest

MANIFEST = "manifest.json"
XORRISO_TIMEOUT = 600


class NotReadable(Exception):
    """A part of a found copy cannot be read back as its manifest says."""


@dataclass
class Found:
    """One copy of one run: a folder, or a set of disc images."""

    path: Path  # the copy's folder, or the first disc's image
    manifest: dict
    manifest_sha256: str
    images: list[Path] = field(default_factory=list)  # disc images, in order (empty for a folder)
    index: dict | None = None  # a disc set's index.json
    missing_discs: list[str] = field(default_factory=list)  # codes of the set's discs not among the places

    @property
    def run_id(self) -> int:
        return int(self.manifest["run_id"])

    @property
    def repository(self) -> str:
        return self.manifest["repository"]

    @property
    def started_at(self) -> datetime:
        return datetime.fromisoformat(self.manifest["started_at"])

    @property
    def ended_at(self) -> datetime | None:
        return datetime.fromisoformat(self.manifest["ended_at"]) if self.manifest.get("ended_at") else None

    @property
    def run_sha256(self) -> str:
        """Of the run's own manifest: this one, or the one an encrypted twin was made of."""
        twin_of = self.manifest.get("encrypted_copy_of")
        return twin_of["manifest_sha256"] if twin_of else self.manifest_sha256

    @property
    def encrypted_on_the_way(self) -> bool:
        return bool(self.manifest.get("encrypted_copy_of"))

    def part(self, name: str) -> dict | None:
        return next((p for p in self.manifest.get("parts", []) if p["file"] == name), None)

    def read_part(self, name: str, scratch: Path) -> Path:
        """The part as a file, checked against the manifest's size and SHA-256 (joined from the discs of a
        set into `scratch`)."""
        part = self.part(name)
        if part is None:
            raise NotReadable(f"{name} is not a part of the run's manifest")
        if not self.images:
            path = self.path / name
        else:
            if self.missing_discs:
                raise NotReadable(f"disc(s) {', '.join(self.missing_discs)} of the set are not among the places")
            path = scratch / name
            with open(path, "wb") as out:
                for disc, image in zip(self.index["discs"], self.images):
                    for piece in (p for p in disc["pieces"] if p["file"] == name):
                        extracted = scratch / f".{piece['name']}"
                        _extract(image, piece["name"], extracted)
                        with open(extracted, "rb") as f:
                            shutil.copyfileobj(f, out, 1 << 20)
                        extracted.unlink()
        if not path.is_file():
            raise NotReadable(f"{name} is missing from {self.path}")
        size, digest = sha256_file(path)
        if size != part["size"] or digest != part["sha256"]:
            raise NotReadable(f"{name} in {self.path} does not match its manifest")
        return path

    def unpack(self, name: str, scratch: Path, target: Path, keyring=None) -> None:
        """The part's content (decrypted with an identity of `keyring` when it is encrypted, decompressed)
        into `target`; NotReadable saying why not."""
        from dse_tui.core.engine.pipeline import Stage, stream
        from dse_tui.core.keys.crypto import IdentityError, is_encrypted, manifest_key_ids

        packed = self.read_part(name, scratch)
        stages = [Stage(["zstd", "-dcq", str(packed)], name="zstd -d")]
        if is_encrypted(self.part(name)):
            if keyring is None:
                raise NotReadable(f"{name} is encrypted: give its identity with --identity FILE")
            try:
                stages = [keyring.decrypt_stage(packed, manifest_key_ids(self.manifest)),
                          Stage(["zstd", "-dcq"], name="zstd -d")]
            except IdentityError as exc:
                raise NotReadable(f"{name} is encrypted and {exc}") from None
        with open(target, "wb") as out:
            result = stream(stages, out)
        if not result.ok:
            raise NotReadable(f"{name} cannot be read: {result.failure()}")

    def complete(self) -> str | None:
        """None when every part is there with its manifest's size and SHA-256 (a folder), or every disc of
        the set is at hand (images: their parts are read when needed); else why not."""
        if self.images:
            return f"disc(s) {', '.join(self.missing_discs)} missing" if self.missing_discs else None
        for part in self.manifest.get("parts", []):
            path = self.path / part["file"]
            if not path.is_file():
                return f"{part['file']} is missing"
            size, digest = sha256_file(path)
            if size != part["size"] or digest != part["sha256"]:
                return f"{part['file']} does not match its manifest"
        return None


def scan(places: list[Path], scratch: Path) -> tuple[list[Found], list[str]]:
    """Every copy under the places, and what could not be read there."""
    found, problems, images = [], [], []
    for place in places:
        if not place.exists():
            problems.append(f"{place} does not exist")
            continue
        for folder, dirs, files in os.walk(place):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # claimed temporaries: unfinished
            here = Path(folder)
            if MANIFEST in files:
                dirs[:] = []
                try:
                    found.append(_folder_copy(here))
                except (OSError, ValueError, KeyError) as exc:
                    problems.append(f"{here}: its manifest cannot be read: {exc}")
                continue
            images += [here / f for f in sorted(files) if f.endswith(".iso")]
    sets, trouble = _disc_sets(images, scratch)
    return found + sets, problems + trouble


def _folder_copy(folder: Path) -> Found:
    manifest = read_manifest(folder / MANIFEST)
    manifest.pop("files", None)  # a files run's entries: not needed to rebuild the catalog
    if not str(manifest.get("format", "")).startswith("dse-tui-manifest/"):
        raise ValueError("not a dse-tui run's manifest")
    for key in ("run_id", "repository", "started_at"):
        if key not in manifest:
            raise KeyError(key)
    return Found(folder, manifest, sha256_file(folder / MANIFEST)[1])


def _disc_sets(images: list[Path], scratch: Path) -> tuple[list[Found], list[str]]:
    """Images grouped into their sets by index.json (one set may be spread over several places)."""
    if not images:
        return [], []
    if not shutil.which("xorriso"):
        return [], [f"{len(images)} disc image(s) found but xorriso is not installed to read them"]
    by_code: dict[str, tuple[Path, dict, dict, str]] = {}
    problems = []
    for image in images:
        try:
            _extract(image, "index.json", scratch / "index.json")
            _extract(image, MANIFEST, scratch / MANIFEST)
            index = json.loads((scratch / "index.json").read_text())
            manifest = read_manifest(scratch / MANIFEST)
            manifest.pop("files", None)
            digest = hashlib.sha256((scratch / MANIFEST).read_bytes()).hexdigest()
            code = index["discs"][index["this_disc"] - 1]["code"]
        except (NotReadable, OSError, ValueError, KeyError, IndexError) as exc:
            problems.append(f"{image}: not a readable dse-tui disc image ({exc})")
            continue
        by_code.setdefault(code, (image, index, manifest, digest))
    sets: dict[tuple[int, str], Found] = {}
    for code, (image, index, manifest, digest) in by_code.items():
        key = (index["run_id"], digest)
        if key in sets:
            continue
        codes = [d["code"] for d in index["discs"]]
        present = [by_code[c][0] for c in codes if c in by_code]
        missing = [c for c in codes if c not in by_code]
        first = by_code[codes[0]][0] if codes[0] in by_code else image
        sets[key] = Found(first, manifest, digest, images=present if not missing else [], index=index,
                          missing_discs=missing)
        if missing:  # kept so the run is known; its parts cannot be read
            sets[key].images = [image]
    return list(sets.values()), problems


def _extract(image: Path, name: str, out: Path) -> None:
    out.unlink(missing_ok=True)
    done = subprocess.run(["xorriso", "-osirrox", "on", "-indev", f"stdio:{image}", "-extract", f"/{name}", str(out)],
                          capture_output=True, text=True, timeout=XORRISO_TIMEOUT)
    if done.returncode != 0 or not out.is_file():
        raise NotReadable(f"{image.name}: {name} cannot be read")
