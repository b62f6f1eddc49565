"""A stream's file written past the page cache (O_DIRECT), for a stream that is fsynced and read back.

Through the page cache every byte is copied into it, written back later, then dropped again so that the
read-behind (readbehind.py) reads the device: three passes of kernel work over a file nobody reads from
memory. Written directly, the device takes the bytes from this process's own buffer. The stream reads its
last stage's output straight into that buffer (page-aligned, as O_DIRECT needs), hashes it there, and
writes it whole blocks at a time; what does not fill a block at the end goes through the page cache, and the
file's fsync covers both. Where O_DIRECT cannot be had (tmpfs, a filesystem that refuses an alignment),
everything goes through the page cache as before.
"""

from __future__ import annotations

import errno
import mmap
import os
import time
from typing import BinaryIO

ALIGN = 4096  # offsets and lengths of direct writes: a page, a multiple of any device's logical block
SIZE = 1 << 20  # bytes written at a time (the pipe from the last stage holds as much)
# A stream that trickles (a tree of sparse files compresses to almost nothing) still reaches its file: the
# whole blocks read are written once this long has passed since the last write.
LINGER = 0.5


class DirectOut:
    """Fill `space()` (read into it), `add(n)` what was read; `written` bytes are in the file; `finish()`
    writes the rest. `out` must be empty and not written otherwise meanwhile."""

    def __init__(self, out: BinaryIO, fd: int):
        self.out, self._fd = out, fd
        self._map = mmap.mmap(-1, SIZE)  # page-aligned
        self._view = memoryview(self._map)
        self.fill = 0  # bytes in the buffer, not yet in the file
        self.written = 0  # bytes in the file
        self._last = time.monotonic()  # of the last write
        self.on_write = None  # called with each stretch just written, in order (ReadBehind.kept)

    @classmethod
    def open(cls, out: BinaryIO) -> DirectOut | None:
        """None when `out` cannot be written so (then it is written as any file)."""
        out.flush()
        if out.tell() != 0 or not hasattr(os, "O_DIRECT"):
            return None
        try:
            # A second open of the same file (the first is the caller's, buffered), for the direct writes.
            fd = os.open(f"/proc/self/fd/{out.fileno()}", os.O_WRONLY | os.O_DIRECT | os.O_CLOEXEC)
        except OSError:
            return None
        return cls(out, fd)

    def space(self) -> memoryview:
        return self._view[self.fill:]

    def view(self, start: int, end: int) -> memoryview:
        return self._view[start:end]

    def add(self, n: int) -> None:
        self.fill += n
        if self.fill == SIZE:
            self._write(SIZE)
        elif self.fill >= ALIGN and time.monotonic() - self._last >= LINGER:
            self._write(self.fill - self.fill % ALIGN)

    def finish(self) -> None:
        """The rest of the buffer into the file: whole blocks directly, the last part through the cache."""
        whole = self.fill - self.fill % ALIGN
        if whole:
            self._write(whole)
        if self.fill:
            self._pwrite_buffered(self._view[:self.fill], self.written)
            if self.on_write is not None:
                self.on_write(self._view[:self.fill])
            self.written += self.fill
            self.fill = 0
        self.close()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        try:
            self._view.release()
            self._map.close()
        except BufferError:  # a view of it still held (by a failed write's traceback): freed with it
            pass

    def _write(self, n: int) -> None:
        """The buffer's first `n` bytes (a multiple of ALIGN) into the file; what follows them moves to the
        front."""
        view = self._view[:n]
        done = 0
        while done < n:
            if self._fd < 0:
                self._pwrite_buffered(view[done:], self.written + done)
                break
            try:
                got = os.pwrite(self._fd, view[done:], self.written + done)
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # a full disk, a failing one: the stream's failure
                    raise
                got = 0  # an alignment this filesystem refuses: the rest through the page cache
            if got == 0 or got % ALIGN:  # nothing, or what leaves the next write unaligned
                os.close(self._fd)
                self._fd = -1
            done += got
        if self.on_write is not None:
            self.on_write(view)
        self.written += n
        self._last = time.monotonic()
        rest = self.fill - n
        if rest:
            self._view[:rest] = self._view[n:self.fill]
        self.fill = rest

    def _pwrite_buffered(self, view: memoryview, offset: int) -> None:
        fd = self.out.fileno()
        while view:
            got = os.pwrite(fd, view, offset)
            view, offset = view[got:], offset + got
