"""The tar headers of the tar writer (tarstream.py): what tarfile writes in its pax format, byte for byte,
made directly for the common entry (an ASCII name that fits the ustar fields, and a pax header for the
time's nanoseconds only). tarfile's general way costs as much as reading a small file (about 37 µs a
header against a few), and stays for everything else: long or non-ASCII names, large numbers."""

from __future__ import annotations

import grp
import os
import pwd
import stat
import struct
import tarfile
import zlib
from functools import lru_cache

BLOCK = 512
NS = 1_000_000_000


@lru_cache(maxsize=8192)
def owner_name(group: bool, number: int) -> str:
    """A user's (or group's) name, as tar writes it beside the number; empty when the system has none."""
    try:
        return grp.getgrgid(number).gr_name if group else pwd.getpwuid(number).pw_name
    except KeyError:
        return ""


def decimal(ns: int) -> str:
    """Nanoseconds as the pax header's exact decimal seconds (GNU tar writes them so)."""
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)
    return f"{sign}{ns // NS}.{ns % NS:09d}".rstrip("0").rstrip(".")


_USTAR = struct.Struct("100s8s8s8s12s12s8sc100s8s32s32s8s8s155s12x")


def _octal(n: int, width: int) -> bytes:
    return b"%0*o\0" % (width - 1, n)


def _ustar(name: bytes, kind: bytes, size: int, mode: int = 0, uid: int = 0, gid: int = 0, mtime: int = 0,
           linkname: bytes = b"", uname: bytes = b"", gname: bytes = b"", device: tuple[int, int] | None = None) -> bytes:
    """One ustar header block, byte for byte as tarfile makes it, of ASCII fields only."""
    major, minor = (_octal(device[0], 8), _octal(device[1], 8)) if device else (b"", b"")
    return _checksummed(_USTAR.pack(name, _octal(mode, 8), _octal(uid, 8), _octal(gid, 8), _octal(size, 12),
                                    _octal(mtime, 12), b" " * 8, kind, linkname, tarfile.POSIX_MAGIC, uname, gname,
                                    major, minor, b""))


def _checksummed(block: bytes) -> bytes:
    # The checksum is the sum of the block's bytes (`sum` costs more than the rest of the header). Every
    # byte is ASCII, so the sum is at most 512 × 127, below Adler-32's modulus: Adler-32's low half is then
    # exactly 1 + the sum, made in C.
    return block[:148] + b"%06o\0 " % ((zlib.adler32(block) & 0xFFFF) - 1) + block[156:]


_REST = struct.Struct("8s32s32s8s8s")


# Caches of what varies little in a tree (plain dictionaries: an lru_cache call costs more than a lookup).
_OWNERS: dict[tuple[int, int, int], tuple[str, bytes] | None] = {}
_TAILS: dict[tuple[bytes, bytes], tuple[bytes, int]] = {}  # of entries without a link target


def _owner_fields(mode: int, uid: int, gid: int) -> tuple[str, bytes] | None:
    """The mode, uid and gid fields; and the magic, owner names and empty device fields: the same for most
    of a tree's entries. None when they do not fit ustar's fields."""
    uname, gname = owner_name(False, uid), owner_name(True, gid)
    if not (uname.isascii() and gname.isascii()) or len(uname) > 32 or len(gname) > 32 or max(uid, gid) >= 8 ** 7:
        return None
    return f"{mode:07o}\0{uid:07o}\0{gid:07o}\0", _REST.pack(tarfile.POSIX_MAGIC, uname.encode(), gname.encode(), b"", b"")


def _tail(kind: bytes, linkname: bytes, rest: bytes) -> tuple[bytes, int]:
    """A header block from its type on, and the sum of those bytes and of the checksum field's 8 spaces."""
    tail = kind + linkname.ljust(100, b"\0") + rest + bytes(167)
    return tail, sum(tail) + 8 * ord(" ")


def _pax_record(keyword: bytes, value: bytes) -> bytes:
    length = len(keyword) + len(value) + 3  # " ", "=", "\n"; then the length's own digits
    total = 0
    while (n := length + len(str(total))) != total:
        total = n
    return b"%d %s=%s\n" % (total, keyword, value)


