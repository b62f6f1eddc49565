"""The one supervisor of child processes: how a child ended, and that nothing of its group is left after."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dse_tui.core.engine.supervisor import Children, Ending, Stopped, run
from tests.conftest import wait_until

GRACE = 0.5  # short, so that a child that ignores SIGTERM costs the suite half a second
LONG = 60.0  # a grace no test waits out: ending sooner proves SIGTERM did it


def state(pid: int) -> str | None:
    """The process's state letter from /proc (Z: a zombie), or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return None
    return stat[stat.rindex(b")") + 2:].split()[0].decode()


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # Reparented to init, an ended grandchild may be a zombie until init reaps it: it runs no more.
    return state(pid) not in (None, "Z", "X")


def no_zombie_of_ours(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return True
    letter, ppid = stat[stat.rindex(b")") + 2:].split()[:2]
    return not (letter == b"Z" and int(ppid) == os.getpid())


def grandchild_script(tmp_path: Path, *, leader_ignores_term: bool, then: str = "sleep 300") -> tuple[list, Path]:
    """bash that starts a grandchild ignoring SIGTERM, tells its pid (written whole, then renamed), and
    goes on with `then`."""
    told = tmp_path / "grandchild.pid"
    script = ("trap '' TERM\n" if leader_ignores_term else "") + (
        f"(trap '' TERM; exec sleep 300) &\n"
        f"echo $! > {told}.tmp && mv {told}.tmp {told}\n"
        f"{then}\n")
    return ["bash", "-c", script], told


def test_a_child_that_ends_by_itself_is_told_with_its_status_and_reaped():
    children = Children(grace=GRACE)
    proc = children.start([sys.executable, "-c", "raise SystemExit(3)"])
    assert children.wait() is Ending.EXITED
    assert proc.returncode == 3
    assert no_zombie_of_ours(proc.pid)
    assert run(["true"], grace=GRACE) == (Ending.EXITED, 0)


def test_a_cancelled_child_that_honours_sigterm_ends_without_the_grace():
    cancel = threading.Event()
    children = Children(grace=LONG)
    proc = children.start(["sleep", "300"])
    watch = children.watch(cancel)
    cancel.set()
    started = time.monotonic()
    assert watch.result() is Ending.CANCELLED
    assert time.monotonic() - started < LONG, "it was not left to its grace"
    assert proc.returncode == -signal.SIGTERM
    assert no_zombie_of_ours(proc.pid)


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_with_its_grandchild(tmp_path):
    argv, told = grandchild_script(tmp_path, leader_ignores_term=True, then="wait")
    cancel = threading.Event()
    children = Children(grace=GRACE)
    proc = children.start(argv)
    watch = children.watch(cancel)
    grandchild = int(wait_until(lambda: told.exists() and told.read_text().strip(), what="the grandchild"))
    assert running(grandchild) and os.getpgid(grandchild) == proc.pid
    stopping = time.monotonic()
    cancel.set()
    assert watch.result() is Ending.CANCELLED
    assert time.monotonic() - stopping >= GRACE, "SIGKILL came before the grace was over"
    assert proc.returncode == -signal.SIGKILL
    # stop() returns only once the group is empty: nothing to wait for here.
    assert not running(grandchild), "the grandchild outlived its group's stop"
    assert no_zombie_of_ours(proc.pid)


def test_what_a_child_leaves_running_in_its_group_is_stopped_when_it_ends(tmp_path):
    argv, told = grandchild_script(tmp_path, leader_ignores_term=False, then="exit 0")
    ending, status = run(argv, grace=GRACE)
    assert (ending, status) == (Ending.EXITED, 0)
    assert not running(int(told.read_text())), "an orphan was left in the group"


def test_a_grandchild_that_ignores_sigterm_is_killed_though_its_parent_obeyed(tmp_path):
    argv, told = grandchild_script(tmp_path, leader_ignores_term=False)
    cancel = threading.Event()
    children = Children(grace=GRACE)
    proc = children.start(argv)
    watch = children.watch(cancel)
    grandchild = int(wait_until(lambda: told.exists() and told.read_text().strip(), what="the grandchild"))
    cancel.set()
    assert watch.result() is Ending.CANCELLED
    assert proc.returncode == -signal.SIGTERM
    assert not running(grandchild)


def test_a_deadline_stops_the_child_and_is_told_apart_from_a_cancel():
    cancel = threading.Event()
    ending, status = run(["sleep", "300"], cancel=cancel, deadline=time.monotonic() + 0.2, grace=LONG)
    assert (ending, status) == (Ending.TIMED_OUT, -signal.SIGTERM)
    assert not cancel.is_set()


def test_every_child_of_a_pipeline_is_stopped_and_none_is_started_after():
    children = Children(grace=GRACE)
    first = children.start(["sleep", "300"], stdout=subprocess.PIPE)
    second = children.start(["cat"], stdin=first.stdout, stdout=subprocess.DEVNULL)
    first.stdout.close()
    assert children.wait(deadline=time.monotonic() + 0.2) is Ending.TIMED_OUT
    assert first.returncode == -signal.SIGTERM and second.returncode is not None
    assert all(no_zombie_of_ours(p.pid) for p in (first, second))
    with pytest.raises(Stopped):
        children.start(["true"])

