"""The manual-backup sessions of one repository, newest first; enter opens one (an ended one as its record)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from dse_tui.i18n import tr
from dse_tui.ui.widgets.table import Table
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandModal

STATE_STYLES = {"open": "bold cyan", "finished": "green", "abandoned": "yellow"}


class SessionListScreen(CommandModal):
    DEFAULT_CSS = """
    SessionListScreen { align: center middle; }
    SessionListScreen > Vertical { width: 120; height: 80%; border: thick $primary; background: $surface; }
    SessionListScreen #sessions { height: 1fr; }
    """
    COMMAND_TABLE = (Command("close", "escape", "dismiss", text="dialog.close"),
                     Command("open", "enter", "open", priority=True, text="sessions.open"))

    def __init__(self, repo, lang: str):
        super().__init__()
        self.repo, self.lang = repo, lang

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{tr('sessions.title', self.lang, name=self.repo.name)}[/b]")
            yield Table(id="sessions", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#sessions", DataTable)
        table.add_columns("#", tr("col.started", self.lang), tr("runs.col.state", self.lang), "✓",
                          tr("runs.col.run", self.lang), "", "")
        catalog = self.app.catalog
        rows = catalog.sessions(self.repo.id, limit=500)
        for r in rows:
            full = catalog.session(r.id)
            dealt = sum(s.outcome != "pending" for s in full.step_rows.values())
            runs = ", ".join(f"r{run.id} {run.state}" for run in catalog.session_runs(r.id)) or "-"
            table.add_row(str(r.id), f"{r.started_at.astimezone():%Y-%m-%d %H:%M}",
                          Text(tr(f"session.state.{r.state}", self.lang), style=STATE_STYLES.get(r.state, "")),
                          f"{dealt}/{len(r.steps)}", runs, r.operator, r.reason or "", key=str(r.id))
        if not rows:
            self.query_one(Static).update(f"[b]{tr('sessions.title', self.lang, name=self.repo.name)}[/b]\n"
                                          + tr("sessions.none", self.lang))

    def why_not(self, action: str) -> str | None:
        if action == "open" and self.is_mounted and self.query_one("#sessions", DataTable).row_count == 0:
            return tr("sessions.none", self.lang)
        return None

    @on(DataTable.RowSelected, "#sessions")
    def action_open(self) -> None:
        from dse_tui.ui.screens.session import SessionScreen

        table = self.query_one("#sessions", DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.app.push_screen(SessionScreen(int(key), self.lang))
