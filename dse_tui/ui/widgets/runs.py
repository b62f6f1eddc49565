"""Backups running from the console: one row each with the run's phase and that phase's progress bar,
bytes, rate and ETA.

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
from typing import TYPE_CHECKING

import humanize
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.message import Message
from textual.widgets import Label

from dse_tui.core.profile.model import Profile, Repository
from dse_tui.i18n import tr
from dse_tui.ui.workers import ReportsWorkerFailures

if TYPE_CHECKING:  # imported where a run starts or ends: the dashboard's first frame has no run (~2 ms)
    from dse_tui.core.engine.outcome import RunOutcome, RunProgress
    from dse_tui.core.engine.supervisor import Children

LOG_LINES = 2000
WORKER = "dse_tui.core.engine.worker"  # the module each run's process runs


def _children() -> Children:
    from dse_tui.core.engine.supervisor import NESTED_GRACE, Children

    return Children(grace=NESTED_GRACE)


@dataclass
class ActiveRun:
    repo: Repository
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: RunProgress | None = None
    log: deque = field(default_factory=lambda: deque(maxlen=LOG_LINES))
    queued: bool = True
    # The run's process. A SIGKILL after the grace leaves the run for the next one of the repository to
    # mark failed; the grace lets it stop its own tools and record the run cancelled first.
    children: Children = field(default_factory=_children)


class Progressed(Message):
    def __init__(self, progress: RunProgress):
        super().__init__()
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        # Bursts of progress for one run collapse into the latest: the UI never falls behind. Not across
        # phases: each phase is seen, however short.
        if not isinstance(message, Progressed):
            return False
        mine, theirs = self.progress, message.progress
        return (mine.repository, mine.phase, mine.destination) == (theirs.repository, theirs.phase, theirs.destination)


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
    (a ProgressBar and Labels would, ten times a second). The line says the run's phase (backing up,
    reading back, verifying, copying to a destination), with that phase's own bar, bytes, rate and ETA."""

    DEFAULT_CSS = """
    RunRow { height: 1; }
    """
    BAR, MIN_BAR = 30, 8
    NAME, PHASE = 24, 22  # columns for the repository's name and the phase, cut to fit

    def __init__(self, run: ActiveRun, lang: str):
        super().__init__(id=f"run-{run.repo.id}")
        self.run, self.lang = run, lang
        self.status = tr("runs.queued", lang)

    def show(self, status: str | None = None) -> None:
        if status is not None:
            self.status = status
        self.refresh()

    def phase_text(self) -> str:
        p = self.run.progress
        if p is None:
            return ""
        return tr(f"runs.phase.{p.phase}", self.lang, destination=p.destination or "")

    def render(self) -> Text:
        p = self.run.progress
        width = self.size.width or 200  # not laid out yet: as on a wide terminal
        name_width, phase_width = min(self.NAME, width // 5), min(self.PHASE, width // 3)
        line = Text(_cut(self.run.repo.name, name_width))
        if p is None:
            line.append(self.status, style="dim")
            return line
        line.append(_cut(self.phase_text(), phase_width), style="bold cyan")
        done = p.fraction()
        eta = p.eta()
        figures = {"done": humanize.naturalsize(p.done, binary=True)
                   + (f" / {humanize.naturalsize(p.total, binary=True)}" if p.total else ""),
                   "rate": f"{humanize.naturalsize(p.rate(), binary=True)}/s", "elapsed": _clock(p.elapsed)}
        # The percentage and the ETA always; then, as the width allows and in this order, the bytes, the
        # bar, the rate and the run's elapsed time; what is left widens the bar.
        room = width - name_width - phase_width - 6 - (len(f"ETA {_clock(eta)}") + 2 if eta is not None else 0)
        shown, bar = set(), 0
        for item in ("done", "bar", "rate", "elapsed"):
            need = self.MIN_BAR + 1 if item == "bar" else len(figures[item]) + 2
            if need > room:
                break
            room -= need
            if item == "bar":
                bar = self.MIN_BAR
            else:
                shown.add(item)
        if bar:
            bar = min(self.BAR, bar + room)
        if bar and done is not None:
            filled = int(done * bar)
            line.append("━" * filled, style="green")
            line.append("━" * (bar - filled), style="grey23")
            line.append(" ")
        elif bar:
            # Nothing to measure against (a first run, a first verification): a moving marker says it is alive.
            pos = int(p.phase_elapsed * 8) % bar
            line.append("━" * pos, style="grey23")
            line.append("━━━"[:bar - pos], style="green")
            line.append("━" * max(0, bar - pos - 3), style="grey23")
            line.append(" ")
        line.append(f"{done:4.0%}  " if done is not None else "      ")
        line.append("  ".join([figures[item] for item in ("done", "rate", "elapsed") if item in shown]
                              + ([f"ETA {_clock(eta)}"] if eta is not None else [])), style="dim")
        return line


def _cut(text: str, width: int) -> str:
    """`text` in `width` columns and a space after it: cut with an ellipsis when it is longer."""
    return f"{text[:width - 2].rstrip() + '…' if len(text) > width - 1 else text:<{width}}"


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
            from dse_tui.core.engine.outcome import RunOutcome

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
        from dse_tui.core.engine.outcome import RunOutcome

        self.post_message(Started(run.repo.id))
        try:
            outcome = self._run_in_child(profile, run, operator)
        except Exception as exc:  # a bug in the relay: the row is settled all the same, and the error said
            run.children.stop()  # nothing follows it now: stopped, not orphaned
            outcome = RunOutcome(run.repo.id, None, "failed", message=f"the console lost track of the run: {exc!r}")
        self.post_message(RunEnded(outcome))

    def _run_in_child(self, profile: Profile, run: ActiveRun, operator: str | None) -> RunOutcome:
        """The run in a process of its own (see core/engine/worker.py); this thread only relays its lines."""
        from dse_tui.core.engine.outcome import RunOutcome, RunProgress
        from dse_tui.core.engine.supervisor import Stopped

        argv = [sys.executable, "-m", WORKER, str(profile.file), run.repo.id]
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
        # Only the log screen shows the lines as they come: elsewhere a line costs no query of the screen's
        # widgets (a backup logs many, and each query walked the whole screen on the event loop).
        screen = self.app.screen
        if type(screen).__name__ == "RunLogScreen":
            for view in screen.query("RunLogView"):
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
