"""Child processes started, watched and stopped one way, for every part of dse-tui that runs one.

Each child leads a session (and so a process group) of its own: a signal to its group reaches whatever it
starts in turn (a shell's pipeline, a tool's helper), and nothing it does reaches the console's terminal.
wait() watches the children against a cancel event and a deadline and says how they ended (Ending). A
stop sends SIGTERM to every group, allows GRACE seconds, sends SIGKILL to what is left and reaps: it
returns once no process of the groups runs any more, grandchildren included, and no zombie is left.

A leader is watched with waitid(WNOWAIT) and stays unreaped until its group is empty: its pid, which is
the group's id, cannot be given to another process meanwhile, so a late SIGKILL never reaches a stranger.
"""

from __future__ import annotations

import enum
import os
import select
import signal
import subprocess
import threading
import time

# Seconds between SIGTERM and SIGKILL. A tool that honours SIGTERM uses them to end cleanly (pg_dump closes
# its connection so the server ends the backend, tar and xorriso remove what they were writing, a step's
# shell runs its trap); one that ignores it holds up the operator's cancel, or the console's quit, no
# longer than this.
GRACE = 5.0
# The console's run worker is such a child with children of its own: on SIGTERM it stops its tools with
# GRACE, then records the run cancelled and removes its temporary files. It gets time for all of that:
# a SIGKILL in the middle would leave the run for the next one to mark interrupted.
NESTED_GRACE = 3 * GRACE
POLL = 0.05  # seconds between looks at the cancel event, the deadline and a stopping group


class Ending(enum.Enum):
    EXITED = "exited"  # the children ended by themselves, whatever their status
    CANCELLED = "cancelled"
    TIMED_OUT = "timed out"


class Stopped(RuntimeError):
    """start() after a stop: whoever stopped these children wants no more of them."""


class Children:
    """Processes started and stopped together: one command, or a pipeline's stages. Thread-safe: a reader
    thread, a watcher thread and the UI's thread may each call stop() or terminate()."""

    def __init__(self, grace: float = GRACE):
        self.grace = grace
        self.procs: list[subprocess.Popen] = []
        self._groups: list[int] = []
        self._pidfds: dict[int, int] = {}  # a leader's pid → a descriptor that polls readable when it ends
        self._lock = threading.Lock()
        self._termed_at: float | None = None
        self._stopped = False

    def start(self, argv: list[str], *, pass_fds: tuple[int, ...] = (), **popen) -> subprocess.Popen:
        """Start `argv` in a session of its own; `pass_fds` are kept open in it (the caller closes its own
        ends), `popen` are subprocess.Popen's other arguments (stdin, stdout, stderr, env, cwd)."""
        with self._lock:
            if self._stopped:
                raise Stopped("these children were stopped: none is started any more")
            proc = subprocess.Popen(argv, start_new_session=True, pass_fds=pass_fds, **popen)
            self._adopt(proc, proc.pid)
            return proc

    def adopt(self, procs: list[subprocess.Popen], pgid: int) -> None:
        """Take over processes started elsewhere in the group `pgid`, to stop them as these are."""
        with self._lock:
            for proc in procs:
                self._adopt(proc, pgid)

    def _adopt(self, proc: subprocess.Popen, pgid: int) -> None:
        self.procs.append(proc)
        if pgid not in self._groups:
            self._groups.append(pgid)
        if proc.returncode is None:
            try:
                self._pidfds[proc.pid] = os.pidfd_open(proc.pid)
            except OSError:  # a kernel before 5.3: the watch polls instead of waking as the leader ends
                pass

    def wait(self, cancel: threading.Event | None = None, deadline: float | None = None) -> Ending:
        """Until every child has ended by itself (what it left running in its group is then stopped), or
        `cancel` is set, or time.monotonic() passes `deadline` (then all are stopped); all are reaped."""
        while True:
            running = [p for p in self.procs if not _ended(p)]
            if not running:
                self.stop()
                return Ending.EXITED
            if cancel is not None and cancel.is_set():
                self.stop()
                return Ending.CANCELLED
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                self.stop()
                return Ending.TIMED_OUT
            timeout = POLL if deadline is None else max(0.0, min(POLL, deadline - now))
            self._nap(running, timeout)

    def watch(self, cancel: threading.Event | None = None, deadline: float | None = None) -> Watch:
        """wait() in a thread of its own, for a caller whose thread reads the children's output meanwhile."""
        return Watch(self, cancel, deadline)

    def terminate(self) -> None:
        """SIGTERM to every group now, without waiting; a stop() after counts the grace from here. Never
        blocks: if another thread is starting or stopping these children, that one sees to them."""
        if self._lock.acquire(blocking=False):
            try:
                self._term(self._alive())
            finally:
                self._lock.release()

    def stop(self) -> None:
        """SIGTERM, the grace, SIGKILL, and reap. Returns at once if nothing of the groups runs any more."""
        with self._lock:
            self._stopped = True
            alive = self._alive()
            if alive:
                self._term(alive)
                self._await_groups(self._termed_at + self.grace)
                alive = self._alive()
            if alive:
                _signal(alive, signal.SIGKILL)
                # SIGKILL cannot be caught: only a process stuck in the kernel (a dead disk, an NFS server
                # gone) outlives it, and the caller is not held by one for ever.
                self._await_groups(time.monotonic() + self.grace)
            for proc in self.procs:
                if proc.poll() is not None and proc.pid in self._pidfds:
                    os.close(self._pidfds.pop(proc.pid))

    def _term(self, alive: set[int]) -> None:
        if alive and self._termed_at is None:
            self._termed_at = time.monotonic()
            _signal(alive, signal.SIGTERM)

    def _alive(self) -> set[int]:
        return groups_alive(set(self._groups))

    def _await_groups(self, until: float) -> None:
        while self._alive() and time.monotonic() < until:
            time.sleep(POLL)

    def _nap(self, running: list[subprocess.Popen], timeout: float) -> None:
        """Sleep up to `timeout`, waking as soon as one of `running` ends."""
        poller = select.poll()
        for proc in running:
            fd = self._pidfds.get(proc.pid)
            if fd is not None:
                poller.register(fd, select.POLLIN)
        poller.poll(timeout * 1000)


