"""Running a checklist step's command for the operator: its output captured as it comes, saved into the
session as it grows (a closed terminal loses none of it), cancellable, its exit status recorded."""

from __future__ import annotations

import codecs
import os
import select
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable

from dse_tui.core import drivers
from dse_tui.core.engine.supervisor import Children, Ending
from dse_tui.core.sessions.machine import Session, SessionError

SAVE_EVERY = 1.0  # seconds between saves of a running command's output
CANCELLED_NOTE = "\n[cancelled by the operator]\n"


def command_env(repo) -> dict[str, str]:
    """The environment of a step's command: the repository's connection settings and password as the
    database tools read them (PG*, MYSQL_PWD), so that no password is ever written in the command."""
    return {**os.environ, **drivers.get(repo.driver).command_env(repo)}


def run_step_command(session: Session, step_id: str, repo, *, storage_root: Path,
                     on_output: Callable[[str], None] | None = None, cancel: threading.Event | None = None) -> int:
    """Run the step's command with bash in the session's folder; returns its exit status (negative: the
    signal that ended it). The output is saved into the session while it runs and at the end. While it
    runs, a lock under `storage_root` tells others this process is alive (catalog/steps.py)."""
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

    noted: list[bool] = []

    def note_cancel() -> None:
        if not noted:
            noted.append(True)
            chunks.append(CANCELLED_NOTE)
            show(CANCELLED_NOTE)

    show(header)
    session.record_output(step_id, header, None, final=False, lock=mark)
    children = Children()
    try:
        # The whole group is stopped on cancel: a pipeline's every process, whatever bash starts.
        proc = children.start(["bash", "-c", step.command], cwd=cwd, env=command_env(repo),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as exc:
        message = f"cannot start bash: {exc.strerror}\n"
        session.record_output(step_id, header + message, 127)
        show(message)
        return 127
    watch = children.watch(cancel)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")  # a character split across reads stays whole
    read_all = False
    try:
        last_save = time.monotonic()
        fd = proc.stdout.fileno()
        while True:
            ready, _, _ = select.select([fd], [], [], 0.2)
            # The cancel is set before the supervisor sends SIGTERM: looked at before the read, the note
            # comes before whatever the command prints as it stops.
            if cancel.is_set():
                note_cancel()
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
        if not read_all:  # an error above: the command must not outlive its record
            children.stop()
        ending = watch.result()
        status = proc.wait()
        proc.stdout.close()
    if ending is Ending.CANCELLED:  # it may have ended at the SIGTERM before the loop looked
        note_cancel()
    tail = f"\n[exit status {status}]\n" if status >= 0 else f"\n[ended by signal {-status}]\n"
    chunks.append(tail)
    show(tail)
    session.record_output(step_id, "".join(chunks), status)
    return status
