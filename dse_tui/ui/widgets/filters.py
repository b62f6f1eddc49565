"""The dashboard's two filters in its first frame: what a closed compact Select shows, without the Select.

A Select is six widgets (its current value, three labels, an overlay holding an option list) and the CSS
of four widget classes; the two of the toolbar cost ~13 ms before the dashboard's first frame at 1,000
repositories. FilterStandIn draws the same line with three widgets, and the dashboard puts the real Selects
in its place once that frame is on the terminal (ui/screens/dashboard_filters.py)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static


class FilterStandIn(Horizontal):
    """A closed, unfocused compact Select showing `label`. Its CSS is that of Textual 8.2's Select and
    SelectCurrent (compact, with a value): re-check it on an upgrade (tests/test_dashboard_filters.py
    compares the toolbar in the first frame with the toolbar once the Selects are in)."""

    DEFAULT_CSS = """
    FilterStandIn {
        width: 1fr;
        height: auto;
        padding: 0 1 0 0;
        color: $foreground;
        background: $surface;
        & > Static.-label {
            width: 1fr;
            height: auto;
            color: $foreground;
            background: transparent;
        }
        & > Static.-arrow {
            box-sizing: content-box;
            width: 1;
            height: 1;
            padding: 0 0 0 1;
            color: $foreground 50%;
            background: transparent;
        }
    }
    """

    def __init__(self, label: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._label = Static(label, classes="-label")

    def compose(self) -> ComposeResult:
        yield self._label
        yield Static("▼", classes="-arrow")

    def show(self, label: str) -> None:
        self._label.update(label)
