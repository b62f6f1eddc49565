"""One run per repository at a time, across processes (the console and cron) and threads."""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path


class AlreadyRunning(Exception):
    pass


class RepoLock:
    """An flock on `<storage root>/.locks/<repo>.lock`; the kernel releases it if the process dies,
    so a crash never leaves a repository locked."""

    def __init__(self, storage_root: Path, repo_id: str):
        self.path = storage_root / ".locks" / f"{repo_id}.lock"
        self.repo_id = repo_id
        self.fd: int | None = None

    def acquire(self) -> RepoLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
            os.close(fd)
            raise AlreadyRunning(f"{self.repo_id} is already running ({holder or 'another process'}); "
                                 "wait for it to end") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> RepoLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def lock_holder(storage_root: Path, repo_id: str) -> int | None:
    """The pid running `repo_id` on this machine, read from its lock file (which the holder empties on
    release), if that process is alive. Reading never takes the lock, so it cannot disturb a run."""
    try:
        text = (storage_root / ".locks" / f"{repo_id}.lock").read_text()
    except OSError:
        return None
    parts = text.split()
    if len(parts) < 4 or parts[0] != "pid" or parts[3] != socket.gethostname() or not parts[1].isdigit():
        return None
    pid = int(parts[1])
    return pid if Path(f"/proc/{pid}").exists() else None
