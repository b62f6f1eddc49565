"""A screen's work in a thread (a verification, a restore) with its line and bar (#work) and its cancel (x):
the runs screen and a run's contents restore through the same worker."""

from __future__ import annotations

import threading
import time

from rich.markup import escape
from textual import work
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar
from textual.worker import Worker, WorkerState

from dse_tui.core.catalog import Catalog
from dse_tui.i18n import tr

WORK_CSS = """
{name} #work {{ height: auto; padding: 0 1; }}
{name} #work ProgressBar {{ width: 40; }}
"""
WORK_GROUPS = ("runs-screen", "restore-work")
SAID_EVERY = 0.1  # seconds between the restore's lines shown


class RestoreWork:
    """Needs `self.lang`; the screen composes compose_work() and calls after_work() (reload what changed)."""

    busy: str | None = None  # "verify" | "restore" while a worker runs
    cancel_event: threading.Event | None = None

    def compose_work(self):
        with Horizontal(id="work"):
            yield Label(id="work-label")
            yield ProgressBar(id="work-progress", total=None)

    def after_work(self) -> None:
        pass

    def _start(self, busy: str, label: str) -> None:
        self.busy = busy
        self.cancel_event = threading.Event()
        self.query_one("#work").display = True
        self.query_one("#work-label", Label).update(label)
        self.query_one("#work-progress", ProgressBar).update(total=None, progress=0)  # the last work's figures gone
        self.refresh_bindings()

    def _stop(self) -> None:
        self.busy = None
        self.cancel_event = None
        self.query_one("#work").display = False
        self.after_work()
        self.refresh_bindings()

    def action_cancel(self) -> None:
        if self.cancel_event is not None:
            self.cancel_event.set()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The app says what failed (ui/workers.py); this screen stops being busy, so it can be left or retried.
        if event.state is WorkerState.ERROR and event.worker.group in WORK_GROUPS:
            self._stop()

    def begin_restore(self, answer) -> None:
        """The restore dialog's answer (plan, force, confirm, keyring), or None."""
        if answer and self.busy is None:
            self._start("restore", escape(tr("restore.will", self.lang, what=answer[0].describe())))
            self._restore(*answer)

    @work(thread=True, exclusive=True, group="restore-work", exit_on_error=False)
    def _restore(self, plan, force: bool, confirm: str | None, keyring=None) -> None:
        from dse_tui.core.restore.run import restore

        last = [0.0]

        def said(line: str) -> None:  # what the restore is doing, on the work line
            now = time.monotonic()
            if now - last[0] >= SAID_EVERY:
                last[0] = now
                self.app.call_from_thread(self._restore_said, line)

        with Catalog(self.app.profile.catalog_path) as catalog:
            try:
                outcome = restore(self.app.profile, catalog, plan, force=force, confirm=confirm,
                                  cancel=self.cancel_event, keyring=keyring, log=said)
                message = outcome.message
                done = outcome.outcome == "done"
            except Exception as exc:  # RestoreError says what to do; anything else must not end the console
                done, message = False, str(exc)
        self.app.call_from_thread(self._restored, plan.target, done, message)

    def _restore_said(self, line: str) -> None:
        if self.busy == "restore":
            self.query_one("#work-label", Label).update(escape(line[:160]))

    def _restored(self, target: str, done: bool, message: str | None) -> None:
        self._stop()
        if done:
            self.notify(tr("runs.restore.done", self.lang, target=target), timeout=10)
        else:
            self.notify(tr("runs.restore.failed", self.lang, message=message), severity="error", timeout=15)
