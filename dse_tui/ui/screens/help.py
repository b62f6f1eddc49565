"""F1: the keys of the screen it was opened from, in the interface's language."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from dse_tui.i18n import tr
from dse_tui.ui.commands import Command


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 110; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    HelpScreen #help-title { text-style: bold; margin-bottom: 1; }
    HelpScreen DataTable { height: auto; max-height: 20; }
    HelpScreen .note { margin-top: 1; }
    """
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", show=False)]

    def __init__(self, commands: tuple[Command, ...], lang: str):
        super().__init__()
        self.commands = commands
        self.lang = lang

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(tr("help.title", self.lang), id="help-title")
            yield DataTable(cursor_type="none", show_cursor=False, id="help-keys")
            yield Static(tr("help.states", self.lang), classes="note")
            yield Static(tr("help.close", self.lang), classes="note")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(tr("help.key", self.lang), tr("help.action", self.lang), "")
        screen_below = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None
        for c in self.commands:
            enabled = screen_below is None or screen_below.check_action(c.action, ()) is True
            style = "" if enabled else "dim"
            note = "" if enabled else tr("action.pending", self.lang)
            table.add_row(Text(c.key_display or c.key, style="bold " + style),
                          Text(f"{tr(f'cmd.{c.id}', self.lang)}: {tr(f'cmd.{c.id}.help', self.lang)}", style=style),
                          Text(note, style="dim italic"))
        table.add_row(Text("ctrl+p", style="bold"), Text("Command palette" if self.lang == "en" else "Paleta de comandos"), "")
