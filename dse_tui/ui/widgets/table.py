"""The console's tables: Textual's DataTable, drawn again when the columns it measures on idle get wider,
and with Home and End going to the first and the last row of a table of rows.

A DataTable sizes its columns from the rows it was given when the app is next idle. Its render caches are
keyed by an update count, not by the columns' widths; a frame drawn between add_row and that idle moment
(a loaded machine, a thread handing over rows) caches cells cut to the headers' widths, and they stayed
cut until the cursor moved (Textual 8.2; the symptom of Textualize/textual#1026).

A one-line cell of plain Text is drawn without Rich's render pipeline: DataTable renders each cell through
Styled(Padding(Text)) and two passes of render_lines, ~60 us a cell, which on the dashboard's first frame
(a screenful of rows, eight columns) was ~20 ms of its ~35 ms render."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
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

    # DataTable._render_cell with its cache and cache key, _get_row_renderables and _get_styles_to_render_cell
    # are private API of Textual 8.2: re-check this against DataTable._render_cell on an upgrade
    # (tests/test_table_cells.py compares the two).
    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False):
        if row_index < 0 or column_index < 0 or width <= 2 * self.cell_padding:  # headers, labels: DataTable's
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        key = (row_key, self._column_locations.get_key(column_index), base_style, cursor, hover,
               self._show_hover_cursor, self._update_count, self._pseudo_class_state)
        lines = self._cell_render_cache.get(key)
        if lines is not None:
            return lines
        cell = self._get_row_renderables(row_index).cells[column_index]
        if self.rows[row_key].height != 1 or not _plain_line(cell):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component, post = self._get_styles_to_render_cell(
            False, False, row_index < self.fixed_rows or column_index < self.fixed_columns, hover, cursor,
            self.show_cursor, self._show_hover_cursor, self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css")
        # As Styled(Padding(cell)) makes it: the padding and the room after the text in the cell's style,
        # the text in the text's style between the two; a text too long is cut (overflow "fold", no wrap).
        pre = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component
        around = pre + post if post else pre
        text_style = pre + self.app.console.get_style(cell.style, default=Style.null())  # as Rich: unparsable, none
        text_style = text_style + post if post else text_style
        room = width - 2 * self.cell_padding
        plain = cell.plain
        used = cell_len(plain)
        if used > room:
            plain, used = set_cell_size(plain, room), room
        pad = " " * self.cell_padding
        line = [Segment(pad, around), Segment(plain, text_style), Segment(" " * (room - used) + pad, around)]
        lines = self._cell_render_cache[key] = [line]
        return lines


def _plain_line(cell) -> bool:
    """A cell the fast path draws as DataTable would: a Text of one style, one line, no tab, the default
    justification and an overflow that cuts."""
    return (type(cell) is Text and not cell.spans and cell.justify in (None, "default")
            and cell.overflow in (None, "fold", "crop") and "\n" not in cell.plain and "\t" not in cell.plain)
