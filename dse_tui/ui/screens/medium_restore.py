""""Restore from a medium" on the runs screen: for a run whose own folder was pruned here, the copies of
it that are at hand (a removable disk plugged in, disc images in their folder, a reachable share or
host) are listed; the one chosen is read, made whole and verified by core/restore/place.py, and restored
through the same restore dialog as a run kept here."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Static

from dse_tui.core.catalog import Catalog, Run
from dse_tui.core.profile.model import Profile, Repository
from dse_tui.i18n import tr
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandModal
from dse_tui.ui.screens.reason_dialog import DIALOG_CSS
from dse_tui.ui.widgets.table import Table

WORK = ".copies"  # under the storage root: where a copy from discs or a host is put together


COPY_COLUMNS = ("destination", "media", "where")


class MediumDialog(CommandModal):
    """The run's verified copies, those at hand first; dismissed with the AtHand chosen, or None."""

    DEFAULT_CSS = DIALOG_CSS.format(name="MediumDialog") + "MediumDialog DataTable { height: auto; max-height: 12; }"
    COMMAND_TABLE = (Command("cancel", "escape", "dismiss(None)", text="dialog.cancel"),)

    def __init__(self, profile: Profile, run: Run, lang: str):
        super().__init__()
        self.profile, self.run, self.lang = profile, run, lang
        self.items: list | None = None  # AtHand, once looked for

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{escape(tr('medium.title', self.lang, run=self.run.id))}[/b]")
            yield Static(tr("medium.looking", self.lang), id="status")
            yield Table(id="copies", cursor_type="row")
            with Horizontal():
                yield Button(tr("restore.cancel", self.lang), id="cancel")
                yield Button(tr("medium.use", self.lang), id="use", variant="primary")

    def on_mount(self) -> None:
        table = self.query_one("#copies", DataTable)
        for key in COPY_COLUMNS:
            table.add_column(tr(f"medium.col.{key}", self.lang), key=key)
        self._look()

    @work(thread=True, group="medium-look", exit_on_error=False)
    def _look(self) -> None:
        """lsblk, the image folders, the shares: off the UI thread (an unanswering share takes seconds)."""
        from dse_tui.core.restore.athand import copies_at_hand

        with Catalog(self.profile.catalog_path) as catalog:
            items = copies_at_hand(self.profile, catalog, catalog.run(self.run.id))
        self.app.call_from_thread(self._found, items)

    def _found(self, items: list) -> None:
        self.items = items
        table = self.query_one("#copies", DataTable)
        for i, item in enumerate(items):
            where = escape(", ".join(item.places)) if item.usable else f"[yellow]{escape(item.why_not or '')}[/]"
            if item.usable and item.wanted:
                asks = tr("medium.asks", self.lang, codes=", ".join(w.code for w in item.wanted))
                where = f"{where}{'; ' if where else ''}[yellow]{escape(asks)}[/]"
            table.add_row(escape(f"{item.destination}: {item.what}"), ", ".join(item.media) or "-", where, key=str(i))
        usable = any(item.usable for item in items)
        self.query_one("#status", Static).update(tr("medium.pick" if usable else "medium.none", self.lang))
        table.focus()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#use")
    @on(DataTable.RowSelected, "#copies")
    def _use(self) -> None:
        table = self.query_one("#copies", DataTable)
        if not self.items or table.cursor_row is None or table.cursor_row >= len(self.items):
            return
        item = self.items[table.cursor_row]
        if not item.usable:
            self.notify(tr("medium.not_usable", self.lang, why=item.why_not or ""), severity="warning")
            return
        self.dismiss(item)


@dataclass
class CopySource:
    """An opened copy as the restore dialog asks it: its repository, manifest, and what a target means."""

    opened: object  # place.Opened
    profile: Profile
    repo: Repository
    run: Run  # the run, with the keys that open this copy

    @property
    def manifest(self) -> dict:
        return self.opened.manifest

    @property
    def where(self) -> str:
        return self.opened.where

    def plan(self, target: str, database: str | None, check_exists: bool = True):
        from dse_tui.core.restore.place import CopyPlan, plan

        return CopyPlan(self.opened, self.repo, plan(self.opened, self.profile, self.repo, target, database,
                                                     check_exists=check_exists))


