"""A tar stream of a directory tree, written while every file is hashed: the archive and its per-file
manifest come from one read of the tree (tar, then sha256sum, would read it twice).

The archive is what `tar --format=posix --sort=name -C ROOT -cf - .` makes of the tree: the root as `./`,
each folder's entry followed at once by its contents (GNU tar sets a folder's mode and time when it leaves
it: a read-only folder whose contents came later could not be filled, and its time would be lost), hard
links as links to the first path of their inode, FIFOs and devices as entries, owners by number and name,
modification times to the nanosecond in pax headers. What tar cannot hold (sockets), or what could not be
read, is reported, never silently left out."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import tarfile
from fnmatch import fnmatchcase
from json.encoder import encode_basestring_ascii as _json_string
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, TextIO

from dse_tui.core.drivers.files.tarheader import BLOCK, NS, _ustar_with_time, tarfile_header

RECORD = 20 * BLOCK
BUFFER = 256 << 10  # the archive goes out in writes of this size: a quarter of the pipe to zstd, so the
# writer goes on as soon as zstd has taken that much (measured against 1 MiB writes: 0.93x the wall time,
# 12 alternated pairs; 128 KiB no better)
MIN_READ = 64 << 10

# Why a path is not in the archive as it is on disk (the manifest's `not_archived`): unreadable, shrank (its
# copy padded), socket (tar cannot hold one), vanished (removed before it was read), changed (while it was
# read). The first two make the run unsatisfactory: something that exists was not kept. GNU tar only warns
# about the others.
FAILING = ("unreadable", "shrank")


class TreeReport:
    # Not a dataclass: the tar writer's process starts faster without dataclasses (and inspect).
    def __init__(self, entries: TextIO | None = None):
        # Where each manifest entry goes, a JSON line, the moment it is made (None: nowhere): a tree of a
        # million files is never held whole in memory.
        self.entries = entries
        self.not_archived: list[dict] = []  # {path, type, reason[, detail]}
        self.root: dict | None = None  # the tree's own folder: mode, time, owner
        self.bytes_read = 0
        self.file_count = 0  # regular files archived

    def miss(self, rel: str, kind: str, reason: str, detail: str | None = None) -> None:
        entry = {"path": printable(rel or "."), "type": kind, "reason": reason}
        self.not_archived.append(entry | ({"detail": detail} if detail else {}))

    def add(self, line: str) -> None:
        if self.entries is not None:
            self.entries.write(line + "\n")

    def summary(self) -> dict:
        """All but the entries: what the driver records beside them."""
        return {"not_archived": self.not_archived, "root": self.root, "bytes_read": self.bytes_read,
                "file_count": self.file_count}


def printable(path: str) -> str:
    """A file name as text any log, catalog or terminal takes: bytes that are not UTF-8 as \\xNN."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _matches(rel: str, patterns: list[str]) -> bool:
    # A pattern matches a path or any folder above it: "cache" and "cache/*" both cover cache/a/b.
    parts = rel.split("/")
    return any(fnmatchcase("/".join(parts[:i]), p) for p in patterns for i in range(1, len(parts) + 1))


def file_kind(mode: int) -> str:
    return {stat.S_IFDIR: "dir", stat.S_IFLNK: "symlink", stat.S_IFREG: "file", stat.S_IFIFO: "fifo",
            stat.S_IFCHR: "char", stat.S_IFBLK: "block", stat.S_IFSOCK: "socket"}.get(stat.S_IFMT(mode), "other")


