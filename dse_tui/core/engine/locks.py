"""Locks that say who is alive: the kernel drops an flock when its process dies, however it dies (kill -9,
power cut), so a lock that can be taken proves its owner gone. A pid written somewhere proves nothing once
the system has given that number to another process.

- RepoLock: one run per repository at a time, across processes (the console and cron) and threads.
- StepLock: held by a verification, copy, restore or session command while it works; its catalog row
  names it, so a row left running by a dead process is told from a live one (catalog/steps.py).
- claim_folder: a scratch folder that holds its own lock; the next claim in the same place removes
  those whose owner is gone.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import socket
from pathlib import Path

LOCKS = ".locks"
FOLDER_LOCK = ".lock"
# The lock files this process holds. They are never probed: on NFS, flock is emulated with POSIX locks,
# which belong to the process, so a probe of our own lock would find it free and, closing, drop it.
_MINE: set[str] = set()


class AlreadyRunning(Exception):
    pass


def try_flock(path: Path, *, create: bool = True) -> int | None:
    """An fd of `path` holding an exclusive flock, or None while another open file holds one. Without
    `create` the file is only opened for reading: that is enough for flock, and works on another user's."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT if create else os.O_RDONLY, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def lock_state(path: Path) -> str:
    """'held' (its owner is alive), 'free' (its owner is gone), 'missing', or 'unknown' (it cannot be read,
    or its filesystem has no flock). Taking a free lock for a moment disturbs no one: its owner is dead."""
    if str(path) in _MINE:
        return "held"
    try:
        fd = try_flock(path, create=False)
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "unknown"
    if fd is None:
        return "held"
    os.close(fd)
    return "free"


def _holder_text() -> bytes:
    return f"pid {os.getpid()} on {socket.gethostname()}\n".encode()


class _Held:
    """A lock this process holds until release(), and what goes with it then (`_let_go`)."""

    fd: int | None
    lock_path: Path

    def _let_go(self) -> None:
        raise NotImplementedError

    def _mine(self) -> None:
        _MINE.add(str(self.lock_path))

    def release(self) -> None:
        if self.fd is not None:
            self._let_go()  # while still held: nobody sees the lock free and what it guards still there
            os.close(self.fd)
            _MINE.discard(str(self.lock_path))
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class RepoLock:
    """An flock on `<storage root>/.locks/<repo>.lock`; the kernel releases it if the process dies,
    so a crash never leaves a repository locked."""

    def __init__(self, storage_root: Path, repo_id: str):
        self.path = storage_root / LOCKS / f"{repo_id}.lock"
        self.repo_id = repo_id
        self.fd: int | None = None

    def acquire(self) -> RepoLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = try_flock(self.path)
        if fd is None:
            try:
                holder = self.path.read_text(errors="replace").strip()
            except OSError:
                holder = ""
            raise AlreadyRunning(f"{self.repo_id} is already running ({holder or 'another process'}); "
                                 "wait for it to end")
        os.ftruncate(fd, 0)
        os.pwrite(fd, _holder_text(), 0)
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
        text = (storage_root / LOCKS / f"{repo_id}.lock").read_text()
    except OSError:
        return None
    parts = text.split()
    if len(parts) < 4 or parts[0] != "pid" or parts[3] != socket.gethostname() or not parts[1].isdigit():
        return None
    pid = int(parts[1])
    return pid if Path(f"/proc/{pid}").exists() else None


# ---------------------------------------------------------------- steps

class LockUnavailable(OSError):
    """A step's lock cannot be taken (its folder cannot be written): the step does not start."""


