"""A run's manifest.json, written by the runner (and an encrypted copy's twin), read by verification,
restore and copies.

One JSON object, compact. A files run's per-file entries (a web tree has a hundred thousand) are its
`files` list, written last, one entry to a line:

    {"format":"dse-tui-manifest/1",…,"not_archived":[],"files":[
    {"path":"index.html",…},
    {"path":"docs",…}
    ]}

so the runner streams them from the tar writer's list into the manifest without ever holding them, and a
reader takes everything else from the first line and the entries only as it iterates over them (Entries):
memory stays flat in the number of files. Any JSON reader reads the document as it is; manifests written
before (indented, `files` anywhere) are read whole, as they always were."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterable, Iterator

from dse_tui.core.texts import Told

_OPENING = b'"files":[\n'
_CLOSING = b"]}"


class VerifyFailed(Told):
    """A check that cannot go on (a part that does not decompress); the message says why."""


class JsonLines:
    """A file of JSON values, one to a line, made for a manifest (the tar writer's entries): written into
    it as its `files` list without being loaded, then removed."""

    def __init__(self, path: Path):
        self.path = path

    def joined(self) -> Iterator[bytes]:
        """The values separated by ",\\n", in blocks: JSON has no raw newline but those between lines."""
        with open(self.path, "rb") as f:
            left = os.fstat(f.fileno()).st_size - 1  # all but the last line's newline
            if left < 0:
                return
            f.seek(left)
            if f.read(1) != b"\n":
                raise ValueError(f"{self.path} does not end with a whole line")
            f.seek(0)
            while left > 0:
                block = f.read(min(left, 1 << 20))
                if not block:
                    raise ValueError(f"{self.path} shrank while it was read")
                left -= len(block)
                yield block.replace(b"\n", b",\n")


class Entries:
    """The `files` list of a manifest on disk, read from it each time it is iterated."""

    def __init__(self, path: Path, offset: int):
        self.path, self.offset = path, offset

    def __repr__(self) -> str:
        return f"Entries({str(self.path)!r})"

    def lines(self) -> Iterator[bytes]:
        """Each entry as the JSON text it is in the manifest; VerifyFailed when the list is not whole."""
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            more = None  # whether the entry before ended with the comma that announces another
            for line in f:
                if line.startswith(_CLOSING):
                    if more or line.rstrip(b"\n") != _CLOSING or f.read().strip():
                        break
                    return
                if more is False:
                    break
                more = line.endswith(b",\n")
                yield line[:-2] if more else line.rstrip(b"\n")
        raise VerifyFailed("manifest.cut", path=self.path)

    def __iter__(self) -> Iterator[dict]:
        for line in self.lines():
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise VerifyFailed("manifest.unreadable", path=self.path, error=exc) from None


def write_manifest(path: Path, manifest: dict) -> tuple[int, str]:
    """Write and fsync `manifest`; its `files` may be a list, Entries (another manifest's) or JsonLines
    (removed once written). Returns the size and SHA-256 of what was written."""
    files = manifest.get("files")
    # ASCII JSON: file names that are not UTF-8 (surrogate escapes) must not break the manifest.
    head = json.dumps({k: v for k, v in manifest.items() if k != "files"}, separators=(",", ":")).encode()
    digest, size = hashlib.sha256(), 0
    with open(path, "wb", buffering=1 << 20) as f:
        def put(data: bytes) -> None:
            nonlocal size
            f.write(data)
            digest.update(data)
            size += len(data)

        if files is None:
            put(head + b"\n")
        else:
            put(head[:-1] + (b"," if len(head) > 2 else b"") + _OPENING)
            if isinstance(files, JsonLines):
                body = files.joined()
            else:
                body = _joined(files.lines() if isinstance(files, Entries)
                               else (json.dumps(e, separators=(",", ":")).encode() for e in files))
            wrote = False
            for block in body:
                put(block)
                wrote = wrote or bool(block)
            put((b"\n" if wrote else b"") + _CLOSING + b"\n")
        f.flush()
        os.fsync(f.fileno())
    if isinstance(files, JsonLines):
        files.path.unlink()
    return size, digest.hexdigest()


def _joined(lines: Iterable[bytes]) -> Iterator[bytes]:
    separator = b""
    for line in lines:
        yield separator + line
        separator = b",\n"


def read_manifest(path: str | Path) -> dict:
    """The manifest at `path`, its `files` as Entries when it has them one to a line; raises OSError or
    ValueError."""
    path = Path(path)
    with open(path, "rb") as f:
        first = f.readline()
        if first.startswith(b"{") and first.endswith(_OPENING):
            manifest = json.loads(first[:-1] + _CLOSING)
            manifest["files"] = Entries(path, len(first))
            return manifest
        return json.loads(first + f.read())


def load_manifest(path: str | Path) -> dict:
    """The manifest of a run, or VerifyFailed saying why it cannot be read."""
    try:
        return read_manifest(path)
    except FileNotFoundError:
        raise VerifyFailed("manifest.missing", path=path) from None
    except (OSError, ValueError) as exc:
        raise VerifyFailed("manifest.unreadable", path=path, error=exc) from None