@lru_cache(maxsize=64)
def _pax_head(length: int) -> bytes:
    """The ustar block that announces a pax record of `length` bytes: nothing else of it varies."""
    return _ustar(b"././@PaxHeader", tarfile.XHDTYPE, length)


_ZEROS = bytes(BLOCK)


def _ustar_with_time(name: str, kind: bytes, size: int, st: os.stat_result, linkname: str = "",
                     device: tuple[int, int] | None = None) -> bytes | None:
    """What tarfile writes for the entry (a pax header for the time's nanoseconds, then the ustar header),
    made directly; None when it needs more of pax than its time (long or non-ASCII names and owners,
    numbers too large): tarfile writes it then. Made as text and encoded once, the fields that vary little
    cached: a header here costs about what reading a small file does."""
    if kind == tarfile.DIRTYPE:
        name += "/"
    ns = st.st_mtime_ns
    mtime = ns // NS
    key = (st.st_mode & 0o7777, st.st_uid, st.st_gid)
    owners = _OWNERS.get(key, False)
    if owners is False:
        if len(_OWNERS) > 4096:  # bounded whatever the tree
            _OWNERS.clear()
        owners = _OWNERS[key] = _owner_fields(*key)
    if (owners is None or not (name.isascii() and linkname.isascii()) or len(name) > 100 or len(linkname) > 100
            or not 0 <= mtime < 8 ** 11 or size >= 8 ** 11 or device and max(device) >= 8 ** 7):
        return None
    fields, rest = owners
    if device:
        rest = rest[:72] + _octal(device[0], 8) + _octal(device[1], 8)
    if linkname:  # links' targets differ, one by one: not worth keeping
        tail, tail_sum = _tail(kind, linkname.encode(), rest)
    else:
        key = (kind, rest)
        tail, tail_sum = _TAILS.get(key) or _TAILS.setdefault(key, _tail(kind, b"", rest))
    # The pax record is "LEN mtime=SECONDS.FRACTION\n", LEN counting itself: two digits for any time of
    # this millennium and the next (else the general way), then NULs to the end of its block.
    value = f"{mtime}.{ns % NS:09d}".rstrip("0") if ns % NS else ""
    if len(value) >= 90:
        return None
    if value:
        n = len(value) + 10
        text = _PAX_AND_HEAD(n, value, _NULS[n:], name, fields, size, mtime).encode()
        pax, head = _pax_head(n), memoryview(text)[BLOCK:]
    else:
        pax, text = b"", _HEAD(name, fields, size, mtime).encode()
        head = text
    # The checksum is the sum of the block's bytes, the checksum field counted as spaces (`sum` costs more
    # than the rest of the header). Every byte of `head` is ASCII, so its sum is below Adler-32's modulus:
    # Adler-32's low half is then exactly 1 + that sum, made in C.
    return b"".join((pax, text, b"%06o\0 " % ((zlib.adler32(head) & 0xFFFF) - 1 + tail_sum), tail))


# The ustar block up to its checksum (name, mode, uid, gid, size, time), and the same after a pax record.
_HEAD = "{0:\0<100}{1}{2:011o}\0{3:011o}\0".format
_PAX_AND_HEAD = "{0} mtime={1}\n{2}{3:\0<100}{4}{5:011o}\0{6:011o}\0".format
_NULS = "\0" * BLOCK


def tarfile_header(name: str, kind: bytes, size: int, st: os.stat_result, linkname: str = "",
                   device: tuple[int, int] | None = None) -> bytes:
    """The same header by tarfile's general way, for any entry."""
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, size, linkname
    info.mode = stat.S_IMODE(st.st_mode)
    info.uid, info.gid = st.st_uid, st.st_gid
    info.uname, info.gname = owner_name(False, st.st_uid), owner_name(True, st.st_gid)
    info.mtime = st.st_mtime_ns // NS
    if st.st_mtime_ns % NS:
        info.pax_headers = {"mtime": decimal(st.st_mtime_ns)}
    if device:
        info.devmajor, info.devminor = device
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
