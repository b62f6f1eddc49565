"""Drawing on an fpdf2 page, shared by the labels, the report and the key's recovery sheet: the DejaVu
fonts where they are installed, and a full QR code (segno, never Micro QR) as vector rectangles, so it
scans at any printer's resolution."""

from __future__ import annotations

from pathlib import Path

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)


def qr_matrix(payload: str) -> tuple[tuple[int, ...], ...]:
    import segno

    return segno.make(payload, micro=False, error="m").matrix


def use_font(pdf, family: str = "label", stem: str = "DejaVuSansCondensed", fallback: str = "helvetica") -> str:
    """DejaVu `stem` (regular and bold) added to `pdf` as `family`; `fallback`, a core font, where it is not
    installed (latin-1 only: the labels fold their text to it)."""
    for folder in FONT_DIRS:
        regular, bold = Path(folder) / f"{stem}.ttf", Path(folder) / f"{stem}-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdf.add_font(family, "", str(regular))
            pdf.add_font(family, "B", str(bold))
            return family
    return fallback


def draw_qr(pdf, payload: str, x: float, y: float, side: float) -> None:
    """A full QR code of `payload` in a `side` mm square (its quiet zone included), as vector rectangles."""
    matrix = qr_matrix(payload)
    n = len(matrix) + 8  # the 4-module quiet zone on each side is part of the square
    module = side / n
    pdf.set_fill_color(0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):  # runs of dark modules as one rectangle: smaller PDFs, no hairline gaps
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(x + (start + 4) * module, y + (r + 4) * module, (c - start) * module, module, style="F")
            else:
                c += 1
