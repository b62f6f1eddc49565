"""The console's tables: Textual's DataTable, drawn again when the columns it measures on idle get wider.

A DataTable sizes its columns from the rows it was given when the app is next idle. Its render caches are
keyed by an update count, not by the columns' widths; a frame drawn between add_row and that idle moment
(a loaded machine, a thread handing over rows) caches cells cut to the headers' widths, and they stayed
cut until the cursor moved (Textual 8.2; the symptom of Textualize/textual#1026)."""

from __future__ import annotations

from textual.widgets import DataTable


class Table(DataTable):
    def _update_dimensions(self, new_rows) -> None:
        before = self._widths()
        super()._update_dimensions(new_rows)
        if self._widths() != before:
            self._update_count += 1  # every render cache is keyed by it: the cells are drawn at the new widths
            self.refresh()

    def _widths(self) -> tuple[int, ...]:
        return (self._label_column.content_width, *(c.content_width for c in self.columns.values()))
