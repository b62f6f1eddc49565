"""The media inventory in the console: search by code, see what a medium holds, change its location or
state, retire it (refused while it holds a run's only copy). Expired media are flagged."""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Input, Static

from dse_tui.i18n import tr
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandScreen
from dse_tui.ui.widgets.table import Table
from dse_tui.ui.widgets.footer import ConsoleFooter

STATE_STYLES = {"in-use": "green", "offsite": "cyan", "full": "yellow", "blank": "dim", "expired": "red",
                "destroyed": "dim strike"}


class MediaScreen(CommandScreen):
    DEFAULT_CSS = """
    MediaScreen #search { margin: 0 1; }
    MediaScreen #plugged { height: auto; padding: 0 1; }
    MediaScreen #media { height: 1fr; }
    MediaScreen #contents-box { height: 12; border-top: solid $primary; padding: 0 1; }
    """
    COMMAND_TABLE = (Command("search", "slash", "search", key_display="/", text="media.key.search"),
                     Command("where", "w", "move", text="media.key.where"),
                     Command("state", "n", "next_state", text="media.key.state"),
                     Command("retire", "d", "retire", text="media.retire"),
                     Command("label", "p", "label", text="media.key.label"),
                     Command("back", "escape", "back", text="scmd.back"))
    AUTO_FOCUS = "#media"

    def __init__(self, lang: str):
        super().__init__()
        self.lang = lang
        self.inventory: list[dict] = []  # every medium, as read at the last load
        self.items: list[dict] = []  # those the search finds, as the table lists them
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="plugged")
        yield Input(id="search", placeholder=tr("media.search", self.lang))
        yield Table(id="media", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="contents-box"):
            yield Static(id="contents")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.title = tr("media.title", self.lang)
        table = self.query_one("#media", DataTable)
        for key in ("code", "kind", "state", "location", "runs", "expires"):
            table.add_column(tr(f"media.col.{key}", self.lang), key=key)
        self.query_one("#contents", Static).update(tr("media.loading", self.lang))
        self.show_plugged()
        self.reload()

    def show_plugged(self) -> None:
        """Which of the profile's removable disks are plugged in now, and where they are mounted: lsblk, once
        for the screen, in a thread."""
        removable = [d for d in self.app.profile.destinations.values() if d.kind == "removable"]
        target = self.query_one("#plugged", Static)
        target.display = bool(removable)
        if removable:
            target.update(f"{tr('media.removable', self.lang)}: …")
            self._probe(removable)

    @work(thread=True, exclusive=True, group="media-devices", exit_on_error=False)
    def _probe(self, removable: list) -> None:
        from dse_tui.core.destinations.devices import DevicesError, block_devices

        try:
            devices: list | DevicesError = block_devices()
        except DevicesError as exc:
            devices = exc
        self.app.call_from_thread(self._plugged, removable, devices)

    def _plugged(self, removable: list, devices) -> None:
        from dse_tui.core.destinations.devices import find_volume

        if not self.is_attached:
            return
        target = self.query_one("#plugged", Static)
        if isinstance(devices, Exception):
            target.update(f"[red]{escape(str(devices))}[/red]")
            return
        parts = []
        for dest in removable:
            dev = find_volume(devices, dest.settings.get("uuid"), dest.settings.get("label"))
            name = escape(f"{dest.id} ({dest.settings.get('label') or dest.settings.get('uuid')})")
            if dev is None:
                parts.append(f"[dim]{name}: {tr('media.unplugged', self.lang)}[/dim]")
            else:
                where = escape(dev.mountpoint) if dev.mountpoint else tr("media.not_mounted", self.lang)
                parts.append(f"[green]●[/] {name}: {where}")
        target.update(f"{tr('media.removable', self.lang)}: " + " · ".join(parts))

    def reload(self) -> None:
        """The whole inventory, read in a thread (a few queries for each medium); the search then only
        filters what was read."""
        self._load(self.app.now())

    @work(thread=True, exclusive=True, group="media-load", exit_on_error=False)
    def _load(self, now) -> None:
        from dse_tui.core.catalog import Catalog
        from dse_tui.core.destinations.media import inventory_item

        with Catalog(self.app.profile.catalog_path) as catalog:
            items = [inventory_item(catalog, m, now) for m in catalog.media()]
        self.app.call_from_thread(self._loaded, items)

    def _loaded(self, items: list[dict]) -> None:
        if not self.is_attached:
            return
        self.inventory = items
        self.loaded = True
        self.show_found()

    def show_found(self, searched: bool = False) -> None:
        """The media whose code holds what the search says. `searched`: only the search changed, the rows
        listed are as read, and those it keeps stay (a table filled again is measured again, every cell)."""
        from dse_tui.core.labels.content import code_from_scan

        # A scanner types the QR code's payload or the barcode: either finds the medium.
        wanted = code_from_scan(self.query_one("#search", Input).value).lower()
        shown = [i["code"] for i in self.items]
        self.items = [i for i in self.inventory if wanted in i["code"].lower()]
        found = {i["code"] for i in self.items}
        table = self.query_one("#media", DataTable)
        keep = table.cursor_row
        if searched and [c for c in shown if c in found] == [i["code"] for i in self.items]:
            for code in shown:  # fewer found (or the same): those no longer found go
                if code not in found:
                    table.remove_row(code)
        else:
            table.clear()
            for i in self.items:
                table.add_row(*self._cells(i), key=i["code"])
        if self.items:
            table.move_cursor(row=min(keep or 0, len(self.items) - 1))
        self.show_contents()
        self.refresh_keys()

    def _cells(self, i: dict) -> tuple:
        expires = Text((i["expires_at"] or "-")[:10] + (f" {tr('media.expired', self.lang)}" if i["expired"] else ""),
                       style="bold red" if i["expired"] else "")
        return (i["code"], i["kind"], Text(tr(f"medium.{i['state']}", self.lang), style=STATE_STYLES.get(i["state"], "")),
                i["location"] or "-",
                ", ".join(f"r{r['run_id']}" + (" 🔒" if r["key_ids"] else "") for r in i["runs"]) or "-", expires)

    def _refresh_item(self, code: str) -> None:
        """The medium just changed, read again at once (its few queries): the next key sees its new state."""
        from dse_tui.core.destinations.media import inventory_item

        medium = self.app.catalog.medium(code)
        if medium is None:
            return
        item = inventory_item(self.app.catalog, medium, self.app.now())
        self.inventory = [item if i["code"] == code else i for i in self.inventory]
        self.items = [item if i["code"] == code else i for i in self.items]
        table = self.query_one("#media", DataTable)
        if code in table.rows:
            for column, value in zip(("code", "kind", "state", "location", "runs", "expires"), self._cells(item)):
                table.update_cell(code, column, value)
        self.show_contents()
        self.refresh_keys()

    def selected(self) -> dict | None:
        table = self.query_one("#media", DataTable)
        if not self.items or table.cursor_row is None or table.cursor_row >= len(self.items):
            return None
        return self.items[table.cursor_row]

    def show_contents(self) -> None:
        item = self.selected()
        target = self.query_one("#contents", Static)
        if item is None:
            target.update(tr("media.none", self.lang))
            return
        facts = [item["kind"], item["volume"] or "", ", ".join(item["sequence"]), item["destination"] or ""]
        lines = [f"[b]{escape(item['code'])}[/b] · " + " · ".join(escape(f) for f in facts if f)]
        for r in item["runs"]:
            key = f"  🔒 {tr('detail.encrypted', self.lang).lower()} {' '.join(r['key_ids'])}" if r["key_ids"] else ""
            lines.append(f"  r{r['run_id']}  {escape(r['repository'])}  {r['started_at'][:16]}{key}")
        if item["note"]:
            lines.append(escape(item["note"]))
        target.update("\n".join(lines))

    @on(DataTable.RowHighlighted, "#media")
    def _highlighted(self) -> None:
        self.show_contents()
        self.refresh_keys()  # n's availability follows the medium's state

    def why_not(self, action: str) -> str | None:
        from dse_tui.core.destinations.media import next_state

        if action not in ("move", "next_state", "retire", "label"):
            return None
        item = self.selected() if self.is_mounted else None
        if item is None:
            return tr("why.no_medium", self.lang)
        if action == "next_state" and next_state(item["state"]) is None:
            return tr("why.state_fixed", self.lang, code=item["code"], state=tr(f"medium.{item['state']}", self.lang))
        return None

    @on(Input.Changed, "#search")
    def _search(self) -> None:
        if self.loaded:
            self.show_found(searched=True)

    @on(Input.Submitted, "#search")
    def _searched(self) -> None:
        self.query_one("#media").focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_back(self) -> None:
        self.dismiss()

    def _change(self, change, **kwargs) -> None:
        from dse_tui.core.destinations.media import MediaError

        item = self.selected()
        if item is None:
            return
        try:
            change(self.app.catalog, item["code"], **kwargs)
        except MediaError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        self._refresh_item(item["code"])

    def action_label(self) -> None:
        """A label lost or damaged: printed again, one key away."""
        from dse_tui.ui.screens.label_screen import LabelScreen

        item = self.selected()
        if item is not None:
            self.app.push_screen(LabelScreen([item["code"]], self.lang))

    def action_next_state(self) -> None:
        """In use → full → off site → in use; erasing (blank) and retiring are never one key press away."""
        from dse_tui.core.destinations.media import move, next_state

        item = self.selected()
        state = next_state(item["state"]) if item is not None else None
        if state is not None:
            self._change(move, state=state)

    def action_move(self) -> None:
        from dse_tui.core.destinations.media import move
        from dse_tui.ui.screens.reason_dialog import ReasonDialog

        item = self.selected()
        if item is None:
            return

        def given(where: str | None) -> None:
            if where:
                self._change(move, location=where)

        self.app.push_screen(ReasonDialog(tr("media.where", self.lang, code=item["code"]), self.lang,
                                          ok=tr("media.move", self.lang), placeholder="media.where.placeholder",
                                          empty="media.where.empty"), given)

    def action_retire(self) -> None:
        from dse_tui.core.destinations.media import retire
        from dse_tui.ui.screens.reason_dialog import ReasonDialog

        item = self.selected()
        if item is None:
            return

        def given(reason: str | None) -> None:
            if reason:
                self._change(retire, reason=reason)

        self.app.push_screen(ReasonDialog(tr("media.why_retire", self.lang, code=item["code"]), self.lang,
                                          ok=tr("media.retire", self.lang)), given)
