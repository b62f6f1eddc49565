"""The session's list of steps: an OptionList that stops at its ends (Textual's wraps from the last step to
the first, and a space pressed after Down on the last step then changed step 1), and each step drawn as a
box-and-number column beside its text, so a long step wraps under its text and not under its box."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import OptionList

BOX = {"done": ("☑", "green"), "skipped": ("⊘", "yellow"), "pending": ("☐", "")}


class StepList(OptionList):
    def action_cursor_down(self) -> None:
        if self.highlighted is None or self.highlighted < self.option_count - 1:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.highlighted is None or self.highlighted > 0:
            super().action_cursor_up()


def step_line(number: int, text: str, *, box: str = "☐", style: str = "", note: str | None = None) -> Table:
    """One step: "☐ 12." in a column of its own, the text (and its note, dim) wrapping in the next."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    marker = Text(f"{box} ", style=style)
    marker.append(f"{number:2}.", style="dim")
    body = Text(text)
    if note:
        body.append(f" ({note})", style="dim")
    grid.add_row(marker, body)
    return grid
