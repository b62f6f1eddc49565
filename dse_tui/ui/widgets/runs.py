"""Backups running from the console: one row each with a progress bar, bytes, rate, elapsed and ETA.

Each run is a thread worker; the core gets a cancel event and a progress callback, and stops its child
processes (the whole process group) when cancelled. From the thread only post_message is used.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

import humanize
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label, ProgressBar, Static

from dse_tui.core.config import Profile, Repository
from dse_tui.core.runner import RunOutcome, RunProgress, run_repository
from dse_tui.i18n import tr

LOG_LINES = 2000


@dataclass
class ActiveRun:
    repo: Repository
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: RunProgress | None = None
    log: deque = field(default_factory=lambda: deque(maxlen=LOG_LINES))
    queued: bool = True


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


class RunRow(Horizontal):
    DEFAULT_CSS = """
    RunRow { height: 1; }
    RunRow .name { width: 28; }
    RunRow ProgressBar { width: 44; }
    RunRow .stats { width: 1fr; color: $text-muted; }
    """

    def __init__(self, run: ActiveRun, lang: str):
        super().__init__(id=f"run-{run.repo.id}")
        self.run, self.lang = run, lang

    def compose(self) -> ComposeResult:
        yield Label(self.run.repo.name[:27], classes="name")
        yield ProgressBar(total=None, show_eta=False, show_percentage=True)
        yield Static(tr("runs.queued", self.lang), classes="stats")

    def show(self) -> None:
        p = self.run.progress
        if p is None:
            return
        bar = self.query_one(ProgressBar)
        if p.expected and bar.total != max(p.expected, p.written):
            bar.total = max(p.expected, p.written)  # a run bigger than the last one must not overflow
        bar.progress = p.written
        rate = p.written / p.elapsed if p.elapsed > 0 else 0
        parts = [humanize.naturalsize(p.written, binary=True), f"{humanize.naturalsize(rate, binary=True)}/s",
                 _clock(p.elapsed)]
        if p.expected and rate > 0 and p.expected > p.written:
            parts.append(f"ETA {_clock((p.expected - p.written) / rate)}")
        self.query_one(".stats", Static).update("  ".join(parts))


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class RunsPanel(Vertical):
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
        self._slots: threading.Semaphore | None = None

    def compose(self) -> ComposeResult:
        yield Label(id="runs-title")

    def is_running(self, repo_id: str) -> bool:
        return repo_id in self.active

    def start(self, profile: Profile, repo: Repository, operator: str | None = None) -> bool:
        if repo.id in self.active:
            return False
        if self._slots is None:
            self._slots = threading.Semaphore(profile.parallel)  # runs of the console, at most `parallel`
        run = ActiveRun(repo)
        self.active[repo.id] = run
        self.logs[repo.id] = run.log
        self.mount(RunRow(run, self.lang))
        self._retitle()
        self._work(profile, run, operator)
        return True

    def cancel(self, repo_id: str) -> bool:
        run = self.active.get(repo_id)
        if run is None:
            return False
        run.cancel.set()
        return True

    def cancel_all(self) -> None:
        for run in self.active.values():
            run.cancel.set()

    def on_unmount(self) -> None:
        self.cancel_all()  # leaving (quit, reload): the threads stop their tools and end

    @work(thread=True, group="runs", exit_on_error=False)
    def _work(self, profile: Profile, run: ActiveRun, operator: str | None) -> None:
        with self._slots:
            if run.cancel.is_set():
                outcome = RunOutcome(run.repo.id, None, "cancelled", message="cancelled before it started")
            else:
                self.post_message(Started(run.repo.id))
                outcome = run_repository(
                    profile, run.repo, trigger="console", operator=operator, cancel=run.cancel,
                    on_progress=lambda p: self.post_message(Progressed(p)),
                    log=lambda line: self.post_message(Logged(run.repo.id, line)))
        self.post_message(RunEnded(outcome))

    def on_started(self, message: Started) -> None:
        run = self.active.get(message.repository)
        if run:
            run.queued = False
            self.query_one(f"#run-{message.repository} .stats", Static).update(tr("runs.starting", self.lang))

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

    def _retitle(self) -> None:
        self.set_class(bool(self.active), "-active")
        if self.active:
            self.query_one("#runs-title", Label).update(
                Text(tr("runs.title", self.lang, n=len(self.active)), style="bold"))
