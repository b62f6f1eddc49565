"""The table of repositories: one row per repository, keyed by its id, updated cell by cell. On a narrow
terminal the least telling columns give way first; the name, the state and the last good backup stay."""

from __future__ import annotations

from datetime import datetime

from rich.cells import cell_len
from rich.text import Text
from textual import events

from dse_tui.core.engine.schedule import RepoStatus
from dse_tui.core.common.fmt import age, size, until
from dse_tui.core.common.fmt import copies as fmt_copies
from dse_tui.i18n import tr
from dse_tui.ui.widgets.table import Table

COLUMNS = ("name", "kind", "driver", "state", "last", "size", "next", "copies")
DROP_ORDER = ("driver", "kind", "size", "copies", "next")  # the first to go when the width is short
MIN_NAME = 12  # the name is cut to this at the least, after every column that may go has gone
FIRST_ROWS = 40  # rows in the first paint at least; more when the terminal is taller
STATE_STYLES = {
    "ok": "green", "due": "yellow", "never": "yellow dim", "overdue": "bold red",
    "failed": "bold red", "manual-required": "bold white on red",
}


def state_text(state: str, lang: str) -> Text:
    return Text(tr(f"state.{state}", lang), style=STATE_STYLES[state])


class RepoTable(Table):
    DEFAULT_CSS = """
    RepoTable { height: 1fr; }
    """

    def __init__(self, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.lang = "en"
        self._cells: dict[str, tuple] = {}  # the rows added so far
        self._order: list[str] = []  # the rows shown, in order, when all have come
        self._keep_later: str | None = None  # the row to put the cursor on when the rest has come
        self._pending_cursor: str | None = None
        self._generation = 0
        self.shown: tuple[str, ...] = COLUMNS
        self._name_width: int | None = None  # the name column's width when it must be cut; None: its own
        self._items: list[RepoStatus] = []
        self._now: datetime | None = None

    def set_language(self, lang: str) -> None:
        """Column labels and cell texts in `lang` (a rebuild: this is a rare, user-made change)."""
        self.lang = lang
        self._columns(self.shown, self._name_width)

    def _columns(self, shown: tuple[str, ...], name_width: int | None) -> None:
        selected = self.selected_key
        self.shown, self._name_width = shown, name_width
        self.clear(columns=True)
        for col in shown:
            self.add_column(tr(f"col.{col}", self.lang), key=col, width=name_width if col == "name" else None)
        self._cells.clear()
        self._order = []
        self._pending_cursor = selected

    def fit(self, rows: list[tuple[Text, ...]], count: int | None = None) -> tuple[tuple[str, ...], int | None]:
        """The columns that fit the table's width, in their order, and the name's width if it must be cut.
        `rows`: the cells measured; `count`: how many rows the table will have (default: as many)."""
        width = self.size.width
        if width <= 0:  # not laid out yet: everything, until the first resize says how wide
            return COLUMNS, None
        if (len(rows) if count is None else count) >= self.size.height:  # the header takes a line: the rows
            width -= self.styles.scrollbar_size_vertical  # scroll, past a scrollbar
        pad = 2 * self.cell_padding
        need = {col: cell_len(tr(f"col.{col}", self.lang)) + pad for col in COLUMNS}
        for cells in rows:
            for col, value in zip(COLUMNS, cells):
                need[col] = max(need[col], value.cell_len + pad)
        shown = list(COLUMNS)
        for col in DROP_ORDER:
            if sum(need[c] for c in shown) <= width:
                break
            shown.remove(col)
        over = sum(need[c] for c in shown) - width
        name_width = max(MIN_NAME, need["name"] - pad - over) if over > 0 else None
        return tuple(shown), name_width

    def on_resize(self, event: events.Resize) -> None:
        if self._now is not None:
            self.show(self._items, self._now)

    @property
    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # the cursor is outside the rows while they change
            return None

    def cells(self, s: RepoStatus, now: datetime) -> tuple[Text, ...]:
        # Text, not str: a name with "[" is not markup, and DataTable skips parsing markup for each cell.
        r = s.repository
        copies_style = "" if s.copies >= r.copies or not s.last_good else "yellow"
        return (
            Text(r.name), Text(tr(f"kind.{r.kind}", self.lang)), Text(r.driver),
            Text(tr("run.running", self.lang), style="bold cyan") if s.running else state_text(s.state, self.lang),
            Text(age(s.last_run_at, now, never=tr("never", self.lang))), Text(size(s.size)),
            Text(until(s.next_due_at, now)),
            Text(fmt_copies(s.copies, r.copies) + (f" {tr('copies.not_stored', self.lang)}" if copies_style else ""),
                 style=copies_style),
        )

    def show(self, items: list[RepoStatus], now: datetime) -> None:
        """Show `items` in this order; only changed cells are touched when the rows stay the same. Only the
        rows already added are measured and updated: the rows still to come (_add_rest) are made then."""
        self._items, self._now = items, now
        if [s.repository.id for s in items] == self._order:
            added = [(s, self.cells(s, now)) for s in items if s.repository.id in self._cells]
            if self.fit([cells for _, cells in added], len(items)) == (self.shown, self._name_width):
                self._update(added)
                return
        self._rebuild(items, now)

    def _update(self, added: list[tuple[RepoStatus, tuple[Text, ...]]]) -> None:
        with self.app.batch_update():
            for s, new in added:
                old = self._cells[s.repository.id]
                for col, value, before in zip(COLUMNS, new, old):
                    if _same(value, before) or col not in self.shown:
                        continue
                    self.update_cell(s.repository.id, col, value, update_width=True)
                self._cells[s.repository.id] = new

    def _rebuild(self, items: list[RepoStatus], now: datetime) -> None:
        keep = self._pending_cursor or self.selected_key
        # A screenful first, the rest once that screenful is on the terminal: DataTable measures every
        # new cell, and making and measuring the cells of a thousand repositories would hold the first
        # paint back. The columns are fitted to the screenful, and again when the rest comes.
        first = max(FIRST_ROWS, self.app.size.height)  # a screenful, whatever the terminal's height
        rows = [(s, self.cells(s, now)) for s in items[:first]]
        fitting = self.fit([cells for _, cells in rows], len(items))
        if fitting != (self.shown, self._name_width):
            self._columns(*fitting)
        self._pending_cursor = None
        self.clear()
        self._cells.clear()
        self._order = [s.repository.id for s in items]
        self._generation += 1
        self._add_rows(rows)
        if len(items) > first:
            # After the first frame that reaches the terminal: one made during Textual's start-up batch
            # is dropped, and the frame after it would wait for every row (DashboardScreen.when_painted).
            when_painted = getattr(self.screen, "when_painted", self.call_after_refresh)
            when_painted(self._add_rest, self._generation)
        self._keep_later = None
        if keep and keep in self._cells:
            self.move_cursor(row=self.get_row_index(keep))
        elif keep in self._order:
            self._keep_later = keep  # its row comes with the rest

    @property
    def complete(self) -> bool:
        """Every row shown is in the table (False while the rest of a big site's rows is still to come)."""
        return len(self._cells) == len(self._order)

    def _add_rest(self, generation: int) -> None:
        if generation != self._generation:
            return  # a newer rebuild (another filter) replaced these rows before they came
        moved, selected = self.cursor_row != 0, self.selected_key
        # The latest statuses: a refresh may have come since.
        rest = [(s, self.cells(s, self._now)) for s in self._items if s.repository.id not in self._cells]
        fitting = self.fit([*self._cells.values(), *(cells for _, cells in rest)], len(self._items))
        if fitting != (self.shown, self._name_width):  # a longer name, say, among the rest: the columns again
            self._columns(*fitting)
            self._cells.clear()
            self._order = [s.repository.id for s in self._items]
            rest = [(s, self.cells(s, self._now)) for s in self._items]
        self._add_rows(rest)
        keep = selected if moved else self._keep_later  # the row the user has moved to, if they have
        self._keep_later = self._pending_cursor = None
        if keep in self._cells and self.get_row_index(keep) != self.cursor_row:
            self.move_cursor(row=self.get_row_index(keep))

    def _add_rows(self, rows: list[tuple[RepoStatus, tuple[Text, ...]]]) -> None:
        for s, cells in rows:
            self.add_row(*(v for col, v in zip(COLUMNS, cells) if col in self.shown), key=s.repository.id)
            self._cells[s.repository.id] = cells


def _same(a: Text, b: Text | None) -> bool:
    # Text compares by plain text and spans only; a style change alone must still repaint the cell.
    return b is not None and a.plain == b.plain and str(a.style) == str(b.style)
