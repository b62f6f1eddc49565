"""The console's tables draw a one-line Text cell without Rich's render pipeline (table.py): each cell, under
every cursor and hover state, must come out as DataTable itself draws it, character by character and style
by style. Its fallbacks (markup spans, a newline, a column too narrow) are DataTable's own."""

from __future__ import annotations

from itertools import product

from rich.segment import Segment
from rich.text import Text
from textual.app import App
from textual.widgets import DataTable

from dse_tui.ui.widgets.table import Table
from tests.conftest import pilot_until

CELLS = [
    Text("Repository 12"), Text("ok", style="green"), Text("manual required", style="bold white on red"),
    Text(""), Text("a name far too long for its column, cut where the column ends"),
    Text("数据库备份服务器"),  # wide characters, one cut in half at the column's edge
    Text("[not markup]"), Text("3 of 2 copies", style="yellow"),
    "plain [b]markup[/b]",  # spans: DataTable's own drawing
    Text("two\nlines"), Text("a\ttab"), Text("right", justify="right"), Text("ellipsis…", overflow="ellipsis"),
]


class Cells(App):
    def compose(self):
        yield Table(cursor_type="row", zebra_stripes=True)

    def on_mount(self):
        table = self.query_one(Table)
        table.add_column("one", width=12)
        table.add_column("two", width=1)  # narrower than its padding: DataTable's own drawing
        table.add_column("three")
        for i, cell in enumerate(CELLS):
            table.add_row(cell, cell, cell, key=str(i))


def drawn(lines: list[list[Segment]]) -> list[tuple[str, object]]:
    """Each character with its style: the same picture however the segments are split."""
    return [(char, segment.style) for line in lines for segment in line for char in segment.text]


async def test_every_cell_is_drawn_as_datatable_draws_it():
    app = Cells()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(Table)
        await pilot_until(pilot, lambda: table.row_count == len(CELLS), what="the rows")
        await pilot.pause()
        styles = [table.rich_style, table.get_component_rich_style("datatable--even-row")]
        checked = 0
        for row in range(len(CELLS)):
            for column, width in enumerate(c.get_render_width(table) for c in table.ordered_columns):
                for base in styles:
                    for cursor, hover, mouse in product((False, True), repeat=3):
                        table._show_hover_cursor = mouse
                        table._cell_render_cache.clear()
                        ours = table._render_cell(row, column, base, width, cursor, hover)
                        table._cell_render_cache.clear()
                        theirs = DataTable._render_cell(table, row, column, base, width, cursor, hover)
                        assert drawn(ours) == drawn(theirs), (CELLS[row], width, cursor, hover, mouse)
                        checked += 1
        assert checked == len(CELLS) * 3 * 2 * 8


async def test_a_plain_cell_skips_richs_render_pipeline(monkeypatch):
    app = Cells()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(Table)
        await pilot_until(pilot, lambda: table.row_count == len(CELLS), what="the rows")
        rendered = []
        render_lines = type(app.console).render_lines
        monkeypatch.setattr(type(app.console), "render_lines",
                            lambda self, renderable, *a, **kw: rendered.append(renderable) or render_lines(
                                self, renderable, *a, **kw))
        table._cell_render_cache.clear()
        table._render_cell(0, 0, table.rich_style, 12)
        assert rendered == []
        table._render_cell(8, 0, table.rich_style, 12)  # markup spans: DataTable's own drawing
        assert rendered