def _children(root: Path, rel_dir: str, report: TreeReport) -> Iterator[tuple[str, os.stat_result | None]]:
    """A folder's entries, sorted; listed only when first asked for, so after the folder's own entry. A
    regular file (as the folder's listing says) comes without its lstat: the writer takes its status from
    the file it opens, one system call fewer for the commonest entry."""
    try:
        with os.scandir(root / rel_dir if rel_dir else root) as it:
            entries = sorted(it, key=lambda e: e.name)
    except FileNotFoundError:
        report.miss(rel_dir, "dir", "vanished")
        return
    except OSError as exc:
        report.miss(rel_dir, "dir", "unreadable", f"cannot list it: {exc.strerror}")
        return
    for entry in entries:
        rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
        try:
            yield rel, None if entry.is_file(follow_symlinks=False) else entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            report.miss(rel, "other", "vanished")
        except OSError as exc:
            report.miss(rel, "other", "unreadable", exc.strerror)


def walk(root: Path, include: list[str], exclude: list[str],
         report: TreeReport) -> Iterator[tuple[str, os.stat_result | None]]:
    """(relative path, lstat or None for a regular file) of everything to archive, depth first: a folder,
    then all it holds."""
    emitted: set[str] = {""}
    stack = [_children(root, "", report)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        rel, st = item
        if exclude and _matches(rel, exclude):
            continue
        is_dir = st is not None and stat.S_ISDIR(st.st_mode)
        if not include or _matches(rel, include):
            if include:
                yield from _folders_above(root, rel, emitted)
            if is_dir:
                emitted.add(rel)
            yield rel, st
        if is_dir:
            stack.append(_children(root, rel, report))


def _folders_above(root: Path, rel: str, emitted: set[str]) -> Iterator[tuple[str, os.stat_result]]:
    """With include patterns, a path's folders are archived too (just before it), so it extracts where it was."""
    missing = []
    parent = rel.rpartition("/")[0]
    while parent not in emitted:
        missing.append(parent)
        parent = parent.rpartition("/")[0]
    for folder in reversed(missing):
        emitted.add(folder)
        yield folder, os.lstat(root / folder)


def entry_of(rel: str, st: os.stat_result) -> dict:
    """A path's manifest entry, without its type and the type's own fields."""
    return {"path": rel, "mode": f"{stat.S_IMODE(st.st_mode):04o}", "mtime": st.st_mtime_ns // NS,
            "mtime_ns": st.st_mtime_ns, "uid": st.st_uid, "gid": st.st_gid}


def _line(entry: dict) -> str:
    # ASCII JSON: file names that are not UTF-8 (surrogate escapes) must not break the manifest.
    return json.dumps(entry, separators=(",", ":"))


def _file_line(rel: str, st: os.stat_result, size: int, digest: str, changed: bool) -> str:
    """_line() of a regular file's entry, made directly: json.dumps of a dict costs more than hashing a
    small file. The same keys in the same order, the name escaped by json's own encoder."""
    ns = st.st_mtime_ns
    tail = ',"changed":true}' if changed else "}"
    return (f'{{"path":{_json_string(rel)},"mode":"{stat.S_IMODE(st.st_mode):04o}","mtime":{ns // NS},'
            f'"mtime_ns":{ns},"uid":{st.st_uid},"gid":{st.st_gid},"type":"file","size":{size},'
            f'"sha256":"{digest}"{tail}')


_OPEN = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_ZEROS = bytes(BLOCK)
_KINDS = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "fifo": tarfile.FIFOTYPE, "char": tarfile.CHRTYPE,
          "block": tarfile.BLKTYPE}


