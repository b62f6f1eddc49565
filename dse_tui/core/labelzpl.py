"""Labels as ZPL II for Zebra printers: the same words as the PDF, a QR code (^BQ, model 2, level M) and
the barcode (^B3 Code 39 or ^BC Code 128), on the stock's size at its printer's resolution."""

from __future__ import annotations

from dse_tui.core.labels import Label, text_lines
from dse_tui.core.stocks import Stock

MM_PER_INCH = 25.4


def _clean(text: str) -> str:
    """ZPL field data: no ^ or ~ (they start commands)."""
    return text.replace("^", " ").replace("~", " ")


def render_zpl(labels: list[Label], stock: Stock, copies: int = 1) -> str:
    dots = stock.dpi / MM_PER_INCH
    w, h = round(stock.label[0] * dots), round(stock.label[1] * dots)
    pad = round(1.5 * dots)
    out = []
    for label in labels:
        bar_h = max(round(5 * dots), round(h * 0.24))
        qr_mag = max(2, min(10, round((h - bar_h - 3 * pad) / 41)))  # ~41 modules with quiet zone
        qr_side = qr_mag * 33
        text_w = w - 3 * pad - qr_side
        lines = [_clean(t) for t in text_lines(label)]
        avail = h - bar_h - 3 * pad
        size = max(14, min(36, avail // max(1, len(lines)) - 2))
        per_line = max(4, int(text_w / (size * 0.55)))
        zpl = ["^XA", "^CI28", f"^PW{w}", f"^LL{h}", "^LH0,0"]
        for i, line in enumerate(lines):
            if (i + 1) * (size + 2) > avail:
                break
            shown = line if len(line) <= per_line else line[: per_line - 1] + "…"
            zpl.append(f"^FO{pad},{pad + i * (size + 2)}^A0N,{size},{size}^FD{shown}^FS")
        zpl.append(f"^FO{w - pad - qr_side},{pad}^BQN,2,{qr_mag}^FDMA,{_clean(label.qr)}^FS")
        module = max(1, min(4, (w - 2 * pad) // (16 * len(label.barcode) + 40)))
        if label.symbology == "code39":
            zpl.append(f"^FO{pad},{h - pad - bar_h}^BY{module},3,{bar_h}^B3N,N,{bar_h},N,N^FD{_clean(label.barcode)}^FS")
        else:
            zpl.append(f"^FO{pad},{h - pad - bar_h}^BY{module},3,{bar_h}^BCN,{bar_h},N,N,N^FD{_clean(label.barcode)}^FS")
        zpl += [f"^PQ{copies}", "^XZ"]
        out.append("\n".join(zpl))
    return "\n".join(out) + "\n"
