"""A path's versions: the repository's runs where that file or folder changed, newest first, read in a
thread. Enter (o) opens that run's contents at the path (the screen below does, with the version dismissed);
t restores that version of it."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Static

from dse_tui.core import drivers
from dse_tui.core.catalog import Catalog, Run
from dse_tui.core.common.fmt import size
from dse_tui.core.profile.model import Repository
from dse_tui.core.restore.versions import Change, Version, versions
from dse_tui.i18n import tr
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandScreen
from dse_tui.ui.screens.restore_work import WORK_CSS, RestoreWork
from dse_tui.ui.widgets.table import Table
from dse_tui.ui.widgets.footer import ConsoleFooter

HISTORY = 1000  # runs looked at, newest first
VERSION_COLUMNS = ("run", "when", "change", "size", "modified")
CHANGE_STYLES = {Change.ADDED: "green", Change.CHANGED: "cyan", Change.REMOVED: "yellow", Change.PRUNED: "dim",
                 Change.UNREADABLE: "red"}


def when(run: Run, lang: str) -> str:
    """A run's start with its weekday: "as it was on Tuesday" is read off it."""
    at = run.started_at.astimezone()
    return f"{tr(f'weekday.{at.weekday()}', lang)} {at:%Y-%m-%d %H:%M}"


def restores_parts(repo: Repository) -> bool:
    return drivers.get(repo.driver).parts == "paths"


class VersionsScreen(RestoreWork, CommandScreen):
    DEFAULT_CSS = """
    VersionsScreen #heading { height: auto; padding: 0 1; }
    VersionsScreen #versions { height: 1fr; }
    """ + WORK_CSS.format(name="VersionsScreen")
    COMMAND_TABLE = tuple(Command(cid, key, action, text=f"vcmd.{cid}") for cid, key, action in (
        ("open", "o", "open"), ("restore", "t", "restore"), ("cancel", "x", "cancel"), ("back", "escape", "back")))
    AUTO_FOCUS = "#versions"

    def __init__(self, repo: Repository, path: str, folder: bool, lang: str):
        super().__init__()
        self.repo, self.path, self.folder, self.lang = repo, path, folder, lang
        self.found: list[Version] | None = None  # None: still reading

    @property
    def shown_path(self) -> str:
        return self.path + ("/" if self.folder else "")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(tr("versions.loading", self.lang), id="heading")
        yield Table(id="versions", cursor_type="row", zebra_stripes=True)
        yield from self.compose_work()
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.title = tr("versions.title", self.lang, path=self.shown_path, name=self.repo.name)
        self.query_one("#work").display = False
        table = self.query_one("#versions", DataTable)
        for key in VERSION_COLUMNS:
            table.add_column(tr(f"versions.col.{key}", self.lang), key=key)
        self._read()

    @work(thread=True, group="versions-read", exit_on_error=False)
    def _read(self) -> None:
        with Catalog(self.app.profile.catalog_path) as catalog:
            history = catalog.run_history(self.repo.id, HISTORY)
        self.app.call_from_thread(self._show, versions(history, self.path, self.folder))

    def _show(self, found: list[Version]) -> None:
        self.found = found
        table = self.query_one("#versions", DataTable)
        table.clear()
        for v in found:
            table.add_row(f"r{v.run.id}", when(v.run, self.lang),
                          Text(tr(f"versions.{v.change}", self.lang), style=CHANGE_STYLES.get(v.change, "")),
                          self._size_text(v), self._modified(v), key=str(v.run.id))
        heading = "versions.heading" if found else "versions.none"
        self.query_one("#heading", Static).update(tr(heading, self.lang, path=escape(self.shown_path)))
        self.refresh_bindings()

    def _size_text(self, v: Version) -> str:
        if v.size is None:
            return ""
        return tr("versions.files", self.lang, size=size(v.size), files=v.files) if self.folder else size(v.size)

    @staticmethod
    def _modified(v: Version) -> str:
        if v.mtime_ns is None:
            return ""
        return f"{datetime.fromtimestamp(v.mtime_ns / 1e9, timezone.utc).astimezone():%Y-%m-%d %H:%M}"

    def selected(self) -> Version | None:
        table = self.query_one("#versions", DataTable)
        if not self.found or table.cursor_row is None or table.cursor_row >= len(self.found):
            return None
        return self.found[table.cursor_row]

    @on(DataTable.RowHighlighted, "#versions")
    def _moved(self) -> None:
        self.refresh_keys()

    def why_not(self, action: str) -> str | None:
        if action == "cancel":
            return None if self.busy is not None else tr("why.idle", self.lang)
        if action not in ("open", "restore"):
            return None
        v = self.selected() if self.is_mounted else None
        if v is None:
            return tr("versions.loading", self.lang) if self.found is None else tr("why.no_version", self.lang)
        if v.change == Change.PRUNED:
            return tr("why.version_pruned", self.lang, run=v.run.id)
        if v.change == Change.UNREADABLE:
            return v.detail
        if action == "restore":
            if self.busy is not None:
                return tr("runs.busy", self.lang)
            if not restores_parts(self.repo):
                return tr("why.whole_only", self.lang, driver=self.repo.driver)
        if v.change == Change.REMOVED and action == "restore":
            return tr("why.version_gone", self.lang, path=self.shown_path, run=v.run.id)
        return None

    def action_open(self) -> None:
        """Dismissed with the version: the contents screen below opens that run at the path."""
        v = self.selected()
        if v is not None:
            self.dismiss(v)

    @on(DataTable.RowSelected, "#versions")
    def _chosen(self) -> None:
        reason = self.why_not("open")
        if reason:
            self.notify(reason, severity="warning", timeout=8)
        else:
            self.action_open()

    def action_restore(self) -> None:
        from dse_tui.ui.screens.restore_dialog import RestoreDialog

        v = self.selected()
        if v is not None:
            self.app.push_screen(RestoreDialog(self.app.profile, v.run, self.lang, parts=(self.path,)),
                                 self.begin_restore)

    def action_back(self) -> None:
        if self.busy is not None:
            self.notify(tr("runs.busy", self.lang), severity="warning")
            return
        self.dismiss()
