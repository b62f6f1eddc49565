"""Copying a repository's latest good run onto its destinations from the console: one line per
destination with its progress, `x` to cancel, each copy's outcome (read back, media made) at the end."""

from __future__ import annotations

import threading
import time

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from dse_tui.core.catalog import Catalog
from dse_tui.core.common.fmt import size
from dse_tui.i18n import tr
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandModal
from dse_tui.ui.widgets.footer import ConsoleFooter

PROGRESS_EVERY = 0.1
MARKS = {"verified": "[green]✓[/]", "skipped": "[dim]=[/]", "failed": "[bold red]✗[/]", "cancelled": "[yellow]–[/]"}


class CopyScreen(CommandModal):
    DEFAULT_CSS = """
    CopyScreen { align: center middle; }
    CopyScreen > Vertical { width: 110; height: auto; max-height: 90%; border: thick $primary;
                            background: $surface; padding: 1 2; }
    CopyScreen #lines { height: auto; margin-top: 1; }
    """
    COMMAND_TABLE = (Command("cancel", "x", "cancel", text="scmd.cancel"),
                     Command("label", "l", "label", text="media.key.label"),
                     Command("close", "escape", "close", text="scmd.back"))

    def __init__(self, repo, lang: str):
        super().__init__()
        self.repo, self.lang = repo, lang
        self.cancel_event = threading.Event()
        self.busy = True
        self.lines: dict[str, str] = {d: tr("copy.waiting", lang) for d in repo.destinations}
        self.new_media: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{escape(tr('copy.title', self.lang, name=self.repo.name))}[/b]", id="heading")
            yield Static(id="lines")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.show()
        self._copy()

    def why_not(self, action: str) -> str | None:
        if action == "cancel" and not self.busy:
            return tr("why.copies_done", self.lang)
        if action == "label" and self.busy:
            return tr("why.copying", self.lang)
        if action == "label" and not self.new_media:
            return tr("why.no_new_media", self.lang)
        return None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group == "copy":  # said by the app (ui/workers.py)
            self._done(None, str(event.worker.error))

    def action_label(self) -> None:
        """Step 4.4.1: the media the copies just made, labelled."""
        from dse_tui.ui.screens.label_screen import LabelScreen

        self.app.push_screen(LabelScreen(self.new_media, self.lang))

    def show(self) -> None:
        self.query_one("#lines", Static).update(
            "\n".join(f"{escape(d):<16} {line}" for d, line in self.lines.items()) or tr("copy.none", self.lang))

    def action_cancel(self) -> None:
        self.cancel_event.set()

    def action_close(self) -> None:
        if self.busy:
            self.notify(tr("runs.busy", self.lang), severity="warning")
            return
        self.dismiss()

    @work(thread=True, exclusive=True, group="copy", exit_on_error=False)
    def _copy(self) -> None:
        from dse_tui.core.destinations.copies import copy_pending, latest_good

        last = [0.0]

        def progress(dest: str, n: int) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY:
                last[0] = now
                self.app.call_from_thread(self._progress, dest, n)

        error = None
        outcomes = None
        nothing = "copy.no_run"
        try:
            with Catalog(self.app.profile.catalog_path) as catalog:
                run = latest_good(catalog, self.repo.id)
                if run is not None:
                    outcomes = copy_pending(self.app.profile, catalog, [self.repo.id], cancel=self.cancel_event,
                                            on_bytes=progress)
                elif catalog.has_good_run(self.repo.id):
                    nothing = "copy.all_pruned"  # good runs there are, none with its folder here: not "yet"
        except Exception as exc:  # the catalog locked, a bug: said on the screen, never the end of the console
            error = str(exc) or repr(exc)
        self.app.call_from_thread(self._done, outcomes, error, nothing)

    def _progress(self, dest: str, n: int) -> None:
        self.lines[dest] = tr("copy.copying", self.lang, done=size(n))
        self.show()

    def _done(self, outcomes, error: str | None = None, nothing: str = "copy.no_run") -> None:
        self.busy = False
        if error is not None:
            self.lines["-"] = f"[bold red]✗[/] {escape(error)}"
        elif outcomes is None:
            self.lines = {"-": tr(nothing, self.lang)}
        for o in outcomes or []:
            detail = {"verified": o.path or "", "skipped": ""}.get(o.state, o.message or "")
            media = f" [{', '.join(o.media)}]" if o.media else ""
            self.lines[o.destination] = f"{MARKS.get(o.state, '')} {tr('copy.state.' + o.state, self.lang)} " \
                                        f"{escape(detail)}{escape(media)}"
        for dest, line in self.lines.items():
            if line == tr("copy.waiting", self.lang):  # never reached: cancelled before it
                self.lines[dest] = tr("copy.state.cancelled", self.lang)
        self.show()
        self.refresh_bindings()
        self.app.refresh_statuses()
        self.new_media = [code for o in outcomes or [] if o.state == "verified" for code in o.media]
        self.refresh_bindings()
        if self.new_media:
            self.notify(tr("label.offer", self.lang), timeout=10)
        bad = ([None] if error else []) + [o for o in outcomes or [] if o.state not in ("verified", "skipped")]
        self.notify(tr("copy.done_bad" if bad else "copy.done", self.lang, n=len(bad)),
                    severity="error" if bad else "information", timeout=10)
