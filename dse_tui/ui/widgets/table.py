"""The console's tables: Textual's DataTable, drawn again when the columns it measures on idle get wider,
and with Home and End going to the first and the last row of a table of rows.

A DataTable sizes its columns from the rows it was given when the app is next idle. Its render caches are
keyed by an update count, not by the columns' widths; a frame drawn between add_row and that idle moment
(a loaded machine, a thread handing over rows) caches cells cut to the headers' widths, and they stayed
cut until the cursor moved (Textual 8.2; the symptom of Textualize/textual#1026)."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable


class Table(DataTable):
    # DataTable's Home and End scroll to the leftmost and rightmost column; on a table of rows (runs, media,
    # events) what a user means is the first and the last row.
    BINDINGS = [Binding("home", "first_row", "First", show=False), Binding("end", "last_row", "Last", show=False)]

    def action_first_row(self) -> None:
        self.action_scroll_top() if self.cursor_type == "row" else self.action_scroll_home()

    def action_last_row(self) -> None:
        self.action_scroll_bottom() if self.cursor_type == "row" else self.action_scroll_end()

    def _update_dimensions(self, new_rows) -> None:
        before = self._widths()
        super()._update_dimensions(new_rows)
        if self._widths() != before:
            self._update_count += 1  # every render cache is keyed by it: the cells are drawn at the new widths
            self.refresh()

    def _widths(self) -> tuple[int, ...]:
        return (self._label_column.content_width, *(c.content_width for c in self.columns.values()))