class Watch:
    """Children.wait() in a daemon thread; result() joins it and gives its Ending."""

    def __init__(self, children: Children, cancel: threading.Event | None, deadline: float | None):
        self._ending: Ending | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(children, cancel, deadline), daemon=True,
                                        name="supervisor")
        self._thread.start()

    def _run(self, children: Children, cancel, deadline) -> None:
        try:
            self._ending = children.wait(cancel, deadline)
        except BaseException as exc:  # the caller's, at result(): not lost in a thread
            self._error = exc

    def result(self) -> Ending:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._ending


def run(argv: list[str], *, cancel: threading.Event | None = None, deadline: float | None = None,
        grace: float = GRACE, **popen) -> tuple[Ending, int | None]:
    """One child, waited for: how it ended and its status (negative: the signal that ended it)."""
    children = Children(grace)
    proc = children.start(argv, **popen)
    try:
        ending = children.wait(cancel, deadline)
    except BaseException:  # an interrupt in the wait: the child does not outlive it
        children.stop()
        raise
    return ending, proc.returncode


def groups_alive(pgids: set[int]) -> set[int]:
    """Which of the process groups `pgids` still hold a running process (a zombie has ended: only its
    parent's wait is missing), read from /proc."""
    alive: set[int] = set()
    if not pgids:
        return alive
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:  # it ended while we looked
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so from the last ')'.
        state, _ppid, pgrp = stat[stat.rindex(b")") + 2:].split(maxsplit=3)[:3]
        if int(pgrp) in pgids and state not in (b"Z", b"X"):
            alive.add(int(pgrp))
    return alive


def _ended(proc: subprocess.Popen) -> bool:
    """Whether `proc` has ended, without reaping it (its pid keeps naming its group until stop())."""
    if proc.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # reaped already (by a stop in another thread)
        return True


def _signal(pgids: set[int], sig: int) -> None:
    for pgid in pgids:
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):  # gone, or only processes we may not signal (sudo)
            pass
