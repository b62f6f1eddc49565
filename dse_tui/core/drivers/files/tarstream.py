"""A tar stream of a directory tree, written while every file is hashed: the archive and its per-file
manifest come from one read of the tree (tar, then sha256sum, would read it twice).

The archive is what `tar --format=posix --sort=name -C ROOT -cf - .` makes of the tree: the root as `./`,
each folder's entry followed at once by its contents (GNU tar sets a folder's mode and time when it leaves
it: a read-only folder whose contents came later could not be filled, and its time would be lost), hard
links as links to the first path of their inode, FIFOs and devices as entries, owners by number and name,
modification times to the nanosecond in pax headers. What tar cannot hold (sockets), or what could not be
read, is reported, never silently left out."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import stat
import struct
import tarfile
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

BLOCK = 512
RECORD = 20 * BLOCK
CHUNK = 1 << 20
NS = 1_000_000_000

# Why a path is not in the archive as it is on disk (the manifest's `not_archived`): unreadable, shrank (its
# copy padded), socket (tar cannot hold one), vanished (removed before it was read), changed (while it was
# read). The first two make the run unsatisfactory: something that exists was not kept. GNU tar only warns
# about the others.
FAILING = ("unreadable", "shrank")


@dataclass
class TreeReport:
    files: list[dict] = field(default_factory=list)
    not_archived: list[dict] = field(default_factory=list)  # {path, type, reason[, detail]}
    root: dict | None = None  # the tree's own folder: mode, time, owner
    bytes_read: int = 0

    def miss(self, rel: str, kind: str, reason: str, detail: str | None = None) -> None:
        entry = {"path": printable(rel or "."), "type": kind, "reason": reason}
        self.not_archived.append(entry | ({"detail": detail} if detail else {}))


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


def _children(root: Path, rel_dir: str, report: TreeReport) -> Iterator[tuple[str, os.stat_result]]:
    """A folder's entries, sorted; listed only when first asked for, so after the folder's own entry."""
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
            yield rel, entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            report.miss(rel, "other", "vanished")
        except OSError as exc:
            report.miss(rel, "other", "unreadable", exc.strerror)


def walk(root: Path, include: list[str], exclude: list[str], report: TreeReport) -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, lstat) of everything to archive, depth first: a folder, then all it holds."""
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
        is_dir = stat.S_ISDIR(st.st_mode)
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


@lru_cache(maxsize=8192)
def _owner_name(group: bool, number: int) -> str:
    """A user's (or group's) name, as tar writes it beside the number; empty when the system has none."""
    try:
        return grp.getgrgid(number).gr_name if group else pwd.getpwuid(number).pw_name
    except KeyError:
        return ""


def _decimal(ns: int) -> str:
    """Nanoseconds as the pax header's exact decimal seconds (GNU tar writes them so)."""
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)
    return f"{sign}{ns // NS}.{ns % NS:09d}".rstrip("0").rstrip(".")


def header(rel: str, st: os.stat_result) -> tuple[tarfile.TarInfo, dict]:
    """The tar header of `rel` and its manifest entry (without type-specific fields)."""
    info = tarfile.TarInfo(rel)
    info.mode = stat.S_IMODE(st.st_mode)
    info.uid, info.gid = st.st_uid, st.st_gid
    info.uname, info.gname = _owner_name(False, st.st_uid), _owner_name(True, st.st_gid)
    info.mtime = st.st_mtime_ns // NS
    if st.st_mtime_ns % NS:
        info.pax_headers = {"mtime": _decimal(st.st_mtime_ns)}
    entry = {"path": rel, "mode": f"{info.mode:04o}", "mtime": info.mtime, "mtime_ns": st.st_mtime_ns,
             "uid": st.st_uid, "gid": st.st_gid}
    return info, entry


_USTAR = struct.Struct("100s8s8s8s12s12s8sc100s8s32s32s8s8s155s12x")


def _octal(n: int, width: int) -> bytes:
    return b"%0*o\0" % (width - 1, n)


def _ustar(name: bytes, kind: bytes, size: int, mode: int = 0, uid: int = 0, gid: int = 0, mtime: int = 0,
           linkname: bytes = b"", uname: bytes = b"", gname: bytes = b"", device: tuple[int, int] | None = None) -> bytes:
    """One ustar header block, byte for byte as tarfile makes it."""
    major, minor = (_octal(device[0], 8), _octal(device[1], 8)) if device else (b"", b"")
    block = _USTAR.pack(name, _octal(mode, 8), _octal(uid, 8), _octal(gid, 8), _octal(size, 12), _octal(mtime, 12),
                        b" " * 8, kind, linkname, tarfile.POSIX_MAGIC, uname, gname, major, minor, b"")
    return block[:148] + b"%06o\0 " % sum(block) + block[156:]


def _pax_record(keyword: bytes, value: bytes) -> bytes:
    length = len(keyword) + len(value) + 3  # " ", "=", "\n"; then the length's own digits
    total = 0
    while (n := length + len(str(total))) != total:
        total = n
    return b"%d %s=%s\n" % (total, keyword, value)