class StepLock(_Held):
    """A lock file of the step's own (a fresh name nobody else uses), flocked before the step's catalog
    row is written and kept until the row says how the step ended. `mark` is what the row records."""

    def __init__(self, storage_root: Path):
        self.path = storage_root / LOCKS / "steps" / f"{secrets.token_hex(8)}.lock"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.fd: int | None = try_flock(self.path)
            self.lock_path = self.path
            self._mine()
            os.pwrite(self.fd, _holder_text(), 0)  # for a person who looks; judging never reads it
        except OSError as exc:
            raise LockUnavailable(f"cannot take a lock under {self.path.parent}: {exc.strerror or exc}") from None

    @property
    def mark(self) -> str:
        # The path, not only a token: whoever judges the row finds the file without knowing the profile.
        return f"{socket.gethostname()}:{self.path}"

    def _let_go(self) -> None:
        self.path.unlink(missing_ok=True)  # its row has already said how the step ended


def owner_gone(mark: str | None) -> bool:
    """Whether the step whose row carries `mark` has surely stopped. A row without a mark is from before
    steps held locks. A step of another host is never judged here (its host does that), nor one whose lock
    cannot be read or whose locks folder is not there (storage not mounted): left running rather than
    called interrupted while it may still work."""
    if not mark:
        return True
    host, _, path = mark.partition(":")
    if host != socket.gethostname():
        return False
    state = lock_state(Path(path))
    return state == "free" or (state == "missing" and Path(path).parent.is_dir())


def forget(mark: str | None) -> None:
    """Remove a dead step's lock file (best effort: another user's may not be ours to remove)."""
    host, _, path = (mark or "").partition(":")
    if path and host == socket.gethostname():
        try:
            Path(path).unlink(missing_ok=True)
        except OSError:
            pass


# ---------------------------------------------------------------- folders

class OwnedFolder(_Held):
    """A work folder and the flock on its `.lock`, held until release() removes the folder."""

    def __init__(self, path: Path, fd: int):
        self.path, self.fd, self.lock_path = path, fd, path / FOLDER_LOCK
        self._mine()

    def _let_go(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


# Beside a destination's or a target's final names: the temporaries that become them, claimed by lock.
TEMPORARIES = ".dse-tmp"


def claim_temporary(beside: Path, name: str) -> OwnedFolder:
    """A claimed folder under `beside/.dse-tmp` (same filesystem as `beside`, so what is made in it is
    renamed to its final name at once); those of processes that died are removed first."""
    return claim_folder(beside / TEMPORARIES, name)


def claim_folder(root: Path, prefix: str, on_abandoned=None) -> OwnedFolder:
    """A new folder `<root>/<prefix>-<token>` (the owner's only, mode 0700), locked for as long as this
    process holds it. Folders of `root` whose owner is gone are removed first: `root` must be a folder
    only claimed folders live in. Raises OSError when the folder cannot be made."""
    root.mkdir(parents=True, exist_ok=True)
    # Claims and sweeps of one root take turns: a sweep never sees a claimed folder before its lock is held.
    guard = os.open(root.with_name(root.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(guard, fcntl.LOCK_EX)
        _sweep(root, on_abandoned)
        path = root / f"{prefix}-{secrets.token_hex(4)}"
        path.mkdir(mode=0o700)
        return OwnedFolder(path, try_flock(path / FOLDER_LOCK))
    finally:
        os.close(guard)


def _sweep(root: Path, on_abandoned=None) -> None:
    """Remove the folders of `root` whose owner is gone; `on_abandoned(folder)` first undoes what the folder
    says its owner made elsewhere (a scratch database on a server)."""
    for entry in root.iterdir():
        # No lock at all: made before folders held one, or half removed. Unknown: left alone.
        if entry.is_dir() and not entry.is_symlink() and lock_state(entry / FOLDER_LOCK) in ("free", "missing"):
            if on_abandoned is not None:
                try:
                    done = on_abandoned(entry) is not False
                except Exception:  # noqa: BLE001 - cleaning up after the dead must never stop the living
                    done = False
                if not done:  # kept, with its list of what is left to undo: the next sweep tries again
                    continue
            shutil.rmtree(entry, ignore_errors=True)
