"""How much of a file the page cache holds (mincore(2) over a mapping of it, as fincore does): a read-back
that claims to read the disk must find none of the file there when it starts."""

from __future__ import annotations

import ctypes
import mmap
import os
from pathlib import Path

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
_libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
_libc.mincore.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p)
_MAP_FAILED = ctypes.c_void_p(-1).value


def resident_pages(path: Path, offset: int = 0, end: int | None = None) -> tuple[int, int]:
    """(pages in the page cache, pages of the file), of its bytes from `offset` (a multiple of the page
    size) to `end` (its end). Mapping a file reads nothing of it."""
    size = os.path.getsize(path)
    first = offset // mmap.PAGESIZE
    pages = (min(size, end if end is not None else size) + mmap.PAGESIZE - 1) // mmap.PAGESIZE - first
    if pages <= 0:
        return 0, 0
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = _libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        if addr in (None, _MAP_FAILED):
            raise OSError(ctypes.get_errno(), "mmap failed", str(path))
        try:
            vec = ctypes.create_string_buffer(pages)
            if _libc.mincore(addr + first * mmap.PAGESIZE, pages * mmap.PAGESIZE, vec) != 0:
                raise OSError(ctypes.get_errno(), "mincore failed", str(path))
            return sum(b & 1 for b in vec.raw), pages
        finally:
            _libc.munmap(addr, size)
    finally:
        os.close(fd)


class ResidencyAtRead:
    """Wraps sha256_file: records how much of each file the cache held just before it was hashed."""

    def __init__(self, real):
        self.real = real
        self.seen: dict[str, tuple[int, int]] = {}

    def __call__(self, path, *args, **kwargs):
        self.seen[Path(path).name] = resident_pages(Path(path))
        return self.real(path, *args, **kwargs)


class BehindReads:
    """Installed on ReadBehind._hash (monkeypatch): each stretch a read-behind reads, as (file, pages in the
    cache just before it is read, its pages, read before the writer had finished)."""

    def __init__(self, monkeypatch):
        from dse_tui.core.engine.readbehind import ReadBehind

        self.reads: list[tuple[str, int, int, bool]] = []
        self.direct: list[bool] = []
        real = ReadBehind._hash

        def hash_seen(behind, end):
            path = Path(os.readlink(f"/proc/self/fd/{behind._fd}"))
            self.reads.append((path.name, *resident_pages(path, behind._size, end), end is not None))
            with open(f"/proc/self/fdinfo/{behind._fd}") as info:
                flags = int(next(line for line in info if line.startswith("flags:")).split()[1], 8)
            self.direct.append(bool(flags & os.O_DIRECT))
            real(behind, end)

        monkeypatch.setattr(ReadBehind, "_hash", hash_seen)

    def of(self, suffix: str) -> list[tuple[str, int, int, bool]]:
        return [r for r in self.reads if r[0].endswith(suffix)]

    def resident(self) -> list[int]:
        """Per stretch, the pages it could have read from the cache: none when it reads past it (O_DIRECT)."""
        return [0 if direct else r[1] for r, direct in zip(self.reads, self.direct)]
