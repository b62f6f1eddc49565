"""Labels as PDF (fpdf2), for any printer: each label at its stock position, the text shrunk to fit and cut
with an ellipsis, never drawn outside the label; a full QR code (segno, never Micro QR) and the barcode
(python-barcode's modules) drawn as vector rectangles, so they scan at any printer's resolution."""

from __future__ import annotations

from dataclasses import dataclass

from dse_tui.core.common.pdfdraw import draw_qr, use_font
from dse_tui.core.labels.content import Label, text_lines
from dse_tui.core.labels.stocks import Stock

PAD = 1.5  # mm inside the label's edge
MAX_PT, MIN_PT = 9.0, 4.5
PT = 0.3528  # mm per point


@dataclass(frozen=True)
class Placed:
    """Where a label went: page (1-based), position on it, and its rectangle in mm (for tests and reprints)."""

    code: str
    page: int
    position: int
    x: float
    y: float
    w: float
    h: float


def barcode_modules(data: str, symbology: str) -> str:
    """'1' for a bar module, '0' for a space, quiet zones excluded."""
    import barcode

    if symbology == "code39":
        symbol = barcode.get_barcode_class("code39")(data, add_checksum=False)
    else:
        symbol = barcode.get_barcode_class("code128")(data)
    return symbol.build()[0]


def _safe(text: str, font: str) -> str:
    """helvetica, use_font's fallback, has latin-1 only: dashes and ellipses folded, the rest replaced."""
    if font != "helvetica":
        return text
    return text.replace("—", "-").replace("–", "-").replace("…", "...").encode("latin-1", "replace").decode("latin-1")


def fit(pdf, text: str, width: float) -> str:
    """`text` cut with an ellipsis to `width` mm at the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    ellipsis = "…" if pdf.font_family != "helvetica" else "..."
    while text and pdf.get_string_width(text + ellipsis) > width:
        text = text[:-1]
    return text + ellipsis if text else ""


def render(labels: list[Label], stock: Stock, *, start: int = 1, copies: int = 1) -> tuple[bytes, list[Placed]]:
    """The PDF of `labels` (each `copies` times) on `stock`, from sheet position `start`."""
    from fpdf import FPDF

    if stock.kind != "sheet" and start != 1:
        raise ValueError(f"{stock.id} is a {stock.kind}, not a sheet: it has no positions to start from")
    if stock.kind == "sheet" and not 1 <= start <= stock.per_page:
        raise ValueError(f"start position {start} is not on a {stock.id} sheet (1–{stock.per_page})")
    pdf = FPDF(unit="mm", format=stock.page)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_creator("dse-tui")
    font = use_font(pdf)
    placed: list[Placed] = []
    position = start if stock.kind == "sheet" else 1
    page = 0
    for label in [lb for lb in labels for _ in range(copies)]:
        if page == 0 or position > stock.per_page:
            pdf.add_page()
            page += 1
            position = position if page == 1 else 1
        x, y = stock.position(position)
        w, h = stock.label
        _draw(pdf, font, label, x, y, w, h)
        placed.append(Placed(label.code, page, position, x, y, w, h))
        position += 1
    return bytes(pdf.output()), placed


def _draw(pdf, font: str, label: Label, x: float, y: float, w: float, h: float) -> None:
    pdf.set_draw_color(200)
    pdf.set_line_width(0.1)
    pdf.rect(x, y, w, h)  # a faint outline: where to cut on plain paper, under the die-cut on label stock
    inner_w, inner_h = w - 2 * PAD, h - 2 * PAD
    if label.is_lto or h < 20:
        _draw_strip(pdf, font, label, x + PAD, y + PAD, inner_w, inner_h)
        return
    # The barcode across the whole width at the bottom (wide modules scan best); above it the words, and
    # the QR code on the right.
    bar_h = min(max(5.0, inner_h * 0.24), 25.0)
    top_h = inner_h - bar_h - 1.0
    qr_side = min(top_h, inner_w * 0.38, 40.0)
    draw_qr(pdf, label.qr, x + w - PAD - qr_side, y + PAD, qr_side)
    _barcode(pdf, label, x + PAD, y + h - PAD - bar_h, inner_w, bar_h)
    lines = _lines(label, font)
    max_pt = min(14.0, max(MAX_PT, h / 8))
    below = top_h - qr_side - PAD
    if below < 8:  # a small label: the words beside the QR code only
        _text(pdf, font, lines, x + PAD, y + PAD, inner_w - qr_side - PAD, top_h, max_pt=max_pt)
        return
    # A tall label (a case insert): the code and sequence beside the QR code, the rest across the width.
    _text(pdf, font, lines[:1], x + PAD, y + PAD, inner_w - qr_side - PAD, qr_side, max_pt=max_pt * 1.6)
    _text(pdf, font, lines[1:], x + PAD, y + PAD + qr_side + PAD, inner_w, below, bold_first=False,
          max_pt=max_pt)


def _draw_strip(pdf, font: str, label: Label, x: float, y: float, w: float, h: float) -> None:
    """LTO-style: the code in large type above a full-width Code 39, as tape libraries read it."""
    text_h = h * 0.32
    _text(pdf, font, [_safe(label.code, font)], x, y, w, text_h, bold_first=True, max_pt=text_h / PT)
    _barcode(pdf, label, x, y + text_h + 0.5, w, h - text_h - 0.5)


def _lines(label: Label, font: str) -> list[str]:
    return [_safe(line, font) for line in text_lines(label)]


def _text(pdf, font: str, lines: list[str], x: float, y: float, w: float, h: float, *, bold_first: bool = True,
          max_pt: float = MAX_PT) -> None:
    """As many lines as fit, at the largest size (MIN_PT..max_pt) that fits them; each cut to the width."""
    def style(i: int, size: float, count: int) -> tuple[str, float]:
        bold = bold_first and i == 0
        return ("B" if bold else ""), size * (1.25 if bold and count > 1 else 1)

    def widest(size: float) -> float:
        # Each line measured as it will be drawn: a bold first line is wider than its regular text (the
        # case insert's "CODE  (1 of 3)" was cut to "(1 …").
        out = 0.0
        for i, line in enumerate(lines):
            pdf.set_font(font, *style(i, size, len(lines)))
            out = max(out, pdf.get_string_width(line))
        return out

    size = max_pt
    while size > MIN_PT and len(lines) * size * PT * 1.15 > h:
        size -= 0.25
    # Smaller still, down to MIN_PT, until the widest line fits too; past that, lines are cut.
    while size > MIN_PT and widest(size) > w:
        size -= 0.25
    line_h = size * PT * 1.15
    fitting = max(1, int(h // line_h))
    if len(lines) > fitting:  # the last line that fits says there is more
        lines = lines[: fitting - 1] + ["…" if font != "helvetica" else "..."] if fitting > 1 else lines[:1]
    for i, line in enumerate(lines):
        pdf.set_font(font, *style(i, size, len(lines)))
        if (i + 1) * line_h > h + 0.01:
            break
        pdf.set_xy(x, y + i * line_h)
        pdf.cell(w, line_h, fit(pdf, line, w))


def _barcode(pdf, label: Label, x: float, y: float, w: float, h: float) -> None:
    modules = barcode_modules(label.barcode, label.symbology)
    quiet = 10  # modules of quiet zone on each side
    module = w / (len(modules) + 2 * quiet)
    pdf.set_fill_color(0)
    c = 0
    while c < len(modules):
        if modules[c] == "1":
            start = c
            while c < len(modules) and modules[c] == "1":
                c += 1
            pdf.rect(x + (start + quiet) * module, y, (c - start) * module, h, style="F")
        else:
            c += 1
