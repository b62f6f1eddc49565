"""Hashing a stream between two child processes without copying it through Python on its way.

The plain relay reads every chunk into Python and writes it out again: two copies through user space for
a stream that only needs to be seen. On Linux, tee(2) duplicates what waits in the source pipe into a side
pipe without consuming it, splice(2) then moves it to the next stage inside the kernel (pages, not bytes),
and only the side pipe is read into one reused buffer to be hashed. Measured on an encrypted files backup:
see bench/backup_files.py --encrypted-only.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import hashlib
import os
import sys

F_SETPIPE_SZ = 1031
CHUNK = 1 << 20

_tee = None
if sys.platform.startswith("linux") and hasattr(os, "splice"):
    try:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        _tee = _libc.tee
        _tee.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_size_t, ctypes.c_uint)
        _tee.restype = ctypes.c_ssize_t
    except (OSError, AttributeError):
        _tee = None


def available() -> bool:
    return _tee is not None


def _tee_once(src: int, dst: int, n: int) -> int:
    while True:
        got = _tee(src, dst, n, 0)
        if got >= 0:
            return got
        err = ctypes.get_errno()
        if err != errno.EINTR:
            raise OSError(err, os.strerror(err))


def relay(src: int, dst: int, tap, head_size: int) -> hashlib._Hash:
    """Move everything from pipe `src` to pipe `dst`, counting it in `tap` (size, head) and returning its
    SHA-256. A next stage that stops reading raises BrokenPipeError, as a write would."""
    digest = hashlib.sha256()
    side_r, side_w = os.pipe()
    try:
        try:
            fcntl.fcntl(side_w, F_SETPIPE_SZ, CHUNK)
        except OSError:
            pass
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        while True:
            # The side pipe is empty here, so tee can copy as much as it holds without blocking on it.
            n = _tee_once(src, side_w, CHUNK)
            if n == 0:
                return digest
            moved = 0
            while moved < n:  # splice may move less than asked when the next stage's pipe is nearly full
                moved += os.splice(src, dst, n - moved)
            read = 0
            while read < n:
                got = os.readv(side_r, [view[read:n]])
                if got == 0:
                    raise OSError(errno.EIO, "the side pipe ended early")
                read += got
            digest.update(view[:n])
            if len(tap.head) < head_size:
                tap.head += bytes(view[:head_size - len(tap.head)])
            tap.size += n
    finally:
        os.close(side_r)
        os.close(side_w)