class _Writer:
    """The archive is staged in one buffer, reused: headers are copied into it, file data is read straight
    into it and hashed there, and it goes out in writes of BUFFER bytes. No bytes object is made per chunk
    read, and nothing is copied in Python on its way (a read into a new object, the padding appended to it,
    a buffered writer's own copy each cost as much as the hash of a large file's chunk)."""

    def __init__(self, root: Path, out: BinaryIO, report: TreeReport):
        self.root, self.out, self.report = root, out, report
        self.prefix = f"{root}/"
        self.written = 0
        self.links: dict[tuple[int, int], str] = {}  # (device, inode) → the first path stored of it
        self.buf = bytearray(BUFFER)
        self.view = memoryview(self.buf)
        self.fill = 0  # bytes of the buffer not yet written out

    def put(self, data: bytes) -> None:
        n = len(data)
        if self.fill + n > BUFFER:
            self.flush()
            if n > BUFFER:
                self._write(data)
                self.written += n
                return
        self.buf[self.fill:self.fill + n] = data
        self.fill += n
        self.written += n

    def flush(self) -> None:
        if self.fill:
            self._write(self.view[:self.fill])
            self.fill = 0

    def _write(self, data) -> None:
        view = memoryview(data)
        while view:  # a raw file (the tar writer's stdout) may take less than it was given
            view = view[self.out.write(view):]

    def put_header(self, name: str, kind: bytes, size: int, st: os.stat_result, linkname: str = "",
                   device: tuple[int, int] | None = None) -> None:
        self.put(_ustar_with_time(name, kind, size, st, linkname, device)
                 or tarfile_header(name, kind, size, st, linkname, device))

    def member(self, rel: str, st: os.stat_result | None) -> None:
        """One entry of the walk; `st` None for a regular file, whose status comes from opening it."""
        if st is None:
            self.file(rel)
            return
        kind = file_kind(st.st_mode)
        if kind in ("socket", "other"):
            self.report.miss(rel, kind, "socket" if kind == "socket" else "unreadable",
                             None if kind == "socket" else "a kind of file tar cannot hold")
            return
        if kind == "file":  # a folder's listing that did not say (DT_UNKNOWN): as any file
            self.file(rel)
        elif kind == "dir" or not self.hard_link(rel, st):
            if self.special(rel, st, kind) and kind != "dir" and st.st_nlink > 1:
                self.links[(st.st_dev, st.st_ino)] = rel

    def hard_link(self, rel: str, st: os.stat_result) -> bool:
        """A link to the path already stored of the same inode, if there is one."""
        target = self.links.get((st.st_dev, st.st_ino)) if st.st_nlink > 1 else None
        if target is None:
            return False
        self.put_header(rel, tarfile.LNKTYPE, 0, st, target)
        self.report.add(_line({**entry_of(rel, st), "type": "hardlink", "target": target}))
        return True

    def special(self, rel: str, st: os.stat_result, kind: str) -> bool:
        """A folder, symbolic link, FIFO or device: a header and nothing else."""
        extra: dict = {}
        linkname, device = "", None
        if kind == "symlink":
            try:
                linkname = extra["target"] = os.readlink(self.root / rel)
            except FileNotFoundError:
                self.report.miss(rel, kind, "vanished")
                return False
        elif kind in ("char", "block"):
            device = (os.major(st.st_rdev), os.minor(st.st_rdev))
            extra = {"major": device[0], "minor": device[1]}
        self.put_header(rel, _KINDS[kind], 0, st, linkname, device)
        self.report.add(_line({**entry_of(rel, st), "type": kind, **extra}))
        return True

    def file(self, rel: str) -> None:
        try:
            # Not through a link, never blocking: what is opened must still be a file, the one listed.
            fd = os.open(self.prefix + rel, _OPEN)
        except FileNotFoundError:
            self.report.miss(rel, "file", "vanished")
            return
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # a symbolic link now, where the listing saw a file
                self.report.miss(rel, "file", "vanished", "replaced by something else before it was read")
            else:
                self.report.miss(rel, "file", "unreadable", exc.strerror)
            return
        try:
            st = os.fstat(fd)  # the header, the entry and the size promised are of the file as opened
            if not stat.S_ISREG(st.st_mode):
                self.report.miss(rel, "file", "vanished", "replaced by something else before it was read")
                return
            if st.st_nlink > 1 and self.hard_link(rel, st):
                return
            size = st.st_size
            self.put(_ustar_with_time(rel, tarfile.REGTYPE, size, st) or tarfile_header(rel, tarfile.REGTYPE, size, st))
            digest, left, grew = self.copy(fd, size)
            after = os.fstat(fd)
        finally:
            os.close(fd)
        report = self.report
        report.bytes_read += size - left
        report.file_count += 1
        changed = grew or after.st_mtime_ns != st.st_mtime_ns or after.st_size != size
        if left:
            report.miss(rel, "file", "shrank", f"{left} byte(s) short of the {size} it had when opened")
        elif changed:
            report.miss(rel, "file", "changed")
        report.add(_file_line(rel, st, size, digest, changed or bool(left)))
        if st.st_nlink > 1:
            self.links[(st.st_dev, st.st_ino)] = rel

    def copy(self, fd: int, size: int) -> tuple[str, int, bool]:
        """`size` bytes of the open file `fd` into the archive, hashed; what could not be read is padded (so
        the archive stays well-formed) and returned as the count left; and whether there was more than
        `size`."""
        digest = hashlib.sha256()
        left, grew = size, False
        view = self.view
        while True:
            room = BUFFER - self.fill
            if room <= left and room < MIN_READ:  # too little room left for a read worth its system call
                self.flush()
                room = BUFFER
            # The last read asks for a byte past the promised end: a file that grew says so in that read.
            at = self.fill
            n = os.readv(fd, [view[at:at + (left + 1 if left < room else room)]])
            if n > left:
                grew, n = True, left
            if n:
                digest.update(view[at:at + n])
                self.fill += n
                self.written += n
                left -= n
            if grew or not n or not left:
                break
        if left:
            pad = bytes(left)
            digest.update(pad)
            self.put(pad)
        self.put(_ZEROS[:-size % BLOCK])
        return digest.hexdigest(), left, grew

    def finish(self) -> None:
        self.put(b"\0" * (2 * BLOCK))
        self.put(b"\0" * (-self.written % RECORD))
        self.flush()


