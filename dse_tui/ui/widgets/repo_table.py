"""The table of repositories: one row per repository, keyed by its id, updated cell by cell."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from dse_tui.core.schedule import RepoStatus
from dse_tui.fmt import age, size, until
from dse_tui.i18n import tr

COLUMNS = ("name", "kind", "driver", "state", "last", "size", "next", "copies")
STATE_STYLES = {
    "ok": "green", "due": "yellow", "never": "yellow dim", "overdue": "bold red",
    "failed": "bold red", "manual-required": "bold white on red",
}


def state_text(state: str, lang: str) -> Text:
    return Text(tr(f"state.{state}", lang), style=STATE_STYLES[state])


class RepoTable(DataTable):
    DEFAULT_CSS = """
    RepoTable { height: 1fr; }
    """

    def __init__(self, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.lang = "en"
        self._cells: dict[str, tuple] = {}

    def set_language(self, lang: str) -> None:
        """Column labels and cell texts in `lang` (a rebuild: this is a rare, user-made change)."""
        self.lang = lang
        selected = self.selected_key
        self.clear(columns=True)
        for col in COLUMNS:
            self.add_column(tr(f"col.{col}", lang), key=col)
        self._cells.clear()
        if selected:
            self._pending_cursor = selected

    @property
    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # the cursor is outside the rows while they change
            return None

    def cells(self, s: RepoStatus, now: datetime) -> tuple:
        r = s.repository
        copies = Text(f"{s.copies}/{r.copies}", style="" if s.copies >= r.copies or not s.last_good else "yellow")
        return (
            r.name, tr(f"kind.{r.kind}", self.lang), r.driver, state_text(s.state, self.lang),
            age(s.last_run_at, now, never=tr("never", self.lang)), size(s.size), until(s.next_due_at, now),
            copies,
        )

    def show(self, items: list[RepoStatus], now: datetime) -> None:
        """Show `items` in this order; only changed cells are touched when the rows stay the same."""
        wanted = [s.repository.id for s in items]
        current = [row.value for row in self.rows]
        if wanted != current:
            self._rebuild(items, now)
            return
        with self.app.batch_update():
            for s in items:
                new = self.cells(s, now)
                old = self._cells.get(s.repository.id) or (None,) * len(COLUMNS)
                for col, value, before in zip(COLUMNS, new, old):
                    if _same(value, before):
                        continue
                    self.update_cell(s.repository.id, col, value)
                self._cells[s.repository.id] = new

    def _rebuild(self, items: list[RepoStatus], now: datetime) -> None:
        keep = getattr(self, "_pending_cursor", None) or self.selected_key
        self._pending_cursor = None
        self.clear()
        self._cells.clear()
        for s in items:
            cells = self.cells(s, now)
            self.add_row(*cells, key=s.repository.id)
            self._cells[s.repository.id] = cells
        if keep and keep in self._cells:
            self.move_cursor(row=self.get_row_index(keep))


def _same(a, b) -> bool:
    # Text compares by plain text and spans only; a style change alone must still repaint the cell.
    if isinstance(a, Text) and isinstance(b, Text):
        return a.plain == b.plain and str(a.style) == str(b.style)
    return a == b
