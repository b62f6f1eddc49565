"""F1: the keys of the screen it was opened from (a ui/screens/base.py screen), in that screen's language; a
key refused now says why. The help itself has no table: it has no footer, and its keys only close it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from dse_tui.i18n import tr
from dse_tui.ui.widgets.table import Table


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 110; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    HelpScreen #help-title { text-style: bold; margin-bottom: 1; }
    HelpScreen DataTable { height: auto; max-height: 30; }
    HelpScreen .note { margin-top: 1; }
    """
    BINDINGS = [Binding("escape,f1,q", "dismiss", show=False)]

    def __init__(self, screen: Screen):
        super().__init__()
        self.below = screen
        self.lang = screen.command_lang

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(tr("help.title", self.lang), id="help-title")
            yield Table(cursor_type="none", show_cursor=False, id="help-keys")
            for note in self.below.HELP_NOTES:
                yield Static(tr(note, self.lang), classes="note")
            yield Static(tr("help.close", self.lang), classes="note")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(tr("help.key", self.lang), tr("help.action", self.lang))
        for c in self.below.COMMAND_TABLE:
            reason = self.below.why_not(c.action_name)
            style = "dim" if reason else ""
            action = Text(f"{tr(c.text, self.lang)}: {tr(f'{c.text}.help', self.lang)}", style=style)
            if reason:  # under it, why it cannot be done now
                action.append(f"\n  {reason}", style="italic")
            table.add_row(Text(c.keys_shown, style="bold " + style), action, height=None)
        table.add_row(Text("tab", style="bold"), Text(tr("help.tab", self.lang)))
        table.add_row(Text("ctrl+p", style="bold"), Text(tr("help.palette", self.lang)))
