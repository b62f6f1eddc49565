"""Running a checklist step's command for the operator: its output captured as it comes, saved into the
session as it grows (a closed terminal loses none of it), cancellable, its exit status recorded."""

from __future__ import annotations

import codecs
import os
import select
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable

from dse_tui.core import drivers
from dse_tui.core.sessions.machine import Session, SessionError

SAVE_EVERY = 1.0  # seconds between saves of a running command's output
KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL on cancel


def command_env(repo) -> dict[str, str]:
    """The environment of a step's command: the repository's connection settings and password as the
    database tools read them (PG*, MYSQL_PWD), so that no password is ever written in the command."""
    return {**os.environ, **drivers.get(repo.driver).command_env(repo)}


def run_step_command(session: Session, step_id: str, repo, *, storage_root: Path,
                     on_output: Callable[[str], None] | None = None, cancel: threading.Event | None = None) -> int:
    """Run the step's command with bash in the session's folder; returns its exit status (negative: the
    signal that ended it). The output is saved into the session while it runs and at the end. While it
    runs, a lock under `storage_root` tells others this process is alive (catalog_steps)."""
    step = session.step(step_id)
    if not step.command:
        raise SessionError(f"step '{step_id}' has no command")
    if not session.is_open:
        raise SessionError(f"session {session.id} is {session.row.state}: its commands cannot run again")
    try:
        lock = session.catalog.begin_step(storage_root)
    except OSError as exc:
        raise SessionError(str(exc)) from None
    with lock:
        return _run_locked(session, step, repo, lock.mark, on_output, cancel or threading.Event())


def _run_locked(session: Session, step, repo, mark: str, on_output, cancel: threading.Event) -> int:
    step_id = step.id
    cwd = session.row.workdir if session.row.workdir and os.path.isdir(session.row.workdir) else None
    header = f"$ {step.command}\n"
    chunks = [header]

    def show(text: str) -> None:
        if on_output is not None:
            try:
                on_output(text)
            except Exception:  # the screen is gone (the console quit): the record must still be completed
                pass

    show(header)
    session.record_output(step_id, header, None, final=False, lock=mark)
    try:
        proc = subprocess.Popen(["bash", "-c", step.command], cwd=cwd, env=command_env(repo),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
    except OSError as exc:
        message = f"cannot start bash: {exc.strerror}\n"
        session.record_output(step_id, header + message, 127)
        show(message)
        return 127
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")  # a character split across reads stays whole
    read_all = False
    try:
        last_save = time.monotonic()
        killed_at = None
        fd = proc.stdout.fileno()
        while True:
            if cancel.is_set() and killed_at is None:
                killed_at = time.monotonic()
                _signal(proc, signal.SIGTERM)
                note = "\n[cancelled by the operator]\n"
                chunks.append(note)
                show(note)
            if killed_at is not None and time.monotonic() - killed_at > KILL_GRACE:
                _signal(proc, signal.SIGKILL)
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                data = os.read(fd, 65536)
                if not data:
                    break
                text = decoder.decode(data)
                chunks.append(text)
                show(text)
            if time.monotonic() - last_save > SAVE_EVERY:
                session.record_output(step_id, "".join(chunks), None, final=False)
                last_save = time.monotonic()
        chunks.append(decoder.decode(b"", final=True))
        read_all = True
    finally:
        if not read_all and proc.poll() is None:  # an error above: the command must not outlive its record
            _signal(proc, signal.SIGTERM)
            try:
                proc.wait(KILL_GRACE)
            except subprocess.TimeoutExpired:
                _signal(proc, signal.SIGKILL)
        status = proc.wait()
        proc.stdout.close()
    tail = f"\n[exit status {status}]\n" if status >= 0 else f"\n[ended by signal {-status}]\n"
    chunks.append(tail)
    show(tail)
    session.record_output(step_id, "".join(chunks), status)
    return status


def _signal(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # the whole group: a pipeline's every process
    except ProcessLookupError:
        pass
