"""The profile's `labels:` section: the default stock and barcode, the site's own stocks by their measures,
and the printers (CUPS queues) with the stock each holds."""

from __future__ import annotations

from dse_tui.core.profile.schema import INVALID, Checker, Enum, Field, Int, List, Mapping, Schema, Str
from dse_tui.core.labels.stocks import BUILT_IN, Stock

BARCODES = ("code39", "code128")


class _Mm(Schema):
    expected = "a length in millimetres"

    def check(self, value, path, c):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            return self.wrong_type(value, path, c)
        return float(value)


class _Pair(Schema):
    expected = "[width, height] in millimetres"

    def check(self, value, path, c):
        if not (isinstance(value, list) and len(value) == 2
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in value)):
            return self.wrong_type(value, path, c)
        return (float(value[0]), float(value[1]))


class _Count(Schema):
    expected = "a whole number ≥ 1"

    def check(self, value, path, c):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return self.wrong_type(value, path, c)
        return value


def _fits(stock: dict, path, c: Checker) -> None:
    if any(stock[k] is None for k in ("page", "label")) or any(v is INVALID for v in stock.values()):
        return  # already reported
    px, py = stock["pitch"] or stock["label"]
    right = stock["left"] + (stock["cols"] - 1) * px + stock["label"][0]
    bottom = stock["top"] + (stock["rows"] - 1) * py + stock["label"][1]
    if right > stock["page"][0] + 0.01 or bottom > stock["page"][1] + 0.01:
        c.error(path, f"the labels do not fit the page: they reach {right:.1f} × {bottom:.1f} mm of a "
                      f"{stock['page'][0]:g} × {stock['page'][1]:g} mm page")


STOCK = Mapping({
    "id": Field(Str(r"[a-z0-9][a-z0-9._-]*", "lower-case letters, digits, '.', '_' or '-'"), required=True),
    "description": Field(Str(), default=""),
    "page": Field(_Pair(), required=True),
    "label": Field(_Pair(), required=True),
    "cols": Field(_Count(), default=1),
    "rows": Field(_Count(), default=1),
    "left": Field(_Mm(), default=0.0),
    "top": Field(_Mm(), default=0.0),
    "pitch": Field(_Pair()),
    "kind": Field(Enum("sheet", "roll", "zpl"), default="sheet"),
    "dpi": Field(Int(100, 1200), default=203),  # a ZPL printer's resolution
}, extra_check=_fits)

LABELS = Mapping({
    "stock": Field(Str(), default="avery-l7160"),
    "barcode": Field(Enum(*BARCODES), default="code39"),
    "stocks": Field(List(STOCK), default=list),
    "printers": Field(List(Mapping({
        "id": Field(Str(r"[a-z0-9][a-z0-9._-]*", "lower-case letters, digits, '.', '_' or '-'"), required=True),
        "queue": Field(Str(), required=True),
        "stock": Field(Str()),
    })), default=list),
})


DEFAULTS = {"stock": "avery-l7160", "barcode": "code39", "stocks": [], "printers": []}


def check_references(labels: dict, c: Checker) -> None:
    """Stocks named by the default and the printers exist."""
    labels = {**DEFAULTS, **labels}
    known = set(BUILT_IN) | {s["id"] for s in labels["stocks"] if isinstance(s, dict) and isinstance(s.get("id"), str)}
    if isinstance(labels.get("stock"), str) and labels["stock"] not in known:
        c.error(("labels", "stock"), f"unknown stock '{labels['stock']}'; known: {', '.join(sorted(known))}")
    for i, p in enumerate(labels["printers"] if isinstance(labels["printers"], list) else []):
        if isinstance(p, dict) and isinstance(p.get("stock"), str) and p["stock"] not in known:
            c.error(("labels", "printers", i, "stock"), f"unknown stock '{p['stock']}'; known: {', '.join(sorted(known))}")


def build(labels: dict) -> tuple[dict[str, Stock], str, str, dict[str, tuple[str, str | None]]]:
    """(stocks by id, default stock, barcode, printers: id → (queue, stock))."""
    labels = {**DEFAULTS, **labels}
    stocks = dict(BUILT_IN)
    for s in labels["stocks"]:
        stocks[s["id"]] = Stock(s["id"], s["description"] or s["id"], s["page"], s["label"], s["cols"], s["rows"],
                                s["left"], s["top"], s["pitch"], s["kind"], s["dpi"])
    printers = {p["id"]: (p["queue"], p["stock"]) for p in labels["printers"]}
    return stocks, labels["stock"], labels["barcode"], printers
