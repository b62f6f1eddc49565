"""Labels for media in the console (step 4.4.1): a preview of each label as it will print (its words, and
its codes as text), the stock, the printer, the first free position on a half-used sheet and the number of
copies; printing through CUPS in a worker, the "label printed" event recorded."""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from dse_tui.core.catalog import Catalog
from dse_tui.i18n import tr
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandScreen
from dse_tui.ui.widgets.footer import ConsoleFooter

PDF_ONLY = "-"
NARROW = 130


class LabelScreen(CommandScreen):
    DEFAULT_CSS = """
    LabelScreen #options { height: auto; padding: 0 1; }
    LabelScreen #options.-narrow { layout: vertical; }
    LabelScreen #options .fields { width: auto; height: auto; }
    LabelScreen #options Label { padding: 1 1 0 0; }
    LabelScreen #options #stock { width: 24; }
    LabelScreen #options #printer { width: 38; }
    LabelScreen #options Input { width: 10; }
    LabelScreen #previews-box { height: 1fr; padding: 0 1; }
    LabelScreen #status { height: auto; padding: 0 1; }
    """
    # The fields take digits only, so `p` prints from anywhere on the screen.
    COMMAND_TABLE = (Command("print", "p", "print", priority=True, text="label.print"),
                     Command("back", "escape", "back", text="scmd.back"))

    def __init__(self, codes: list[str], lang: str):
        super().__init__()
        self.codes, self.lang = codes, lang
        self.busy = False

    def compose(self) -> ComposeResult:
        profile = self.app.profile
        printers = [(f"{pid} ({queue})", pid) for pid, (queue, _) in profile.printers.items()]
        yield Header()
        with Horizontal(id="options"):
            with Horizontal(classes="fields"):
                yield Label(tr("label.stock", self.lang))
                yield Select([(s.id, s.id) for s in profile.label_stocks.values()],
                             value=profile.label_stock, allow_blank=False, id="stock")
                yield Label(tr("label.printer", self.lang))
                yield Select([(tr("label.pdf_only", self.lang), PDF_ONLY)] + printers,
                             value=printers[0][1] if printers else PDF_ONLY, allow_blank=False, id="printer")
            with Horizontal(classes="fields"):
                yield Label(tr("label.start", self.lang))
                yield Input("1", id="start", restrict=r"[0-9]*")
                yield Label(tr("label.copies", self.lang))
                yield Input("1", id="copies", restrict=r"[0-9]*")
        yield Static(id="status")
        with VerticalScroll(id="previews-box"):
            yield Static(id="previews")
        yield ConsoleFooter()

    def on_resize(self, event) -> None:
        # Four fields and their names take about 130 columns: under that, two rows of two, nothing cut.
        self.query_one("#options").set_class(event.size.width < NARROW, "-narrow")

    def on_mount(self) -> None:
        from dse_tui.core.labels.content import labels_for
        from dse_tui.core.destinations.media import MediaError

        self.title = tr("label.title", self.lang, n=len(self.codes))
        try:
            labels = labels_for(self.app.profile, self.app.catalog, self.codes)
        except MediaError as exc:
            self.query_one("#previews", Static).update(f"[red]{escape(str(exc))}[/red]")
            return
        self.labels = labels
        self._printer_changed()
        self._find_queues()

    @work(thread=True, exclusive=True, group="queues", exit_on_error=False)
    def _find_queues(self) -> None:
        """CUPS's own queues beside the profile's printers: asked in a worker (lpstat can take seconds)."""
        from dse_tui.core.labels.printing import cups_queues

        queues, default = cups_queues()
        self.app.call_from_thread(self._queues_found, queues, default)

    def _queues_found(self, queues: list[str], default: str | None) -> None:
        profile_queues = {queue for queue, _ in self.app.profile.printers.values()}
        extra = [q for q in queues if q not in profile_queues]
        if not extra:
            return
        select = self.query_one("#printer", Select)
        chosen = select.value
        options = [(tr("label.pdf_only", self.lang), PDF_ONLY)]
        options += [(f"{pid} ({queue})", pid) for pid, (queue, _) in self.app.profile.printers.items()]
        options += [(tr("label.cups_queue_default" if q == default else "label.cups_queue", self.lang, queue=q), q)
                    for q in extra]
        with select.prevent(Select.Changed):  # the choice stays what it was
            select.set_options(options)
            select.value = chosen

    @on(Select.Changed, "#printer")
    def _printer_changed(self) -> None:
        """A printer that holds a stock: that stock."""
        printer = self.query_one("#printer", Select).value
        stock = self.app.profile.printers.get(printer, (None, None))[1]
        if stock:
            self.query_one("#stock", Select).value = stock
        self._describe()

    @on(Select.Changed, "#stock")
    def _describe(self) -> None:
        from dse_tui.core.labels.content import preview
        from dse_tui.core.labels.stocks import stock_description

        stock = self.app.profile.label_stocks[self.query_one("#stock", Select).value]
        # Text, not markup: "[QR …]" in a preview would read as a style tag.
        self.query_one("#previews", Static).update(Text("\n".join(preview(lb, stock=stock)
                                                                 for lb in getattr(self, "labels", []))))
        self.query_one("#status", Static).update(
            stock_description(stock, self.lang) + (" · " + tr("label.sheet", self.lang, n=stock.per_page) if stock.kind == "sheet" else ""))

    def why_not(self, action: str) -> str | None:
        return tr("label.printing", self.lang) if action == "print" and self.busy else None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group == "labels":  # said by the app (ui/workers.py)
            self.busy = False
            self.refresh_bindings()
            self.query_one("#status", Static).update(f"[red]{escape(str(event.worker.error))}[/red]")

    def action_back(self) -> None:
        if self.busy:
            self.notify(tr("runs.busy", self.lang), severity="warning")
            return
        self.dismiss()

    def action_print(self) -> None:
        try:
            start = int(self.query_one("#start", Input).value or "1")
            copies = int(self.query_one("#copies", Input).value or "1")
        except ValueError:
            return
        stock = self.query_one("#stock", Select).value
        printer = self.query_one("#printer", Select).value
        self.busy = True
        self.refresh_bindings()
        self.query_one("#status", Static).update(tr("label.printing", self.lang))
        self._print(stock, None if printer == PDF_ONLY else printer, max(1, start), max(1, copies))

    @work(thread=True, exclusive=True, group="labels", exit_on_error=False)
    def _print(self, stock: str, printer: str | None, start: int, copies: int) -> None:
        from dse_tui.core.labels.job import make_labels

        result: tuple[bool, str]
        try:
            with Catalog(self.app.profile.catalog_path) as catalog:
                job = make_labels(self.app.profile, catalog, self.codes, stock_id=stock, printer=printer,
                                  start=start, copies=copies)
            result = (True, tr("label.printed" if job.job_id else "label.saved", self.lang, job=job.job_id or "",
                               path=str(job.path)))
        except Exception as exc:  # PrintError (the PDF kept), a bad position, the catalog: said, not fatal
            result = (False, str(exc))
        self.app.call_from_thread(self._printed, *result)

    def _printed(self, ok: bool, message: str) -> None:
        self.busy = False
        self.refresh_bindings()
        self.query_one("#status", Static).update(("" if ok else "[red]") + escape(message) + ("" if ok else "[/red]"))
        self.notify(message, severity="information" if ok else "error", timeout=15)
