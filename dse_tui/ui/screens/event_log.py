"""The event log in the console: newest first, filtered by repository and by words (action, operator,
outcome, detail), with the chain's state at the top."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Header, Input, Select, Static
from textual.worker import Worker, WorkerState

from dse_tui.core.texts import has
from dse_tui.i18n import tr
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandScreen

LIMIT = 2000
OUTCOME_STYLES = {"ok": "green", "good": "green", "passed": "green", "verified": "green", "failed": "bold red",
                  "cancelled": "yellow", "interrupted": "yellow"}


def shown_word(prefix: str, word: str | None, lang: str) -> str:
    """A stored action or outcome in the reader's language: the catalog keeps the English word (it is
    hashed into the chain), an unknown one is shown as stored."""
    return tr(prefix + word, lang) if word and has(prefix + word) else (word or "")


class EventLogScreen(CommandScreen):
    DEFAULT_CSS = """
    EventLogScreen #chain { height: auto; padding: 0 1; }
    EventLogScreen #filters { height: auto; layout: horizontal; }
    EventLogScreen #filters Select { width: 36; }
    EventLogScreen #filters Input { width: 1fr; }
    EventLogScreen #events { height: 1fr; }
    """
    AUTO_FOCUS = "#events"
    COMMAND_TABLE = (Command("search", "slash", "search", key_display="/", text="media.key.search"),
                     Command("back", "escape", "back", text="scmd.back"))

    def __init__(self, lang: str, repository: str | None = None):
        super().__init__()
        self.lang, self.repository = lang, repository

    def compose(self) -> ComposeResult:
        repos = [(r.id, r.id) for r in self.app.profile.repositories]
        yield Header()
        yield Static(id="chain")
        with Static(id="filters"):
            yield Select(repos, prompt=tr("events.all", self.lang), value=self.repository or Select.NULL,
                         id="repo")
            yield Input(placeholder=tr("events.filter", self.lang), id="words")
        yield DataTable(id="events", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.title = tr("events.title", self.lang)
        table = self.query_one("#events", DataTable)
        for key in ("id", "at", "operator", "repository", "action", "outcome", "detail"):
            table.add_column(tr(f"events.col.{key}", self.lang), key=key)
        self.query_one("#chain", Static).update(tr("events.checking", self.lang))
        self._verify()
        self.reload()

    @work(thread=True, exclusive=True, group="events", exit_on_error=False)
    def _verify(self) -> None:
        """The whole chain is read: a worker, so a long log never freezes the console."""
        from dse_tui.core.records.audit import verify_chain
        from dse_tui.core.catalog import Catalog

        with Catalog(self.app.profile.catalog_path, readonly=True) as catalog:
            count, breaks = verify_chain(catalog)
        text = (tr("events.intact", self.lang, n=count) if not breaks else
                f"[bold red]{tr('events.broken', self.lang, n=len(breaks))}[/] " + "; ".join(b.message.in_(self.lang) for b in breaks[:3]))
        self.app.call_from_thread(self.query_one("#chain", Static).update, text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:  # said by the app (ui/workers.py); the chain is not "checking" for good
            self.query_one("#chain", Static).update(tr("events.unchecked", self.lang))

    def reload(self) -> None:
        repo = self.query_one("#repo", Select).value
        words = self.query_one("#words", Input).value.strip().lower()
        table = self.query_one("#events", DataTable)
        table.clear()
        chosen = None if repo in (Select.NULL, None) else str(repo)
        for e in self.app.catalog.events(LIMIT, repository=chosen):
            action, outcome = shown_word("event.action.", e["action"], self.lang), \
                shown_word("record.", e["outcome"], self.lang)
            text = " ".join(str(e[k] or "") for k in ("action", "operator", "outcome", "detail")).lower()
            if words and words not in f"{text} {action} {outcome}".lower():  # the stored words and the shown
                continue
            table.add_row(str(e["id"]), e["at"][:19].replace("T", " "), e["operator"], e["repository"] or "-",
                          action, Text(outcome, style=OUTCOME_STYLES.get(e["outcome"], "")),
                          Text((e["detail"] or "")[:120]))

    @on(Select.Changed, "#repo")
    @on(Input.Changed, "#words")
    def _filter(self) -> None:
        self.reload()

    def action_search(self) -> None:
        self.query_one("#words", Input).focus()

    def action_back(self) -> None:
        self.dismiss()
