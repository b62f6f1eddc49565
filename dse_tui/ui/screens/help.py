"""F1: the keys of the screen it was opened from (a ui/screens/base.py screen), in that screen's language; a
key refused now says why. The help itself has no table: it has no footer, and its keys only close it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from dse_tui.i18n import tr
from dse_tui.ui.widgets.table import Table


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 110; max-width: 100%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 1 2;
        scrollbar-gutter: stable;
    }
    HelpScreen #help-title { text-style: bold; margin-bottom: 1; }
    HelpScreen DataTable { height: auto; max-height: 200; }  /* its rows all laid out: the box scrolls, not it */
    HelpScreen .note { margin-top: 1; }
    """
    BINDINGS = [Binding("escape,f1,q", "dismiss", show=False)]
    _filled_for = 0  # the table width the rows were wrapped for

    def __init__(self, screen: Screen):
        super().__init__()
        self.below = screen
        self.lang = screen.command_lang

    def compose(self) -> ComposeResult:
        # The box scrolls (↑ ↓, PageUp/PageDown, Home/End) when the keys are more than a short terminal holds.
        with VerticalScroll():
            yield Static(tr("help.title", self.lang), id="help-title")
            keys = Table(cursor_type="none", show_cursor=False, id="help-keys")
            keys.can_focus = False  # the box takes the keys that scroll it
            yield keys
            for note in self.below.HELP_NOTES:
                yield Static(tr(note, self.lang), classes="note")
            yield Static(tr("help.close", self.lang), classes="note")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(tr("help.key", self.lang), tr("help.action", self.lang))
        # The box is at most 110 wide, with a border, padding of 2 on each side and its scrollbar's gutter:
        # a first guess, made exact once the table is laid out (_refit).
        self._fill(table, min(110, self.app.size.width) - 2 - 4 - 2)
        self.call_after_refresh(self._refit)

    def on_resize(self) -> None:
        self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        table = self.query_one(DataTable)
        if table.size.width and table.size.width != self._filled_for:
            self._fill(table, table.size.width)

    def _fill(self, table: DataTable, table_width: int) -> None:
        """One row per key; an action wrapped to what the table's width leaves it (a cell is never wrapped by
        the table itself, and at 80 columns the longer ones would be cut)."""
        self._filled_for = table_width
        rows = [(Text(c.keys_shown, style="bold"), f"{tr(c.text, self.lang)}: {tr(f'{c.text}.help', self.lang)}",
                 self.below.why_not(c.action_name)) for c in self.below.COMMAND_TABLE]
        rows += [(Text("tab", style="bold"), tr("help.tab", self.lang), ""),
                 (Text("ctrl+p", style="bold"), tr("help.palette", self.lang), "")]
        key_width = max(k.cell_len for k, _, _ in rows)
        width = max(20, table_width - (key_width + 2) - 2)  # each cell pads 1 a side
        table.clear()
        for key, action, reason in rows:
            text = Text(action, style="dim" if reason else "")
            if reason:  # under it, why it cannot be done now
                text.append(f"\n  {reason}", style="italic")
                key.stylize("dim")
            lines = text.wrap(self.app.console, width)
            table.add_row(key, Text("\n").join(lines), height=len(lines))
