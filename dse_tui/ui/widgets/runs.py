"""Backups running from the console: one row each with a progress bar, bytes, rate, elapsed and ETA.

Each run is a thread worker that relays a child process (core/engine/worker.py), started and stopped by
core's supervisor: the run reports progress and log lines as JSON, and SIGTERM makes it stop its tools and
record the run cancelled. From the thread only post_message is used.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass, field

import humanize
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.message import Message
from textual.widgets import Label

from dse_tui.core.profile.model import Profile, Repository
from dse_tui.core.engine.outcome import RunOutcome, RunProgress
from dse_tui.core.engine.supervisor import NESTED_GRACE, Children, Stopped
from dse_tui.i18n import tr
from dse_tui.ui.workers import ReportsWorkerFailures

LOG_LINES = 2000


@dataclass
class ActiveRun:
    repo: Repository
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: RunProgress | None = None
    log: deque = field(default_factory=lambda: deque(maxlen=LOG_LINES))
    queued: bool = True
    # The run's process. A SIGKILL after the grace leaves the run for the next one of the repository to
    # mark failed; the grace lets it stop its own tools and record the run cancelled first.
    children: Children = field(default_factory=lambda: Children(grace=NESTED_GRACE))


class Progressed(Message):
    def __init__(self, progress: RunProgress):
        super().__init__()
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        # Bursts of progress for one run collapse into the latest: the UI never falls behind.
        return isinstance(message, Progressed) and message.progress.repository == self.progress.repository


class Logged(Message):
    def __init__(self, repository: str, line: str):
        super().__init__()
        self.repository, self.line = repository, line


class Started(Message):
    def __init__(self, repository: str):
        super().__init__()
        self.repository = repository


class RunEnded(Message):
    """Bubbles to the screen: the dashboard refreshes and says how it went."""

    def __init__(self, outcome: RunOutcome):
        super().__init__()
        self.outcome = outcome


class RunRow(Widget):
    """One line per run, drawn by one widget: progress only repaints it, never relayouts the screen
    (a ProgressBar and Labels would, ten times a second)."""

    DEFAULT_CSS = """
    RunRow { height: 1; }
    """
    BAR = 30

    def __init__(self, run: ActiveRun, lang: str):
        super().__init__(id=f"run-{run.repo.id}")
        self.run, self.lang = run, lang
        self.status = tr("runs.queued", lang)

    def show(self, status: str | None = None) -> None:
        if status is not None:
            self.status = status
        self.refresh()

    def stats(self) -> str:
        p = self.run.progress
        if p is None:
            return self.status
        rate = p.written / p.elapsed if p.elapsed > 0 else 0
        parts = [humanize.naturalsize(p.written, binary=True), f"{humanize.naturalsize(rate, binary=True)}/s",
                 _clock(p.elapsed)]
        if p.expected and rate > 0 and p.expected > p.written:
            parts.append(f"ETA {_clock((p.expected - p.written) / rate)}")
        return "  ".join(parts)

    def render(self) -> Text:
        p = self.run.progress
        line = Text(f"{self.run.repo.name[:27]:<28}")
        if p is not None and p.expected:
            done = min(1.0, p.written / max(p.expected, 1))
            filled = int(done * self.BAR)
            line.append("━" * filled, style="green")
            line.append("━" * (self.BAR - filled), style="grey23")
            line.append(f" {done:4.0%}  ")
        elif p is not None:
            # No size to expect (a first run): a moving marker says it is alive.
            pos = int(p.elapsed * 8) % self.BAR
            line.append("━" * pos, style="grey23")
            line.append("━━━", style="green")
            line.append("━" * max(0, self.BAR - pos - 3), style="grey23")
            line.append("        ")
        else:
            line.append(" " * (self.BAR + 8))
        line.append(self.stats(), style="dim")
        return line


def _message(line: bytes) -> dict | None:
    """A line of the run child's JSON, or None when the line is something else."""
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class RunsPanel(ReportsWorkerFailures, Vertical):
    DEFAULT_CSS = """
    RunsPanel { height: auto; max-height: 10; border-top: hkey $primary-background; display: none; }
    RunsPanel.-active { display: block; }
    RunsPanel #runs-title { text-style: bold; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.active: dict[str, ActiveRun] = {}
        self.logs: dict[str, deque] = {}  # the last run's output of each repository, for the log view
        self.lang = "en"
        self._profile: Profile | None = None
        self._operator: str | None = None

    def compose(self) -> ComposeResult:
        yield Label(id="runs-title")

    def is_running(self, repo_id: str) -> bool:
        return repo_id in self.active

    def start(self, profile: Profile, repo: Repository, operator: str | None = None) -> bool:
        """Queue a run; at most `parallel` of them go at once, the rest wait their turn (in order)."""
        if repo.id in self.active:
            return False
        self._profile, self._operator = profile, operator
        run = ActiveRun(repo)
        self.active[repo.id] = run
        self.logs[repo.id] = run.log
        self.mount(RunRow(run, self.lang))
        self._retitle()
        self._launch()
        return True

    def _launch(self) -> None:
        # Workers only for the runs that may go now: "run all due" on a big site queues, it does not start
        # a thread per repository.
        going = sum(1 for r in self.active.values() if not r.queued)
        for run in self.active.values():
            if going >= self._profile.parallel:
                break
            if run.queued and not run.cancel.is_set():
                run.queued = False
                going += 1
                self._work(self._profile, run, self._operator)

    def cancel(self, repo_id: str) -> bool:
        run = self.active.get(repo_id)
        if run is None:
            return False
        run.cancel.set()
        if run.queued:  # never started: nothing to stop, nothing recorded
            self.post_message(RunEnded(RunOutcome(repo_id, None, "cancelled", message="cancelled before it started")))
        return True

    def cancel_all(self) -> None:
        for run in self.active.values():
            run.cancel.set()
            run.children.terminate()  # at once: the relay thread may not get another turn

    def on_unmount(self) -> None:
        # Leaving (quit, reload): every run is stopped and recorded cancelled before the console goes. All
        # were sent SIGTERM together: the grace runs for them at once, not one after the other.
        self.cancel_all()
        for run in list(self.active.values()):
            run.children.stop()

    @work(thread=True, group="runs", exit_on_error=False)
    def _work(self, profile: Profile, run: ActiveRun, operator: str | None) -> None:
        self.post_message(Started(run.repo.id))
        try:
            outcome = self._run_in_child(profile, run, operator)
        except Exception as exc:  # a bug in the relay: the row is settled all the same, and the error said
            run.children.stop()  # nothing follows it now: stopped, not orphaned
            outcome = RunOutcome(run.repo.id, None, "failed", message=f"the console lost track of the run: {exc!r}")
        self.post_message(RunEnded(outcome))

    def _run_in_child(self, profile: Profile, run: ActiveRun, operator: str | None) -> RunOutcome:
        """The run in a process of its own (see core/engine/worker.py); this thread only relays its lines."""
        argv = [sys.executable, "-m", "dse_tui.core.engine.worker", str(profile.file), run.repo.id]
        if shutil.which("ionice"):  # the lowest best-effort I/O priority: the console's reads come first
            argv = ["ionice", "-c", "2", "-n", "7", *argv]
        argv += ["--operator", operator] if operator else []
        try:
            child = run.children.start(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       stdin=subprocess.DEVNULL)
        except OSError as exc:
            return RunOutcome(run.repo.id, None, "failed", message=f"cannot start the run: {exc}")
        except Stopped:  # the console was leaving as this run's turn came
            return RunOutcome(run.repo.id, None, "cancelled", message="cancelled before it started")
        # On cancel the supervisor sends the child SIGTERM: it stops its tools and records the run cancelled.
        watch = run.children.watch(run.cancel)
        outcome = None
        fd = child.stdout.fileno()
        buffer = b""
        try:
            while chunk := os.read(fd, 65536):
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    message = _message(line)
                    if message is None:  # not the child's JSON (a library's stray print): kept in the log
                        if line.strip():
                            self.post_message(Logged(run.repo.id, line.decode(errors="replace")))
                    elif "progress" in message:
                        self.post_message(Progressed(RunProgress(**message["progress"])))
                    elif "log" in message:
                        self.post_message(Logged(run.repo.id, message["log"]))
                    elif "outcome" in message:
                        outcome = RunOutcome(**message["outcome"])
        except BaseException:  # the relay failed: the run does not outlive it
            run.children.stop()
            raise
        watch.result()
        if outcome is None:
            error = child.stderr.read().decode(errors="replace").strip().splitlines()
            outcome = RunOutcome(run.repo.id, None, "failed",
                                 message=f"the run stopped unexpectedly: {error[-1] if error else child.returncode}")
        child.stderr.close()
        child.stdout.close()
        return outcome

    def on_started(self, message: Started) -> None:
        run = self.active.get(message.repository)
        if run:
            self.query_one(f"#run-{message.repository}", RunRow).show(tr("runs.starting", self.lang))

    def on_progressed(self, message: Progressed) -> None:
        run = self.active.get(message.progress.repository)
        if run:
            run.progress = message.progress
            self.query_one(f"#run-{run.repo.id}", RunRow).show()

    def on_logged(self, message: Logged) -> None:
        self.logs.setdefault(message.repository, deque(maxlen=LOG_LINES)).append(message.line)
        for view in self.app.screen.query("RunLogView"):
            view.add_line(message.repository, message.line)

    def on_run_ended(self, message: RunEnded) -> None:
        repo_id = message.outcome.repository
        self.active.pop(repo_id, None)
        for row in self.query(f"#run-{repo_id}"):
            row.remove()
        self._retitle()  # the message goes on bubbling to the screen
        if self._profile is not None:
            self._launch()

    def _retitle(self) -> None:
        self.set_class(bool(self.active), "-active")
        if self.active:
            self.query_one("#runs-title", Label).update(
                Text(tr("runs.title", self.lang, n=len(self.active)), style="bold"))
