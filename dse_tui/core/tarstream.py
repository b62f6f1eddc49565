"""A tar stream of a directory tree, written while every file is hashed: the archive and its per-file
manifest come from one read of the tree (tar, then sha256sum, would read it twice)."""

from __future__ import annotations

import hashlib
import os
import stat
import tarfile
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

BLOCK = 512
RECORD = 20 * BLOCK
CHUNK = 1 << 20


@dataclass
class TreeReport:
    files: list[dict] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # grew while it was read: the archive has its first bytes
    shrunk: list[str] = field(default_factory=list)  # shrank while it was read: the archive would be padded
    skipped: list[str] = field(default_factory=list)  # sockets, devices, fifos
    bytes_read: int = 0


def _matches(rel: str, patterns: list[str]) -> bool:
    # A pattern matches a path or any folder above it: "cache" and "cache/*" both cover cache/a/b.
    parts = rel.split("/")
    return any(fnmatchcase("/".join(parts[:i]), p) for p in patterns for i in range(1, len(parts) + 1))


def walk(root: Path, include: list[str], exclude: list[str], report: TreeReport) -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, lstat) of everything to archive, sorted, folders before their contents."""
    stack = [""]
    emitted_dirs: set[str] = {""}
    while stack:
        rel_dir = stack.pop()
        try:
            with os.scandir(root / rel_dir if rel_dir else root) as it:
                entries = sorted(it, key=lambda e: e.name, reverse=True)
        except OSError as exc:
            report.unreadable.append(f"{rel_dir or '.'}: {exc.strerror}")
            continue
        subdirs = []
        for entry in reversed(entries):
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if exclude and _matches(rel, exclude):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                report.unreadable.append(f"{rel}: {exc.strerror}")
                continue
            if stat.S_ISDIR(st.st_mode):
                subdirs.append(rel)
                if not include or _matches(rel, include):
                    emitted_dirs.add(rel)
                    yield rel, st
                continue
            if include and not _matches(rel, include):
                continue
            # With include patterns, a file's folders are archived too, so it extracts where it was.
            parent = rel_dir
            missing = []
            while parent not in emitted_dirs:
                missing.append(parent)
                parent = parent.rpartition("/")[0]
            for folder in reversed(missing):
                emitted_dirs.add(folder)
                yield folder, os.lstat(root / folder)
            yield rel, st
        stack.extend(reversed(subdirs))


def write_tar(root: Path, out: BinaryIO, include: list[str], exclude: list[str], report: TreeReport,
              cancelled: Callable[[], bool] = lambda: False) -> None:
    written = 0

    def put(data: bytes) -> None:
        nonlocal written
        out.write(data)
        written += len(data)

    for rel, st in walk(root, include, exclude, report):
        if cancelled():
            raise InterruptedError("cancelled")
        info = tarfile.TarInfo(rel)
        info.mode, info.mtime = stat.S_IMODE(st.st_mode), int(st.st_mtime)
        info.uid, info.gid = st.st_uid, st.st_gid
        entry = {"path": rel, "mode": f"{info.mode:04o}", "mtime": int(st.st_mtime)}
        if stat.S_ISDIR(st.st_mode):
            info.type = tarfile.DIRTYPE
            put(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))
            report.files.append({**entry, "type": "dir"})
        elif stat.S_ISLNK(st.st_mode):
            info.type, info.linkname = tarfile.SYMTYPE, os.readlink(root / rel)
            put(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))
            report.files.append({**entry, "type": "symlink", "target": info.linkname})
        elif stat.S_ISREG(st.st_mode):
            _put_file(root / rel, rel, info, entry, put, report)
        else:
            report.skipped.append(rel)
    put(b"\0" * (2 * BLOCK))
    put(b"\0" * (-written % RECORD))


def _put_file(path: Path, rel: str, info: tarfile.TarInfo, entry: dict, put, report: TreeReport) -> None:
    try:
        f = open(path, "rb", buffering=0)
    except OSError as exc:
        report.unreadable.append(f"{rel}: {exc.strerror}")
        return
    with f:
        size = os.fstat(f.fileno()).st_size  # the size the header promises, as of opening
        info.size = size
        put(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))
        digest = hashlib.sha256()
        left = size
        while left:
            chunk = f.read(min(CHUNK, left))
            if not chunk:
                break
            digest.update(chunk)
            put(chunk)
            left -= len(chunk)
        changed = left > 0 or f.read(1) != b""
        if left:  # it shrank while read: keep the archive well-formed, say so in the manifest
            pad = b"\0" * left
            digest.update(pad)
            put(pad)
        put(b"\0" * (-size % BLOCK))
    report.bytes_read += size - left
    if left:
        report.shrunk.append(rel)
    elif changed:
        report.changed.append(rel)
    report.files.append({**entry, "type": "file", "size": size, "sha256": digest.hexdigest(),
                         **({"changed": True} if changed else {})})
