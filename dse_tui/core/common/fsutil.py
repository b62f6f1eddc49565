"""Filesystem helpers shared by runs, copies and verification."""

from __future__ import annotations

import ctypes
import os
import stat
from pathlib import Path

# sync_file_range(2)'s flags: wait for writeback already under way, start it, wait for it to end.
_SYNC_RANGE = 1 | 2 | 4
try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _sync_file_range = _libc.sync_file_range
    _sync_file_range.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
except (OSError, AttributeError):  # not Linux: fdatasync below does the same for the whole file
    _sync_file_range = None


def fsync_dir(path: Path) -> None:
    """A rename or a new file is durable only once its folder is synced too."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def drop_cache(path: Path) -> None:
    """Evict a written and fsynced file from the page cache, so that what reads it next reads the medium
    itself: a read-back that hashed the cache would prove only that the memory holds what was written.
    (Clean pages only: a file not yet fsynced keeps its dirty ones, so fsync first.)"""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # the read that follows says why
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except (OSError, AttributeError):
        pass  # not every filesystem or platform has it; the hash still runs
    finally:
        os.close(fd)


def write_back(fd: int, offset: int, length: int) -> None:
    """The range's data on the device, its pages clean (so that drop_range can evict them). No metadata:
    the file's own fsync still makes it durable."""
    if _sync_file_range is None or _sync_file_range(fd, offset, length, _SYNC_RANGE) != 0:
        os.fdatasync(fd)


def drop_range(fd: int, offset: int, length: int) -> None:
    """drop_cache of a range of an open file, its pages written back first (write_back)."""
    try:
        # Twice: pages still in another CPU's LRU batch at the first call are missed by it.
        os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)
        os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)
    except (OSError, AttributeError):
        pass


def make_writable(tree: Path) -> None:
    """Give the owner full access to every folder of `tree` (one restored with read-only folders, as
    recorded), so that a user who is not root can remove it. Links are never followed."""
    def fix(path) -> None:
        try:
            mode = os.lstat(path).st_mode
            if stat.S_ISDIR(mode) and mode & 0o700 != 0o700:
                os.chmod(path, stat.S_IMODE(mode) | 0o700)
        except OSError:
            pass

    fix(tree)
    for folder, subdirs, _ in os.walk(tree):  # top down: a folder is fixed before it is listed
        for name in subdirs:
            fix(os.path.join(folder, name))