class MediumRestore:
    """The runs screen's "Restore from a medium" (mixed into RepoRunsScreen, whose _start, _stop,
    _restored, selected_run and facts it uses)."""

    def medium_why_not(self, run: Run) -> str | None:
        if run.artifact is None:
            return tr("why.nothing_kept", self.lang, run=run.id, state=tr(f"run.{run.state}", self.lang))
        if not self.facts[run.id].pruned:
            return tr("why.medium_kept", self.lang, run=run.id)
        if not self.facts[run.id].copies:
            return tr("why.medium_no_copies", self.lang, run=run.id)
        return None

    def action_medium(self) -> None:
        run = self.selected_run()
        if run is None:
            return

        def chosen(item) -> None:
            if item is not None and self.busy is None:
                self._start("restore", tr("medium.opening", self.lang, run=run.id, where=", ".join(item.places)))
                self._open_medium(run, item)

        self.app.push_screen(MediumDialog(self.app.profile, run, self.lang), chosen)

    @work(thread=True, exclusive=True, group="runs-screen", exit_on_error=False)
    def _open_medium(self, run: Run, item) -> None:
        from dse_tui.core.keys.crypto import manifest_key_ids
        from dse_tui.core.restore.place import context_for, open_copy

        profile = self.app.profile
        work_dir = Path(profile.storage_root) / WORK
        try:
            places = list(item.places) or self._first_disc(item)
            opened = open_copy(places, run.id, work_dir, ssh=item.ssh, cancel=self.cancel_event, ask=self._ask_disc)
        except Exception as exc:  # PlaceError says what to do; anything else must not end the console
            self.app.call_from_thread(self._restored, "", False, str(exc))
            return
        try:
            _, repo = context_for(opened.manifest, profile, {}, work_dir)
        except Exception as exc:
            opened.close()
            self.app.call_from_thread(self._restored, "", False, str(exc))
            return
        keys = " ".join(manifest_key_ids(opened.manifest)) or None
        source = CopySource(opened, profile, repo, dataclasses.replace(run, key_ids=keys))
        self.app.call_from_thread(self._medium_opened, source)

    def _first_disc(self, item) -> list[str]:
        """No image of the set is here: the first disc asked for, to read the set's index from (worker thread)."""
        from dse_tui.core.restore.found import PlaceError
        from dse_tui.core.texts import Text

        wanted = item.wanted[0]
        while True:
            answer = self._ask_disc(wanted)
            if not answer:
                raise PlaceError("restore.disc.missing", what=wanted.text())
            if Path(answer).expanduser().exists():
                return [str(Path(answer).expanduser())]
            wanted = dataclasses.replace(wanted, problem=Text("restore.disc.no_such_place", place=answer))

    def _ask_disc(self, wanted) -> str | None:
        """A disc not at hand asked for in a dialog, by its code; called by the worker, which waits for the
        answer (None: the operator stopped, or the restore was cancelled)."""
        from concurrent.futures import Future, TimeoutError

        from dse_tui.ui.screens.disc_dialog import DiscDialog

        answer: Future = Future()
        self.app.call_from_thread(self.app.push_screen, DiscDialog(wanted, self.lang), answer.set_result)
        cancel = self.cancel_event
        while True:
            try:
                return answer.result(timeout=0.5)
            except TimeoutError:  # the operator may be away a long while: the console's end stops the wait
                if (cancel is not None and cancel.is_set()) or not self.app.is_running:
                    return None

    def _medium_opened(self, source: CopySource) -> None:
        from dse_tui.ui.screens.restore_dialog import RestoreDialog

        self._stop()

        def chosen(answer) -> None:
            if answer and self.busy is None:
                self._start("restore", tr("restore.will", self.lang, what=answer[0].describe()))
                self._restore_medium(source, *answer)
            else:
                source.opened.close()

        self.app.push_screen(RestoreDialog(self.app.profile, source.run, self.lang, copy=source), chosen)

    @work(thread=True, exclusive=True, group="runs-screen", exit_on_error=False)
    def _restore_medium(self, source: CopySource, plan, force: bool, confirm: str | None, keyring=None) -> None:
        from dse_tui.core.catalog import current_operator
        from dse_tui.core.restore.place import record, restore_copy

        try:
            out = restore_copy(source.opened, source.profile, source.repo, plan.restore_target, force=force,
                               confirm=confirm, keyring=keyring, cancel=self.cancel_event)
            with Catalog(source.profile.catalog_path) as catalog:
                record(catalog, source.profile, source.opened, plan.restore_target, out, current_operator())
            done, message = out.outcome == "done", out.message
        except Exception as exc:  # RestoreError says what to do; anything else must not end the console
            done, message = False, str(exc)
        finally:
            source.opened.close()
        self.app.call_from_thread(self._restored, plan.target, done, message)