def write_tar(root: Path, out: BinaryIO, include: list[str], exclude: list[str], report: TreeReport,
              cancelled: Callable[[], bool] = lambda: False) -> None:
    writer = _Writer(root, out, report)
    st = os.lstat(root)
    writer.put_header(".", tarfile.DIRTYPE, 0, st)
    report.root = {k: v for k, v in entry_of(".", st).items() if k != "path"}
    for rel, st in walk(root, include, exclude, report):
        if cancelled():
            raise InterruptedError("cancelled")
        if st is None:  # a regular file, most of a tree: straight to it
            writer.file(rel)
        else:
            writer.member(rel, st)
    writer.finish()


# ---------------------------------------------------------------- reading archives back

def member_kind(member: tarfile.TarInfo) -> str:
    """A member's type in the manifest's words."""
    return {tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink",
            tarfile.FIFOTYPE: "fifo", tarfile.CHRTYPE: "char", tarfile.BLKTYPE: "block"}.get(
        member.type, "file" if member.isfile() else "other")


def member_name(name: str) -> str:
    """A member's (or hard link target's) path as the manifest has it: GNU tar's `./` dropped."""
    return name.removeprefix("./")


def member_mtime_ns(member: tarfile.TarInfo) -> int:
    """The member's time exactly: tarfile turns the pax header's decimal into a float, which drops the last
    digits of today's nanoseconds."""
    text = member.pax_headers.get("mtime")
    if text is None:
        return int(member.mtime) * NS
    whole, _, fraction = text.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * NS + int((fraction + "0" * 9)[:9]))


def member_entry(member: tarfile.TarInfo) -> dict:
    """A member's manifest entry, without the content's size and SHA-256."""
    ns = member_mtime_ns(member)
    kind = member_kind(member)
    entry = {"path": member_name(member.name), "type": kind, "mode": f"{member.mode:04o}", "mtime": ns // NS,
             "mtime_ns": ns, "uid": member.uid, "gid": member.gid}
    if kind in ("symlink", "hardlink"):
        entry["target"] = member.linkname if kind == "symlink" else member_name(member.linkname)
    elif kind in ("char", "block"):
        entry |= {"major": member.devmajor, "minor": member.devminor}
    return entry
