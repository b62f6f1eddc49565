"""Making labels: content from the catalog, rendered on a stock (PDF, or ZPL on a Zebra stock), written to
a file and, when a printer is named, sent through CUPS; the event recorded with the job id."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dse_tui.core.catalog import Catalog, current_operator
from dse_tui.core.labels.pdf import Placed, render
from dse_tui.core.labels.content import Label, labels_for
from dse_tui.core.labels.zpl import render_zpl
from dse_tui.core.destinations.media import MediaError
from dse_tui.core.labels.printing import print_file
from dse_tui.core.labels.stocks import Stock
from dse_tui.core.common.timeutil import utcnow


@dataclass
class LabelJob:
    labels: list[Label]
    stock: Stock
    path: Path | None = None
    queue: str | None = None
    job_id: str | None = None
    placed: list[Placed] = field(default_factory=list)


def resolve(profile, stock_id: str | None, printer: str | None) -> tuple[Stock, str | None]:
    """The stock (asked for, the printer's, or the profile's default) and the CUPS queue of `printer` (a
    printer id of the profile, or a queue name)."""
    queue, printer_stock = (profile.printers.get(printer) or (printer, None)) if printer else (None, None)
    wanted = stock_id or printer_stock or profile.label_stock
    stock = profile.label_stocks.get(wanted)
    if stock is None:
        raise MediaError(f"unknown stock {wanted!r}; known: {', '.join(sorted(profile.label_stocks))}")
    return stock, queue


def make_labels(profile, catalog: Catalog, codes: list[str], *, stock_id: str | None = None,
                printer: str | None = None, output: Path | None = None, fmt: str | None = None, start: int = 1,
                copies: int = 1, operator: str | None = None) -> LabelJob:
    """Render (and print). MediaError for an unknown medium or stock, ValueError for a bad position,
    PrintError when CUPS refuses (the file is kept and named)."""
    operator = operator or current_operator()
    stock, queue = resolve(profile, stock_id, printer)
    labels = labels_for(profile, catalog, codes, operator)
    fmt = fmt or ("zpl" if stock.kind == "zpl" else "pdf")
    job = LabelJob(labels, stock, queue=queue)
    if fmt == "zpl":
        data = render_zpl(labels, stock, copies).encode()
    else:
        data, job.placed = render(labels, stock, start=start, copies=copies)
    if output is None:
        folder = profile.storage_root / "labels"
        folder.mkdir(parents=True, exist_ok=True)
        output = folder / f"{utcnow():%Y%m%dT%H%M%SZ}-{codes[0]}{'-etc' if len(codes) > 1 else ''}.{fmt}"
    output.write_bytes(data)
    job.path = output
    detail = {"codes": codes, "stock": stock.id, "file": str(output), "start": start, "copies": copies}
    if queue:
        # The sheet at its own size, never scaled: a label position is a position on the stock.
        media = {(210, 297): "A4", (215.9, 279.4): "Letter"}.get(stock.page, f"Custom.{stock.page[0]:g}x{stock.page[1]:g}mm")
        job.job_id = print_file(output, queue, raw=fmt == "zpl", title=f"dse-tui labels {output.stem}",
                                options=[] if fmt == "zpl" else [f"media={media}", "print-scaling=none"])
        catalog.record_event("label printed", "ok", operator=operator, detail={**detail, "queue": queue,
                                                                                 "job": job.job_id})
    else:
        catalog.record_event("label made", "ok", operator=operator, detail=detail)
    return job
