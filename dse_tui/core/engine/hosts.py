"""Several backup hosts on one catalog: which host this is, which repositories are its own, and the lease a
run holds in the catalog while it goes on (catalog/leases.py), renewed from a thread of its own.

A repository's `host:` in the profile names the host that backs it up; without one, any host that runs it
may (the first to take its lease does, the others skip it). `DSE_TUI_HOST` (or `--host`) names this host when
its name is not the machine's own (tests, a host known by another name)."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time

HOST_ENV = "DSE_TUI_HOST"


def this_host() -> str:
    return os.environ.get(HOST_ENV) or socket.gethostname()


def is_mine(repo, host: str | None = None) -> bool:
    """Whether this host (or `host`) backs up `repo`: it names this host, or no host at all."""
    return repo.host is None or repo.host == (host or this_host())


def made_here(run) -> bool:
    """Whether `run` is in this host's storage root: it made it (or it was recorded before hosts were).
    Its verifications, copies and pruning are made there, where its folder is."""
    return run.host is None or run.host == this_host()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's: alive
        return True
    return True


def holder_alive(holder) -> bool:
    """Whether the lease's holder may still be running: another host's is, while its lease lasts (it is not
    ours to judge); one of this host is while its process is."""
    return holder.host != this_host() or _alive(holder.pid)


class LeaseHeld(Exception):
    """Another host (or process) holds the repository's lease: `holder` says who."""

    def __init__(self, holder):
        super().__init__(holder.text)
        self.holder = holder


class _Either(threading.Event):
    """Set when it is, or when the caller's own cancel is: read at once, not when the lease's thread next
    looks (a tenth of a second later, after a small run had already ended good)."""

    def __init__(self, outer: threading.Event | None):
        super().__init__()
        self._outer = outer

    def is_set(self) -> bool:
        return super().is_set() or (self._outer is not None and self._outer.is_set())


class Lease:
    """The repository's lease, taken for `seconds` and renewed every third of it until release(). When it
    cannot be renewed before it expires (it was found expired and taken, or the catalog was unreachable that
    long), `lost` is set and so is `cancel`: another host may be running the repository already.
    `outer`, a cancel event of the caller's, is passed on to `cancel` (the run's own)."""

    def __init__(self, profile, key: str, seconds: float, outer: threading.Event | None = None):
        self.profile, self.key, self.seconds = profile, key, seconds
        self.host, self.pid, self.token = this_host(), os.getpid(), secrets.token_hex(8)
        self.cancel = _Either(outer)
        self.lost = threading.Event()
        self._outer = outer
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, catalog) -> Lease:
        """Raises LeaseHeld when another holds it."""
        holder = catalog.take_lease(self.key, self.host, self.pid, self.token, self.seconds)
        if holder is not None and holder.host == self.host and not _alive(holder.pid):
            # A process of this host that died: no need to wait for its lease to expire.
            catalog.break_lease(holder)
            holder = catalog.take_lease(self.key, self.host, self.pid, self.token, self.seconds)
        if holder is not None:
            raise LeaseHeld(holder)
        self._thread = threading.Thread(target=self._keep, name=f"lease {self.key}", daemon=True)
        self._thread.start()
        return self

    def _keep(self) -> None:
        every = self.seconds / 3
        tick = min(0.1, every)  # the caller's cancel reaches the run at once; the lease is renewed every third
        catalog = None
        deadline = next_renewal = time.monotonic()
        deadline += self.seconds
        try:
            while not self._done.wait(tick):
                if self._outer is not None and self._outer.is_set():
                    self.cancel.set()
                if time.monotonic() < next_renewal:
                    continue
                try:
                    catalog = catalog or self._open()
                    ours = catalog.renew_lease(self.key, self.token, self.seconds)
                except Exception:  # noqa: BLE001 - the catalog away a moment: try again until the lease ends
                    if catalog is not None:
                        catalog.close()
                    catalog = None
                    ours = time.monotonic() < deadline
                    if ours:
                        next_renewal = time.monotonic() + tick * 5
                        continue
                if not ours:
                    self.lost.set()
                    self.cancel.set()
                    return
                deadline = time.monotonic() + self.seconds
                next_renewal = time.monotonic() + every
        finally:
            if catalog is not None:
                catalog.close()

    def _open(self):
        from dse_tui.core.catalog import Catalog

        return Catalog(self.profile.catalog_path, passfile=getattr(self.profile, "catalog_passfile", None),
                       password_env=getattr(self.profile, "catalog_password_env", None))

    def release(self, catalog) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        if not self.lost.is_set():
            catalog.drop_lease(self.key, self.token)


def interrupt_dead_runs(catalog) -> list[tuple[int, str, str]]:
    """interrupt_expired_runs, after freeing the leases of this host's processes that are gone: a run killed
    here (kill -9, a closed console) is known dead at once, not once its lease expires; another host's waits
    for its lease."""
    here = this_host()
    for holder in catalog.live_leases().values():
        if holder.host == here and not _alive(holder.pid):
            catalog.break_lease(holder)
    return catalog.interrupt_expired_runs()
