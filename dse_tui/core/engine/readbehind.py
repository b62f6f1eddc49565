"""The read-back of a stream's file made from the disk while the stream is still being written.

A window behind the writer, each stretch of the file is written back (sync_file_range), dropped from the
page cache and read again from the device, and hashed in order; the last stretch once the file has been
fsynced. What it proves is what a read-back after the whole write proves (the device returns the bytes
the stream hashed as it wrote them), without waiting at the end for a second pass over the whole file:
the disk reads the early parts back while the compressor makes the later ones.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import threading

from dse_tui.core.common.fsutil import drop_range, write_back

WINDOW = 32 << 20  # bytes written before the follower reads them back: long sequential reads, little lag
READ = 1 << 20
PAGE = os.sysconf("SC_PAGE_SIZE")


class ReadBehind:
    """Follows the writes to `fd` (which must not be written after finish()). The writer calls wrote(n)
    with the bytes flushed to the file so far, then finish() after its fsync."""

    def __init__(self, fd: int, window: int | None = None):
        # The same file opened anew for reading (the writer's may be write-only); pread has no offset.
        # O_DIRECT where the filesystem has it: the reads go to the device even for a page the cache
        # kept despite the drop (one still in another CPU's LRU batch, say).
        self._fd = _open_direct(f"/proc/self/fd/{fd}")
        self._window = window or WINDOW
        self._flushed = 0
        self._done = self._aborted = False
        self._cond = threading.Condition()
        self._digest = hashlib.sha256()
        self._size = 0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._follow, daemon=True, name="read-behind")
        self._thread.start()

    def due(self, flushed: int) -> bool:
        """Whether the writer should flush and tell: a window is ready since the follower was last told."""
        return flushed - self._flushed >= self._window

    def wrote(self, flushed: int) -> None:
        with self._cond:
            self._flushed = flushed
            self._cond.notify()

    def finish(self, flushed: int) -> tuple[int, str]:
        """(size, SHA-256) read back from the device, to the file's end. Call after the file's fsync."""
        with self._cond:
            self._flushed, self._done = flushed, True
            self._cond.notify()
        self._thread.join()
        self._close()
        if self._error is not None:
            raise self._error
        return self._size, self._digest.hexdigest()

    def abort(self) -> None:
        """The stream failed: stop reading, whatever is left."""
        with self._cond:
            self._aborted = True
            self._cond.notify()
        self._thread.join()
        self._close()

    def _close(self) -> None:
        if self._fd >= 0:  # once: the number may be another file's by a second time
            os.close(self._fd)
            self._fd = -1

    def _follow(self) -> None:
        try:
            while True:
                with self._cond:
                    while not (self._aborted or self._done or self._flushed - self._size >= self._window):
                        self._cond.wait()
                    if self._aborted:
                        return
                    # Whole pages only: a page the writer has half filled would be read into the cache
                    # now, and what the next stretch read of it would be memory, not the disk.
                    done, end = self._done, self._flushed - self._flushed % PAGE
                if done:
                    self._read(None)  # to the end of the file: bytes past what was written would show too
                    return
                self._read(end)
        except BaseException as exc:  # told to the writer by finish()
            self._error = exc

    def _read(self, end: int | None) -> None:
        """From where it got to, to `end` (None: the file's end): on the device, out of the cache, read."""
        start = self._size
        length = 0 if end is None else end - start  # 0: to the end of the file
        if end is None or length > 0:
            write_back(self._fd, start, length)
            drop_range(self._fd, start, length)
        self._hash(end)

    def _hash(self, end: int | None) -> None:
        buf = mmap.mmap(-1, READ)  # page-aligned, as O_DIRECT needs
        view = memoryview(buf)
        while end is None or self._size < end:
            want = READ if end is None else min(READ, end - self._size)
            n = os.preadv(self._fd, [view[:want]], self._size)
            if n == 0:
                if end is not None:
                    raise OSError(f"the file ends at {self._size} bytes, {end} were written")
                return
            self._digest.update(view[:n])
            self._size += n


def _open_direct(path: str) -> int:
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECT)
    except (OSError, AttributeError):  # tmpfs and some others refuse it: the drop alone then
        return os.open(path, os.O_RDONLY)
