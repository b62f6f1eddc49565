"""A sparkline of artifact sizes, scaled from zero so a halved backup looks halved; shrinks in red."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from dse_tui.core.engine.schedule import shrunk

BLOCKS = " ▁▂▃▄▅▆▇█"


def size_bars(sizes: list[int], height: int = 3, bar_width: int = 2) -> Text:
    """`height` rows of bars, one per size, oldest left. Textual's Sparkline scales from the minimum,
    which turns equal sizes into nothing and noise into cliffs."""
    text = Text()
    if not sizes:
        return text
    top = max(sizes) or 1
    levels = [round(v / top * height * 8) for v in sizes]
    flags = shrunk(sizes)
    for row in range(height, 0, -1):
        floor = (row - 1) * 8
        for level, flag in zip(levels, flags):
            char = BLOCKS[max(0, min(8, level - floor))]
            text.append(char * bar_width, style="bold red" if flag else "green")
        if row > 1:
            text.append("\n")
    return text


class SizeSparkline(Widget):
    DEFAULT_CSS = """
    SizeSparkline { height: 3; width: 1fr; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sizes: list[int] = []

    def set_sizes(self, sizes: list[int]) -> None:
        self.sizes = list(sizes)
        self.refresh()

    def render(self) -> Text:
        width = max(1, self.size.width // max(1, len(self.sizes)))
        return size_bars(self.sizes, height=self.size.height or 3, bar_width=min(2, width))
