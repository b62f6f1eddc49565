"""The dse-tui application and its factory: tests, `textual run` and the CLI build it the same way."""

from __future__ import annotations

import gc
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

from textual.app import App
from textual.reactive import reactive
from textual.screen import Screen

from dse_tui.core.catalog import Catalog, CatalogError, open_catalog
from dse_tui.core.profile.cache import load_cached
from dse_tui.core.profile.model import Profile
from dse_tui.core.profile.problems import ConfigError
from dse_tui.core.engine.hosts import interrupt_dead_runs
from dse_tui.core.engine.schedule import RepoStatus, statuses
from dse_tui.core.common.timeutil import utcnow
from dse_tui.core.common.fmt import set_language
from dse_tui.i18n import default_language, tr
from dse_tui.ui.workers import ReportsWorkerFailures, WorkerFailed

POLL_SECONDS = 1.0  # how often the catalog is asked "did anything change?" (a cheap PRAGMA)
REFRESH_SECONDS = 30.0  # ages and due times move with the clock even when the catalog does not


class DseApp(ReportsWorkerFailures, App):
    TITLE = "dse-tui"
    language: reactive[str] = reactive("en", init=False)
    statuses_version: reactive[int] = reactive(0, init=False)

    def __init__(self, profile_path: Path, *, language: str | None = None,
                 clock: Callable[[], datetime] = utcnow, poll_seconds: float = POLL_SECONDS):
        super().__init__()
        self.profile_path = Path(profile_path)
        self.forced_language = language
        self.now = clock
        self.poll_seconds = poll_seconds
        self.profile: Profile | None = None
        self.catalog: Catalog | None = None
        self.statuses: list[RepoStatus] = []
        self._data_version: int | None = None
        self._refreshed_at = 0.0
        self._resume_offered = False
        self.set_reactive(DseApp.language, language or default_language())

    def get_default_screen(self) -> Screen:
        """The console's first screen: the dashboard, or what is wrong. It is Textual's default screen, made
        as the app starts: pushed from on_mount instead, Textual's start-up batch waited for it to mount,
        and its first frame, made inside that batch, was dropped unseen (the one shown came a layout and a
        render later)."""
        # What the imports made (Textual, the project: ~40,000 objects, no garbage among them) lives as long
        # as the process: out of the collector's sight, the start-up's allocations (the profile, the
        # statuses, the widgets) no longer set off a full collection over all of it (~12 ms, at 1,000
        # repositories, before the first frame).
        gc.freeze()
        screen = self._first_screen(start=True)
        screen.add_class(*breakpoint_classes(self, screen))
        # What push_screen would do and Textual's default screen goes without: its CSS_PATH read, and the
        # result callback that reload's switch_screen takes back. (Private API: Textual is pinned.)
        self._load_screen_css(screen)
        screen._push_result_callback(self, None)
        return screen

    def on_mount(self) -> None:
        if self.catalog is not None:
            self.call_after_refresh(self.offer_resume)
        self.set_interval(self.poll_seconds, self._poll)
        # Everything built so far lives as long as the console: out of the collector's sight, the full
        # collections that progress messages trigger stay short (they showed as 100-180 ms keypresses).
        self.call_after_refresh(gc.freeze)

    def reload(self) -> None:
        """Read the profile and open the catalog again; show the dashboard or what is wrong."""
        if self.catalog is not None:
            self.catalog.close()
            self.catalog = None
        self.switch_screen(self._first_screen())
        if self.catalog is not None:
            self.call_after_refresh(self.offer_resume)

    def _first_screen(self, start: bool = False) -> Screen:
        """The dashboard with the statuses computed, or a ProblemScreen saying what is wrong."""
        from dse_tui.ui.screens.dashboard import DashboardScreen

        screen = self._open()
        if screen is None:
            if not self.forced_language and self.profile.site.language:
                if start:  # before the app is mounted: its watchers run when it is (watch_language here)
                    self.set_reactive(DseApp.language, self.profile.site.language)
                else:
                    self.language = self.profile.site.language
            screen = DashboardScreen()  # _open computed the statuses already
        set_language(self.language)
        return screen

    def offer_resume(self) -> None:
        """A session left open (the terminal closed, the machine stopped) is offered at once, where it was."""
        from dse_tui.ui.screens.session import SessionScreen
        from dse_tui.ui.screens.session_dialogs import ResumeDialog
        from dse_tui.i18n import tr

        left = [s for s in self.catalog.open_sessions() if s.repository in {r.id for r in self.profile.repositories}]
        if not left or self._resume_offered:
            return
        self._resume_offered = True
        row = self.catalog.session(left[0].id)
        dealt = sum(st.outcome != "pending" for st in row.step_rows.values())
        step = next((s for s in row.steps if s["id"] == row.current), row.steps[0] if row.steps else None)
        text = (step["text"].get(self.language) or step["text"]["en"]) if step else "-"
        body = tr("resume.body", self.language, id=row.id, repo=row.repository, checklist=row.checklist,
                  operator=row.operator, started=f"{row.started_at.astimezone():%Y-%m-%d %H:%M}", done=dealt,
                  total=len(row.steps), step=text)
        if len(left) > 1:
            body += " " + tr("resume.more", self.language, n=len(left) - 1,
                             repos=", ".join(s.repository for s in left[1:]))

        def answered(resume: bool | None) -> None:
            if resume:
                self.push_screen(SessionScreen(row.id, self.language))

        self.push_screen(ResumeDialog(body, self.language), answered)

    def _open(self):
        """Load profile and catalog; a ProblemScreen saying what is wrong, or None when all is well."""
        from dse_tui.ui.screens.problem import ProblemScreen

        path = self.profile_path
        if not path.exists():
            return ProblemScreen("problem.no_profile", "problem.no_profile.body", hint_key=None, file=path)
        try:
            self.profile = load_cached(path)
            if self.profile is None:  # edited, or never validated: parse and check it (YAML, schemas)
                from dse_tui.core.profile.config import load_profile

                self.profile = load_profile(path)
        except ConfigError as exc:
            return ProblemScreen("problem.title", "problem.count", [str(p) for p in exc.problems],
                                 n=len(exc.problems), file=path)
        try:
            self.catalog = open_catalog(self.profile)
            from dse_tui.core.records.audit import note_profile

            note_profile(self.catalog, self.profile)
            self.refresh_statuses()
        except (CatalogError, sqlite3.Error, ValueError, OverflowError) as exc:
            return ProblemScreen("catalog.error", "catalog.error.body", error=exc, file=path)
        return None

    def refresh_statuses(self) -> None:
        if self.catalog is None or self.profile is None:
            return
        # A step whose process died (a console closed mid-verification, a killed cron job) stops showing
        # as running here, and is recorded as interrupted.
        self.catalog.interrupt_dead_steps()
        interrupt_dead_runs(self.catalog)  # this host's killed at once, another's once its lease expired
        self._data_version = self.catalog.data_version()
        self._refreshed_at = time.monotonic()
        self.statuses = statuses(self.profile, self.catalog, self.now())
        self.statuses_version += 1

    def _poll(self) -> None:
        if self.catalog is None:
            return
        try:
            changed = self.catalog.data_version() != self._data_version
            if changed or time.monotonic() - self._refreshed_at >= REFRESH_SECONDS:
                self.refresh_statuses()
        except sqlite3.Error as exc:  # a busy or damaged catalog: say so, try again at the next tick
            self.notify(f"{self.profile.catalog_path}: {exc}", severity="error", timeout=5)
            self._refreshed_at = time.monotonic()

    def watch_language(self, lang: str) -> None:
        set_language(lang)

    def on_worker_failed(self, message: WorkerFailed) -> None:
        """Any worker's error, said here (harlequin's way): the console goes on, and the screen that ran it
        settles its own busy state."""
        from rich.markup import escape

        worker, error = message.worker, message.worker.error
        self.log.error(worker, error)
        self.notify(escape(tr("worker.failed", self.language, what=worker.name,
                              error=f"{type(error).__name__}: {error}")), severity="error", timeout=20)

    def on_unmount(self) -> None:
        if self.catalog is not None:
            self.catalog.close()


def breakpoint_classes(app: App, screen: Screen) -> set[str]:
    """The screen's breakpoint classes (-narrow, -wide …) at the app's size, as Textual sets them on the
    screen's first Resize. That comes after the default screen's first frame: without them that frame was
    laid out for no breakpoint, and on a narrow terminal the detail pane showed, then went. Chosen by
    Screen._get_breakpoint_classes, the private method Screen._on_resize uses (re-check on an upgrade)."""
    classes = set()
    for size, own, default in ((app.size.width, screen.HORIZONTAL_BREAKPOINTS, app.HORIZONTAL_BREAKPOINTS),
                               (app.size.height, screen.VERTICAL_BREAKPOINTS, app.VERTICAL_BREAKPOINTS)):
        classes |= screen._get_breakpoint_classes(size, (default if own is None else own) or [])
    return classes


def make_app(profile_path: Path, *, language: str | None = None, clock: Callable[[], datetime] = utcnow,
             poll_seconds: float = POLL_SECONDS) -> DseApp:
    return DseApp(profile_path, language=language, clock=clock, poll_seconds=poll_seconds)


def run_tui(profile_path: Path, language: str | None = None) -> int:
    app = make_app(profile_path, language=language)
    app.run()
    return app.return_code or 0
