"""The read-back of a stream's file made from the disk while the stream is still being written.

A window behind the writer, each stretch of the file is written back (sync_file_range), dropped from the
page cache and read again from the device, and hashed in order (or, for a stream written from its own
buffer, compared with the bytes written: `compare`); the last stretch once the file has been fsynced. What it proves is what a read-back after the whole write proves (the device returns the bytes
the stream hashed as it wrote them), without waiting at the end for a second pass over the whole file:
the disk reads the early parts back while the compressor makes the later ones.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import threading
from collections import deque

from dse_tui.core.common.fsutil import drop_range, write_back

WINDOW = 32 << 20  # bytes written before the follower reads them back: long sequential reads, little lag
READ = 1 << 20
FREE = 16  # pieces kept for reuse at most (compare)
HELD = 4  # windows of bytes written and not yet compared, at most (compare)
PAGE = os.sysconf("SC_PAGE_SIZE")


class ReadBehind:
    """Follows the writes to `fd` (which must not be written after finish()). The writer calls wrote(n)
    with the bytes flushed to the file so far, then finish() after its fsync.

    With `compare`, the writer also hands it every byte it writes, in order (kept(): a copy of each, held
    until it is read back), and the SHA-256 it computed of them (expect()): the device's bytes are compared
    with those, byte for byte, instead of being hashed a second time. What that proves is the same (the
    device returns the bytes the stream hashed), for a copy and a memcmp per byte in place of a SHA-256 pass
    (measured: 22 ms against 292 ms for 512 MiB); what is held is the bytes written and not yet read back,
    HELD windows at most (the writer waits past that)."""

    def __init__(self, fd: int, window: int | None = None, compare: bool = False):
        # The same file opened anew for reading (the writer's may be write-only); pread has no offset.
        # O_DIRECT where the filesystem has it: the reads go to the device even for a page the cache
        # kept despite the drop (one still in another CPU's LRU batch, say).
        self._fd = _open_direct(f"/proc/self/fd/{fd}")
        # Comparing, what is held is what has not been read back: a quarter of the window, 8 MiB.
        self._window = window or (WINDOW // 4 if compare else WINDOW)
        self._flushed = 0
        self._done = self._aborted = False
        self._cond = threading.Condition()
        self._digest = hashlib.sha256()
        self._size = 0
        self._error: BaseException | None = None
        self._compare = compare
        self._pieces: deque[bytearray] = deque()  # written, not yet read back (compare)
        # Pieces read back, for kept() to fill again: a new megabyte each time would cost its page faults,
        # more than its copy (measured: the relay thread's CPU up by as much as the hash saved).
        self._free: deque[bytearray] = deque()
        # What is held is bounded: past HELD windows the writer waits in kept() for the follower (a slow
        # device, a follower the scheduler starves), rather than hold the whole file in memory.
        self._held = 0
        self._cap = HELD * self._window
        self._offset = 0  # into the first piece, of what has been read back
        self._same = True
        self._expected = ""
        self._thread = threading.Thread(target=self._follow, daemon=True, name="read-behind")
        self._thread.start()

    def due(self, flushed: int) -> bool:
        """Whether the writer should flush and tell: a window is ready since the follower was last told."""
        return flushed - self._flushed >= self._window

    def wrote(self, flushed: int) -> None:
        with self._cond:
            self._flushed = flushed
            self._cond.notify()

    def kept(self, data) -> None:
        """(compare) The bytes just written, after those handed before: copied, to be compared."""
        with self._cond:
            while self._held >= self._cap and not (self._aborted or self._error or not self._thread.is_alive()):
                self._cond.wait(0.5)
            self._held += len(data)
        free = self._free
        piece = free.popleft() if free else None
        if piece is not None and len(piece) == len(data):
            piece[:] = data
        else:
            piece = bytearray(data)
        self._pieces.append(piece)

    def expect(self, sha256: str) -> None:
        """(compare) The SHA-256 the writer computed of all it wrote, given before finish()."""
        self._expected = sha256

    def finish(self, flushed: int) -> tuple[int, str]:
        """(size, SHA-256) read back from the device, to the file's end. Call after the file's fsync. With
        `compare`, the SHA-256 is expect()'s when every byte read back is the byte written, else ""."""
        with self._cond:
            self._flushed, self._done = flushed, True
            self._cond.notify()
        self._thread.join()
        self._close()
        if self._error is not None:
            raise self._error
        if self._compare:
            same = self._same and not self._pieces and self._expected
            return self._size, self._expected if same else ""
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
        finally:
            with self._cond:  # a writer waiting in kept() goes on (to finish(), which says why)
                self._cond.notify_all()

    def _read(self, end: int | None) -> None:
        """From where it got to, to `end` (None: the file's end): on the device, out of the cache, read."""
        start = self._size
        length = 0 if end is None else end - start  # 0: to the end of the file
        if end is None or length > 0:
            write_back(self._fd, start, length)
            drop_range(self._fd, start, length)
        self._hash(end)

    def _hash(self, end: int | None) -> None:
        """The stretch to `end` (None: the file's end) read, and hashed (or compared)."""
        buf = mmap.mmap(-1, READ)  # page-aligned, as O_DIRECT needs
        view = memoryview(buf)
        pieces = self._pieces
        while end is None or self._size < end:
            want = READ
            if self._compare and pieces and not self._offset and len(pieces[0]) < READ:
                want = -(-len(pieces[0]) // PAGE) * PAGE  # a piece per read: compared without a slice
            if end is not None:
                want = min(want, end - self._size)
            n = os.preadv(self._fd, [view[:want]], self._size)
            if n == 0:
                if end is not None:
                    raise OSError(f"the file ends at {self._size} bytes, {end} were written")
                return
            if self._compare:
                self._match(view, n)
            else:
                self._digest.update(view[:n])
            self._size += n

    def _match(self, view: memoryview, n: int) -> None:
        """The `n` bytes read against the pieces written, in order. A bytearray compared with a buffer is a
        memcmp (a memoryview compared with one goes byte by byte)."""
        pieces, done = self._pieces, 0
        while done < n:
            if not pieces:  # more on the device than was written
                self._same = False
                return
            piece = pieces[0]
            k = min(len(piece) - self._offset, n - done)
            if self._offset == 0 and k == len(piece):
                same = piece == view[done:done + k]
            else:
                same = piece[self._offset:self._offset + k] == view[done:done + k]
            self._same = self._same and same
            done += k
            self._offset += k
            if self._offset == len(piece):
                pieces.popleft()
                self._offset = 0
                with self._cond:
                    self._held -= len(piece)
                    self._cond.notify()
                if len(self._free) < FREE:
                    self._free.append(piece)


def _open_direct(path: str) -> int:
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECT)
    except (OSError, AttributeError):  # tmpfs and some others refuse it: the drop alone then
        return os.open(path, os.O_RDONLY)
