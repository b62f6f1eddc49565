"""The event log in the console: newest first, filtered by repository and by words (action, operator,
outcome, detail), with the chain's state at the top."""

from __future__ import annotations

import json

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Input, Select, Static
from textual.worker import Worker, WorkerState

from dse_tui.core.texts import has
from dse_tui.i18n import tr
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandScreen
from dse_tui.ui.widgets.table import Table
from dse_tui.ui.widgets.footer import ConsoleFooter

LIMIT = 2000
OUTCOME_STYLES = {"ok": "green", "good": "green", "passed": "green", "verified": "green", "failed": "bold red",
                  "cancelled": "yellow", "interrupted": "yellow"}


def shown_word(prefix: str, word: str | None, lang: str) -> str:
    """A stored action or outcome in the reader's language: the catalog keeps the English word (it is
    hashed into the chain), an unknown one is shown as stored."""
    return tr(prefix + word, lang) if word and has(prefix + word) else (word or "")


def detail_pairs(detail: str | None) -> list[tuple[str, str]]:
    """An event's detail (stored as JSON, hashed into the chain as it is) as (key, value) pairs to read:
    a nested value shown compactly, a detail that is not a JSON object shown whole under no key."""
    if not detail:
        return []
    try:
        value = json.loads(detail)
    except ValueError:
        return [("", detail)]
    if not isinstance(value, dict):
        return [("", detail)]
    return [(str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(", ", ": ")))
            for k, v in value.items()]


def detail_line(detail: str | None, width: int = 100) -> str:
    """The table's one line of it: "key: value · key: value", cut with an ellipsis (the pane shows it all)."""
    line = " · ".join(f"{k}: {v}" if k else v for k, v in detail_pairs(detail))
    return line if len(line) <= width else line[:width - 1] + "…"


class EventLogScreen(CommandScreen):
    DEFAULT_CSS = """
    EventLogScreen #chain { height: auto; padding: 0 1; }
    EventLogScreen #filters { height: auto; layout: horizontal; }
    EventLogScreen #filters Select { width: 36; }
    EventLogScreen #filters Input { width: 1fr; }
    EventLogScreen #events { height: 1fr; }
    EventLogScreen #detail-box { height: auto; max-height: 12; border-top: solid $primary; padding: 0 1; }
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
        yield Table(id="events", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="detail-box", can_focus=False):  # Tab goes table → filters, as before
            yield Static(id="detail")
        yield ConsoleFooter()

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
        self.details: dict[str, str | None] = {}
        for e in self.app.catalog.events(LIMIT, repository=chosen):
            action, outcome = shown_word("event.action.", e["action"], self.lang), \
                shown_word("record.", e["outcome"], self.lang)
            text = " ".join(str(e[k] or "") for k in ("action", "operator", "outcome", "detail")).lower()
            if words and words not in f"{text} {action} {outcome}".lower():  # the stored words and the shown
                continue
            table.add_row(str(e["id"]), e["at"][:19].replace("T", " "), e["operator"], e["repository"] or "-",
                          action, Text(outcome, style=OUTCOME_STYLES.get(e["outcome"], "")),
                          Text(detail_line(e["detail"])), key=str(e["id"]))
            self.details[str(e["id"])] = e["detail"]
        self._show_detail()

    @on(DataTable.RowHighlighted, "#events")
    def _show_detail(self) -> None:
        """The highlighted event's detail in full, a line per key, wrapped: nothing of it cut."""
        table = self.query_one("#events", DataTable)
        key = None
        if table.row_count and table.cursor_row is not None:
            key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        pairs = detail_pairs(self.details.get(key)) if key else []
        self.query_one("#detail", Static).update(
            "\n".join(f"[b]{escape(k)}:[/b] {escape(v)}" if k else escape(v) for k, v in pairs))
        self.query_one("#detail-box").display = bool(pairs)

    @on(Select.Changed, "#repo")
    @on(Input.Changed, "#words")
    def _filter(self) -> None:
        self.reload()

    def action_search(self) -> None:
        self.query_one("#words", Input).focus()

    def action_back(self) -> None:
        self.dismiss()