def _ustar_with_time(info: tarfile.TarInfo) -> bytes | None:
    """What tarfile writes for `info` (a pax header for the time's nanoseconds, then the ustar header),
    made directly: tarfile's general way costs as much as reading a small file. None when the entry needs
    more of pax than its time (long or non-ASCII names, numbers too large): tarfile writes it then."""
    try:
        name = (info.name + "/" if info.type == tarfile.DIRTYPE else info.name).encode("ascii")
        linkname, uname, gname = (info.linkname.encode("ascii"), info.uname.encode("ascii"),
                                  info.gname.encode("ascii"))
    except UnicodeEncodeError:
        return None
    if (len(name) > 100 or len(linkname) > 100 or len(uname) > 32 or len(gname) > 32
            or max(info.uid, info.gid) >= 8 ** 7 or not 0 <= info.mtime < 8 ** 11 or info.size >= 8 ** 11
            or set(info.pax_headers) - {"mtime"}):
        return None
    out = b""
    if info.pax_headers:
        record = _pax_record(b"mtime", info.pax_headers["mtime"].encode())
        out = _ustar(b"././@PaxHeader", tarfile.XHDTYPE, len(record)) + record + b"\0" * (-len(record) % BLOCK)
    device = (info.devmajor, info.devminor) if info.type in (tarfile.CHRTYPE, tarfile.BLKTYPE) else None
    return out + _ustar(name, info.type, info.size, info.mode, info.uid, info.gid, info.mtime, linkname, uname,
                        gname, device)


class _Writer:
    def __init__(self, root: Path, out: BinaryIO, report: TreeReport):
        self.root, self.out, self.report = root, out, report
        self.written = 0
        self.links: dict[tuple[int, int], str] = {}  # (device, inode) → the first path stored of it

    def put(self, data: bytes) -> None:
        self.out.write(data)
        self.written += len(data)

    def put_header(self, info: tarfile.TarInfo) -> None:
        self.put(_ustar_with_time(info) or info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))

    def member(self, rel: str, st: os.stat_result) -> None:
        kind = file_kind(st.st_mode)
        if kind in ("socket", "other"):
            self.report.miss(rel, kind, "socket" if kind == "socket" else "unreadable",
                             None if kind == "socket" else "a kind of file tar cannot hold")
            return
        info, entry = header(rel, st)
        inode = (st.st_dev, st.st_ino)
        if kind != "dir" and st.st_nlink > 1 and inode in self.links:
            info.type, info.linkname = tarfile.LNKTYPE, self.links[inode]
            self.put_header(info)
            self.report.files.append({**entry, "type": "hardlink", "target": info.linkname})
            return
        if kind == "file":
            stored = self.file(rel, st, info, entry)
        else:
            stored = self.special(rel, st, kind, info, entry)
        if stored and kind != "dir" and st.st_nlink > 1:
            self.links[inode] = rel

    def special(self, rel: str, st: os.stat_result, kind: str, info: tarfile.TarInfo, entry: dict) -> bool:
        """A folder, symbolic link, FIFO or device: a header and nothing else."""
        extra: dict = {}
        if kind == "symlink":
            try:
                info.linkname = extra["target"] = os.readlink(self.root / rel)
            except FileNotFoundError:
                self.report.miss(rel, kind, "vanished")
                return False
        elif kind in ("char", "block"):
            info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
            extra = {"major": info.devmajor, "minor": info.devminor}
        info.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "fifo": tarfile.FIFOTYPE,
                     "char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE}[kind]
        self.put_header(info)
        self.report.files.append({**entry, "type": kind, **extra})
        return True

    def file(self, rel: str, st: os.stat_result, info: tarfile.TarInfo, entry: dict) -> bool:
        try:
            # Not through a link, never blocking: what is opened must still be the file that was listed.
            fd = os.open(self.root / rel, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            self.report.miss(rel, "file", "vanished")
            return False
        except OSError as exc:
            self.report.miss(rel, "file", "unreadable", exc.strerror)
            return False
        with open(fd, "rb", buffering=0) as f:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):
                self.report.miss(rel, "file", "vanished", "replaced by something else before it was read")
                return False
            info.size = size = opened.st_size  # the size the header promises, as of opening
            self.put_header(info)
            digest, left = self.copy(f, size)
            grew = not left and f.read(1) != b""
            after = os.fstat(fd)
        self.report.bytes_read += size - left
        changed = grew or after.st_mtime_ns != st.st_mtime_ns or after.st_size != size
        if left:
            self.report.miss(rel, "file", "shrank", f"{left} byte(s) short of the {size} it had when opened")
        elif changed:
            self.report.miss(rel, "file", "changed")
        self.report.files.append({**entry, "type": "file", "size": size, "sha256": digest,
                                  **({"changed": True} if changed or left else {})})
        return True

    def copy(self, f: BinaryIO, size: int) -> tuple[str, int]:
        """`size` bytes of `f` into the archive, hashed; what could not be read is padded (so the archive
        stays well-formed) and returned as the count left."""
        digest = hashlib.sha256()
        left = size
        while left:
            chunk = f.read(min(CHUNK, left))
            if not chunk:
                break
            digest.update(chunk)
            self.put(chunk)
            left -= len(chunk)
        if left:
            pad = b"\0" * left
            digest.update(pad)
            self.put(pad)
        self.put(b"\0" * (-size % BLOCK))
        return digest.hexdigest(), left

    def finish(self) -> None:
        self.put(b"\0" * (2 * BLOCK))
        self.put(b"\0" * (-self.written % RECORD))


def write_tar(root: Path, out: BinaryIO, include: list[str], exclude: list[str], report: TreeReport,
              cancelled: Callable[[], bool] = lambda: False) -> None:
    writer = _Writer(root, out, report)
    info, entry = header(".", os.lstat(root))
    info.type = tarfile.DIRTYPE
    writer.put_header(info)
    report.root = {k: v for k, v in entry.items() if k != "path"}
    for rel, st in walk(root, include, exclude, report):
        if cancelled():
            raise InterruptedError("cancelled")
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
