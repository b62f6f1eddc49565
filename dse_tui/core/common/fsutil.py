"""Filesystem helpers shared by runs, copies and verification."""

from __future__ import annotations

import os
import stat
from pathlib import Path


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
