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
        width: 110; max-width: 100%; height: auto; max-height: 90%;
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
        self._fill(table)

    def on_resize(self) -> None:
        self._fill(self.query_one(DataTable))

    def _fill(self, table: DataTable) -> None:
        """One row per key; an action wrapped to what the terminal leaves it (a cell is never wrapped by
        the table itself, and at 80 columns the longer ones would be cut)."""
        rows = [(Text(c.keys_shown, style="bold"), f"{tr(c.text, self.lang)}: {tr(f'{c.text}.help', self.lang)}",
                 self.below.why_not(c.action_name)) for c in self.below.COMMAND_TABLE]
        rows += [(Text("tab", style="bold"), tr("help.tab", self.lang), ""),
                 (Text("ctrl+p", style="bold"), tr("help.palette", self.lang), "")]
        key_width = max(k.cell_len for k, _, _ in rows)
        # The box is at most 110 wide, with a border and padding of 2 on each side; each cell pads 1 a side.
        width = max(20, min(110, self.app.size.width) - 2 - 4 - (key_width + 2) - 2)
        table.clear()
        for key, action, reason in rows:
            text = Text(action, style="dim" if reason else "")
            if reason:  # under it, why it cannot be done now
                text.append(f"\n  {reason}", style="italic")
                key.stylize("dim")
            lines = text.wrap(self.app.console, width)
            table.add_row(key, Text("\n").join(lines), height=len(lines))
