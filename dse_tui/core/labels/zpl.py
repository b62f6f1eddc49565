"""Labels as ZPL II for Zebra printers: the same words as the PDF, a QR code (^BQ, model 2, level M) and
the barcode (^B3 Code 39 or ^BC Code 128), on the stock's size at its printer's resolution."""

from __future__ import annotations

from dse_tui.core.labels.content import Label, text_lines
from dse_tui.core.labels.stocks import Stock

MM_PER_INCH = 25.4


def _clean(text: str) -> str:
    """Words in ZPL field data: no ^ or ~ (they start commands)."""
    return text.replace("^", " ").replace("~", " ")


def _hex_escaped(text: str) -> str:
    """Barcode data kept exact: ^, ~ and \\ written as hex under ^FH\\."""
    return "".join(f"\\{ord(ch):02X}" if ch in "^~\\" else ch for ch in text)


def render_zpl(labels: list[Label], stock: Stock, copies: int = 1) -> str:
    from dse_tui.core.common.pdfdraw import qr_matrix

    dots = stock.dpi / MM_PER_INCH
    w, h = round(stock.label[0] * dots), round(stock.label[1] * dots)
    pad = round(1.5 * dots)
    out = []
    for label in labels:
        bar_h = max(round(5 * dots), round(h * 0.24))
        modules = len(qr_matrix(label.qr))  # the printer picks the same version for the same data
        qr_mag = max(2, min(10, (h - bar_h - 3 * pad) // (modules + 8)))
        qr_side = qr_mag * (modules + 8)  # with its quiet zone: 4 modules each side
        text_w = w - 2 * pad - qr_side
        lines = [_clean(t) for t in text_lines(label)]
        avail = h - bar_h - 3 * pad
        size = max(14, min(36, avail // max(1, len(lines)) - 2))
        while size > 14 and max(len(t) for t in lines) * size * 0.55 > text_w:
            size -= 1  # smaller until the longest line fits, then cut
        per_line = max(4, int(text_w / (size * 0.55)))
        fitting = max(1, avail // (size + 2))
        if len(lines) > fitting:
            lines = lines[: fitting - 1] + ["…"]
        zpl = ["^XA", "^CI28", f"^PW{w}", f"^LL{h}", "^LH0,0"]
        for i, line in enumerate(lines):
            shown = line if len(line) <= per_line else line[: per_line - 1] + "…"
            zpl.append(f"^FO{pad},{pad + i * (size + 2)}^A0N,{size},{size}^FD{shown}^FS")
        zpl.append(f"^FO{w - pad - qr_side + 4 * qr_mag},{pad}^BQN,2,{qr_mag}^FDMA,{_clean(label.qr)}^FS")
        module = max(1, min(4, (w - 2 * pad) // (16 * len(label.barcode) + 60)))
        quiet = 10 * module  # the barcode's quiet zone: ten modules
        data = _hex_escaped(label.barcode)
        if label.symbology == "code39":
            zpl.append(f"^FO{pad + quiet},{h - pad - bar_h}^BY{module},3,{bar_h}^B3N,N,{bar_h},N,N^FH\\^FD{data}^FS")
        else:
            zpl.append(f"^FO{pad + quiet},{h - pad - bar_h}^BY{module},3,{bar_h}^BCN,{bar_h},N,N,N^FH\\^FD{data}^FS")
        zpl += [f"^PQ{copies}", "^XZ"]
        out.append("\n".join(zpl))
    return "\n".join(out) + "\n"
