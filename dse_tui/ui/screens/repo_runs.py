"""One repository's runs: their verification and copies; verify one (with progress and cancel, each
check's outcome shown), restore one, accept one that only the shrink rule held back."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Static

from dse_tui.core.catalog import Run
from dse_tui.core.catalog.checks import RunFacts
from dse_tui.core.profile.model import VERIFY_LEVELS, Repository
from dse_tui.core.drivers.files.tarstream import FAILING
from dse_tui.core.common.fmt import size
from dse_tui.core.texts import check_name, word
from dse_tui.i18n import tr
from dse_tui.ui.context import ConsoleApp
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandScreen
from dse_tui.ui.screens.medium_restore import MediumRestore
from dse_tui.ui.screens.restore_work import WORK_CSS, RestoreWork
from dse_tui.ui.screens.verify_work import VerifyWork
from dse_tui.ui.widgets.table import Table
from dse_tui.ui.widgets.footer import ConsoleFooter


INDEX_AFTER = 0.5  # seconds the cursor rests on a run before its contents are indexed
RUN_STYLES = {"good": "green", "failed": "bold red", "cancelled": "yellow", "running": "cyan"}


class RepoRunsScreen(VerifyWork, MediumRestore, RestoreWork, CommandScreen):
    DEFAULT_CSS = """
    RepoRunsScreen #heading { height: auto; padding: 0 1; }
    RepoRunsScreen #handoff { height: auto; padding: 0 1; color: $error; text-style: bold; }
    RepoRunsScreen #runs { height: 1fr; min-height: 6; }
    RepoRunsScreen #checks-box { height: 1fr; border-top: solid $primary; padding: 0 1; }
    """ + WORK_CSS.format(name="RepoRunsScreen")
    AUTO_FOCUS = "#runs"
    COMMAND_TABLE = tuple(Command(cid, key, action, text=f"rcmd.{cid}") for cid, key, action in (
        ("verify", "v", "verify"), ("level", "n", "next_level"), ("cancel", "x", "cancel"),
        ("restore", "t", "restore"), ("contents", "b", "contents"), ("medium", "f", "medium"), ("accept", "a", "accept"), ("checklist", "m", "checklist"),
        ("sessions", "s", "sessions"), ("events", "h", "events"), ("back", "escape", "back")))

    app: ConsoleApp

    def __init__(self, repo: Repository, lang: str):
        super().__init__()
        self.repo = repo
        self.lang = lang
        self.level = repo.verify
        self.runs: list[Run] = []
        self._read_at: int | None = None  # the catalog's data_version when the rows were read
        self.facts: dict[int, RunFacts] = {}  # run id → what its row and its keys' checks need, read at reload
        self.cancel_event: threading.Event | None = None
        self.busy: str | None = None  # "verify" | "restore" while a worker runs
        self.live_checks: list[str] = []
        self.not_archived: dict[int, list[dict] | None] = {}  # run id → its manifest's not_archived (None: loading)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading")
        yield Static(id="handoff")
        yield Table(id="runs", cursor_type="row", zebra_stripes=True)
        yield from self.compose_work()
        with VerticalScroll(id="checks-box"):
            yield Static(id="checks")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.title = tr("history.title", self.lang, name=self.repo.name)
        table = self.query_one("#runs", DataTable)
        for key in ("run", "started", "state", "size", "verified", "copies", "note"):
            label = tr(f"runs.col.{key}", self.lang) if key in ("run", "state", "verified", "copies", "note") \
                else tr(f"col.{key}", self.lang)
            table.add_column(label, key=key)
        self.query_one("#work").display = False
        self.reload()

    # ----------------------------------------------------------- data

    def on_screen_resume(self) -> None:
        """Back from a screen that changed the catalog (a session finished and registered, a copy, a label):
        the rows are read again, else they say what was true before."""
        if self._read_at is not None and self.app.catalog is not None and \
                self.app.catalog.data_version() != self._read_at:
            self.reload()

    def reload(self) -> None:
        self._read_at = self.app.catalog.data_version()
        keep = self.selected_run().id if self.selected_run() else None
        # A few queries for all the rows (the keys' checks read this too, never the catalog).
        history = self.app.catalog.run_history(self.repo.id, 200)
        self.runs = [f.run for f in history]
        self.facts = {f.run.id: f for f in history}
        table = self.query_one("#runs", DataTable)
        table.clear()
        for f in history:
            run, v = f.run, f.verification
            verified = Text("-") if v is None else Text(
                f"{tr('outcome.' + v.outcome, self.lang)} · {tr('level.' + v.level, self.lang)}",
                style={"passed": "green", "failed": "red"}.get(v.outcome, ""))
            note = "" if run.artifact is None and run.state == "good" else (run.message or "")
            if f.pruned:
                note = "pruned"
            elif run.trigger == "manual" and f.session_id:
                note = f"{tr('runs.manual', self.lang, session=f.session_id)} {note}"
            table.add_row(f"r{run.id}", f"{run.started_at.astimezone():%Y-%m-%d %H:%M}",
                          Text(tr(f"run.{run.state}", self.lang), style=RUN_STYLES.get(run.state, "")),
                          size(run.size), verified, str(f.copies), note[:80], key=str(run.id))
        if keep is not None and str(keep) in table.rows:
            table.move_cursor(row=table.get_row_index(str(keep)))
        status = self.show_heading()
        handoff = self.query_one("#handoff", Static)
        handoff.display = bool(status and status.state == "manual-required")
        if handoff.display:
            handoff.update(tr("runs.handoff", self.lang, reason=escape(status.reason or "")))
        if not self.runs:
            self.query_one("#checks", Static).update(tr("runs.no_runs", self.lang))
        self.show_checks()
        self.refresh_keys()

    def show_heading(self):
        """The repository, its state and the level `v` verifies at; its status, as the console has it."""
        status = next((s for s in self.app.statuses if s.repository.id == self.repo.id), None)
        state = tr(f"state.{status.state}", self.lang) if status else ""
        self.query_one("#heading", Static).update(
            f"[b]{escape(self.repo.name)}[/b] · {escape(self.repo.location)} · {state} · "
            f"{tr('runs.level', self.lang)}: [b]{tr('level.' + self.level, self.lang)}[/b]")
        return status

    def selected_run(self) -> Run | None:
        table = self.query_one("#runs", DataTable)
        if not self.runs or table.cursor_row is None or table.cursor_row >= len(self.runs):
            return None
        return self.runs[table.cursor_row]

    def show_checks(self) -> None:
        if self.busy == "verify":
            return
        run = self.selected_run()
        if run is None:
            return
        last = self.app.catalog.verifications(run.id, 1)
        if not last:
            lines = [self._nothing_kept(run) or tr("runs.no_checks", self.lang, run=run.id)]
        else:
            v = last[0]
            lines = [tr("runs.checks", self.lang, run=run.id, level=tr("level." + v.level, self.lang),
                        outcome=tr("outcome." + v.outcome, self.lang),
                        when=f"{v.started_at.astimezone():%Y-%m-%d %H:%M}")
                     + " · " + (tr("runs.checks_by", self.lang, trigger=word("trigger", v.trigger, self.lang),
                                   operator=v.operator) if v.operator else word("trigger", v.trigger, self.lang))]
            lines += [_check_line(check_name(c["name"], self.lang), c["ok"], c["detail"], c.get("inconclusive", False))
                      for c in v.checks]
        self.query_one("#checks", Static).update("\n".join(lines + self._not_archived_lines(run)))

    def _not_archived_lines(self, run: Run) -> list[str]:
        """What the run's archive lacks of the source (files runs), from its manifest, read off the UI thread:
        a manifest lists every file of the tree."""
        if run.id not in self.not_archived:
            if run.manifest:  # only a files run lists what it did not archive; others read as none
                self.not_archived[run.id] = None
                self._load_not_archived(run.id, run.manifest)
            return []
        entries = self.not_archived[run.id] or []
        if not entries:
            return []
        return ["", tr("runs.not_archived", self.lang, n=len(entries))] + [_not_archived_line(e, self.lang) for e in entries]

    @work(thread=True, group="not-archived", exit_on_error=False)
    def _load_not_archived(self, run_id: int, manifest: str) -> None:
        try:
            entries = json.loads(Path(manifest).read_text()).get("not_archived", [])
        except (OSError, ValueError):  # pruned, or not readable here: nothing to show
            entries = []
        self.app.call_from_thread(self._not_archived_loaded, run_id, entries)

    def _not_archived_loaded(self, run_id: int, entries: list[dict]) -> None:
        self.not_archived[run_id] = entries
        run = self.selected_run()
        if entries and run is not None and run.id == run_id:
            self.show_checks()

    @on(DataTable.RowHighlighted, "#runs")
    def _highlighted(self) -> None:
        self.show_checks()
        self.refresh_keys()
        # Once the cursor rests on a run, its contents' index is made (b then opens them at once).
        if getattr(self, "_index_timer", None) is not None:
            self._index_timer.stop()
        self._index_timer = self.set_timer(INDEX_AFTER, self._index_selected)

    def _index_selected(self) -> None:
        run = self.selected_run()
        if run is not None and run.manifest and run.sha256 and self._nothing_kept(run) is None:
            self._make_index(run)

    @work(thread=True, exclusive=True, group="contents-index", exit_on_error=False)
    def _make_index(self, run: Run) -> None:
        from dse_tui.core.restore.contents import ContentsError
        from dse_tui.core.restore.contents_index import run_contents

        try:
            run_contents(self.app.profile.storage_root, run)
        except ContentsError:  # said when the contents are opened
            pass

    # ----------------------------------------------------------- actions

    def why_not(self, action: str) -> str | None:
        if action == "cancel":
            return None if self.busy is not None else tr("why.idle", self.lang)
        if action not in ("verify", "restore", "contents", "accept", "medium"):
            return None
        if self.busy is not None:
            return tr("runs.busy", self.lang)
        run = self.selected_run() if self.is_mounted else None
        if run is None:
            return tr("why.no_run", self.lang)
        if action == "accept":
            from dse_tui.core.verification.runs import shrink_only

            facts = self.facts[run.id]
            if shrink_only(run, facts.verification, facts.pruned):
                return None
            return tr("why.accept_good" if run.state == "good" else "why.accept_shrink_only", self.lang, run=run.id)
        if action == "contents":
            from dse_tui.ui.screens.versions import restores_parts

            if not restores_parts(self.repo):  # only a run of files and folders lists them
                return tr("why.no_contents", self.lang, driver=self.repo.driver)
        return self.medium_why_not(run) if action == "medium" else self._nothing_kept(run)

    def _nothing_kept(self, run: Run) -> str | None:
        """Why a run cannot be verified or restored: it kept nothing (it failed or was cancelled), or was pruned."""
        if run.artifact is None:
            return tr("why.nothing_kept", self.lang, run=run.id, state=tr(f"run.{run.state}", self.lang))
        if self.facts[run.id].pruned:
            return tr("why.pruned", self.lang, run=run.id)
        return None

    def action_checklist(self) -> None:
        from dse_tui.ui.screens.checklist_view import open_checklist

        status = next((s for s in self.app.statuses if s.repository.id == self.repo.id), None)
        if status is not None:
            open_checklist(self.app, status)

    def action_events(self) -> None:
        """The repository's history: every event about it, newest first."""
        from dse_tui.ui.screens.event_log import EventLogScreen

        self.app.push_screen(EventLogScreen(self.lang, self.repo.id))

    def action_sessions(self) -> None:
        from dse_tui.ui.screens.session_list import SessionListScreen

        self.app.push_screen(SessionListScreen(self.repo, self.lang))

    def action_back(self) -> None:
        if self.busy is not None:  # its worker reports back to this screen: cancel (x) and wait, first
            self.notify(tr("runs.busy", self.lang), severity="warning")
            return
        self.dismiss()

    def action_next_level(self) -> None:
        self.level = VERIFY_LEVELS[(VERIFY_LEVELS.index(self.level) + 1) % len(VERIFY_LEVELS)]
        self.show_heading()  # the runs are as they were: no reload for a level chosen

    def after_work(self) -> None:
        self.app.refresh_statuses()
        self.reload()

    def action_restore(self) -> None:
        from dse_tui.ui.screens.restore_dialog import RestoreDialog

        run = self.selected_run()
        if run is not None:
            self.app.push_screen(RestoreDialog(self.app.profile, run, self.lang), self.begin_restore)

    def action_contents(self) -> None:
        from dse_tui.ui.screens.contents import ContentsScreen

        run = self.selected_run()
        if run is not None:
            self.app.push_screen(ContentsScreen(self.repo, run, self.lang))

    def action_accept(self) -> None:
        from dse_tui.core.verification.runs import accept_run
        from dse_tui.ui.screens.restore_dialog import AcceptDialog

        run = self.selected_run()
        if run is None:
            return

        def given(reason: str | None) -> None:
            if reason:
                from dse_tui.core.verification.runs import AcceptError

                try:
                    accept_run(self.app.catalog, self.app.catalog.run(run.id), reason)
                except AcceptError as exc:
                    self.notify(str(exc), severity="error")
                    return
                self.notify(tr("runs.accepted", self.lang, run=run.id))
                self.app.refresh_statuses()
                self.reload()

        self.app.push_screen(AcceptDialog(run, self.lang), given)


def _not_archived_line(entry: dict, lang: str) -> str:
    mark = "[bold red]✗[/]" if entry["reason"] in FAILING else "[yellow]![/]"
    path = entry["path"] + ("/" if entry["type"] == "dir" else "")
    detail = f" ({entry['detail']})" if entry.get("detail") else ""
    return f"{mark} {escape(path)}: {escape(tr('notarchived.' + entry['reason'], lang))}{escape(detail)}"


def _check_line(name: str, ok: bool, detail: str, inconclusive: bool = False) -> str:
    # A check that could not be made (a key, a server, a tool out of reach) is not a failed one.
    mark = "[green]✓[/]" if ok else "[yellow]?[/]" if inconclusive else "[bold red]✗[/]"
    return f"{mark} {escape(name)}: {escape(detail)}"
