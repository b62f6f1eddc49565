"""A path's versions across a repository's runs: the runs where that file or folder changed (its size,
modification time or SHA-256; for a folder, any of those of anything under it, or something added or
removed there), newest first. "The page as it was on Tuesday" is then one row.

Each run's manifest is searched for the path's lines, not parsed: a JSON string's quotes are escaped, so the
text `{"path":"docs/` begins exactly the lines of what is under docs/. What can differ without the content
differing (mode, owner, a folder's own time) is taken out before the lines are compared."""

from __future__ import annotations

from enum import StrEnum

import hashlib
import json
import re
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii

from dse_tui.core.catalog import Run
from dse_tui.core.catalog.checks import RunFacts
from dse_tui.core.verification.manifest import Entries, VerifyFailed, read_manifest

# Fields that say nothing of the content: taken out of each line before lines are compared.
_NOT_CONTENT = re.compile(rb'"(?:mode|mtime|uid|gid|changed|major|minor)":(?:"[^"]*"|[^,}]*),?')
_DIR_TIME = re.compile(rb'"mtime_ns":\d+,?')
_SIZE = re.compile(rb'"size":(\d+)')


class Change(StrEnum):
    ADDED = "added"  # first seen in this run
    CHANGED = "changed"
    REMOVED = "removed"  # in the run before, not in this one
    PRUNED = "pruned"  # retention removed the run's folder: what it held is not known here, nor restorable
    UNREADABLE = "unreadable"  # the run's manifest cannot be read here


@dataclass(frozen=True)
class Version:
    run: Run
    change: str  # Change
    size: int | None = None  # the file's bytes, or the folder's (all its files)
    files: int | None = None  # a folder's files
    mtime_ns: int | None = None  # a file's modification time
    detail: str | None = None  # why a manifest cannot be read

    @property
    def restorable(self) -> bool:
        return self.change in (Change.ADDED, Change.CHANGED)


@dataclass(frozen=True)
class _Seen:
    digest: str | None  # None: not in the run
    size: int
    files: int
    mtime_ns: int | None


def versions(history: list[RunFacts], path: str, folder: bool) -> list[Version]:
    """The runs of `history` (any order) where `path` (a folder when `folder`) changed, newest first. Runs
    that kept nothing (failed, cancelled) are left out; pruned ones are listed as such."""
    path = path.strip("/")
    kept = sorted((f for f in history if f.run.artifact or f.pruned), key=lambda f: f.run.started_at)
    found: list[Version] = []
    before: _Seen | None = None
    for f in kept:
        if f.pruned:
            found.append(Version(f.run, Change.PRUNED))
            continue
        try:
            seen = _seen(f.run.manifest or "", path, folder)
        except (OSError, ValueError, VerifyFailed) as exc:
            found.append(Version(f.run, Change.UNREADABLE, detail=str(exc)))
            continue
        present = seen.digest is not None
        if present and (before is None or before.digest != seen.digest):
            change = Change.ADDED if before is None or before.digest is None else Change.CHANGED
            found.append(Version(f.run, change, seen.size, seen.files if folder else None, seen.mtime_ns))
        elif not present and before is not None and before.digest is not None:
            found.append(Version(f.run, Change.REMOVED))
        before = seen
    return found[::-1]


def _lines(manifest_path: str, path: str, folder: bool) -> tuple[bool, list[bytes]]:
    """Whether the manifest lists `path` itself, and its lines of `path` (a folder: of everything under
    it), as JSON text."""
    manifest = read_manifest(manifest_path)
    files = manifest.get("files") or []
    if isinstance(files, Entries):
        with open(files.path, "rb") as f:
            f.seek(files.offset)
            data = f.read()
    else:  # an older manifest, read whole: its entries written the way the writer writes them
        data = b"\n".join(json.dumps(e, separators=(",", ":")).encode() for e in files) + b"\n"
    start = b'{"path":' + encode_basestring_ascii(path).encode()[:-1]  # the closing quote left off
    own = re.findall(re.escape(start + b'",') + rb'[^\n]*', data)
    if not folder:
        return bool(own), own
    return bool(own), re.findall(re.escape(start + b"/") + rb'[^\n]*', data)


def _seen(manifest_path: str, path: str, folder: bool) -> _Seen:
    own, lines = _lines(manifest_path, path, folder)
    if not own and not lines:
        return _Seen(None, 0, 0, None)
    lines = [line.rstrip(b",") for line in lines]
    # A folder's own time changes with what is added or removed in it, already seen in its lines.
    content = sorted(_DIR_TIME.sub(b"", _NOT_CONTENT.sub(b"", line)) if b'"type":"dir"' in line
                     else _NOT_CONTENT.sub(b"", line) for line in lines)
    digest = hashlib.sha256(b"\n".join(content)).hexdigest()
    if folder:
        joined = b"\n".join(lines)
        return _Seen(digest, sum(map(int, _SIZE.findall(joined))), joined.count(b'"type":"file"'), None)
    entry = json.loads(lines[0])
    return _Seen(digest, int(entry.get("size", 0)), 0, entry.get("mtime_ns"))
