"""The console's tables draw their cells at the widths measured from the rows, even when a frame was drawn
before the table measured them."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import DataTable

from dse_tui.ui.widgets.table import Table
from tests.conftest import pilot_until


class OneTable(App):
    CSS = "DataTable { height: 1fr; }"  # as on the console's screens: measuring the rows does not resize it

    def __init__(self, kind: type[DataTable]):
        super().__init__()
        self.kind = kind

    def compose(self):
        yield self.kind(id="t")


def row_text(table: DataTable, y: int) -> str:
    return "".join(segment.text for segment in table.render_line(y))


@pytest.mark.parametrize("kind", [Table])
async def test_cells_drawn_before_the_columns_are_measured_are_drawn_again(kind):
    app = OneTable(kind)
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one("#t", DataTable)
        table.add_column("When", key="when")
        table.add_column("Size", key="size")
        table.add_row("Tue 2026-11-24 03:00", "600 Bytes")
        assert "Tue 2026-11-24" not in row_text(table, 1)  # a frame drawn now: the column is as wide as "When"
        await pilot_until(pilot, lambda: table.virtual_size.height == 2, what="the rows measured")
        assert "Tue 2026-11-24 03:00" in row_text(table, 1)
        assert "600 Bytes" in row_text(table, 1)


@pytest.mark.parametrize("kind", [Table])
async def test_home_and_end_go_to_the_first_and_last_row(kind):
    app = OneTable(kind)
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one("#t", DataTable)
        table.cursor_type = "row"
        table.add_column("n", key="n")
        for i in range(50):
            table.add_row(str(i), key=str(i))
        table.focus()
        await pilot.press("down", "down", "end")
        assert table.cursor_row == 49
        await pilot.press("home")
        assert table.cursor_row == 0
