"""Label stocks: where each label sits on a sheet or a roll, in millimetres.

The built-in stocks are those the department has; a profile adds its own by their measures
(`labels.stocks`). A sheet's positions are numbered 1.. left to right, top to bottom, so a half-used
sheet is used from its first free position."""

from __future__ import annotations

from dataclasses import dataclass

from dse_tui.core.texts import tr


@dataclass(frozen=True)
class Stock:
    id: str
    description: str
    page: tuple[float, float]  # width, height of a sheet (or of one roll label)
    label: tuple[float, float]  # width, height of one label
    cols: int = 1
    rows: int = 1
    left: float = 0.0  # of the first label from the page's left edge
    top: float = 0.0
    pitch: tuple[float, float] | None = None  # from one label's corner to the next (default: its size)
    kind: str = "sheet"  # sheet | roll | zpl
    dpi: int = 203  # ZPL printers' dots per inch

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    def position(self, n: int) -> tuple[float, float]:
        """Top-left corner (mm) of position n (1-based) on its page."""
        if not 1 <= n <= self.per_page:
            raise ValueError(f"position {n} is not on a {self.id} page (1–{self.per_page})")
        px, py = self.pitch or self.label
        i = n - 1
        return self.left + (i % self.cols) * px, self.top + (i // self.cols) * py


def stock_description(stock: Stock, lang: str) -> str:
    """A built-in stock's description in the operator's language; a profile's own stock, as it says it."""
    built_in = BUILT_IN.get(stock.id)
    return tr(f"stock.{stock.id}", lang) if built_in is not None and built_in.description == stock.description \
        else stock.description


BUILT_IN: dict[str, Stock] = {s.id: s for s in (
    Stock("avery-l7160", "A4 sheet, 21 labels 63.5 × 38.1 mm (Avery L7160)", (210, 297), (63.5, 38.1), 3, 7,
          7.25, 15.15, (66.04, 38.1)),
    Stock("avery-5160", "US Letter sheet, 30 labels 66.7 × 25.4 mm (Avery 5160)", (215.9, 279.4), (66.675, 25.4), 3,
          10, 4.7625, 12.7, (69.85, 25.4)),
    Stock("brother-62", "62 mm continuous roll, 62 × 40 mm per label (Brother QL)", (62, 40), (62, 40), kind="roll"),
    Stock("zebra-4x2", "Zebra 4 × 2 inch label, ZPL (101.6 × 50.8 mm)", (101.6, 50.8), (101.6, 50.8), kind="zpl"),
    Stock("lto-a4", "A4 sheet of LTO cartridge barcode labels, 2 × 16 of 78 × 16.9 mm", (210, 297), (78, 16.9), 2, 16,
          22, 13.3, (88, 16.9)),
    Stock("case-insert", "Optical disc case insert 120 × 120 mm, 2 per A4 sheet (no adhesive labels on discs)",
          (210, 297), (120, 120), 1, 2, 45, 22, (120, 133)),
)}
