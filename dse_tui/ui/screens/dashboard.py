"""The dashboard: every repository with the state of its last backup, what is due and overdue."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Header, Select, Static

from dse_tui.core.profile.model import KINDS
from dse_tui.core.engine.hosts import is_mine, this_host
from dse_tui.core.engine.schedule import STATES, RepoStatus, period_bounds, period_strip
from dse_tui.core.texts import word
from dse_tui.i18n import tr
from dse_tui.ui.commands import DASHBOARD_COMMANDS
from dse_tui.ui.context import ConsoleApp
from dse_tui.ui.screens.base import CommandScreen
from dse_tui.ui.screens.dashboard_filters import ATTENTION, DashboardFilters
from dse_tui.ui.widgets.detail import RepoDetail
from dse_tui.ui.widgets.footer import ConsoleFooter
from dse_tui.ui.widgets.repo_table import RepoTable, state_text
from dse_tui.ui.widgets.runs import RunEnded, RunsPanel

DETAIL_DELAY = 0.08  # seconds the cursor must rest before the detail pane follows it
SELECTION_ACTIONS = {"run_backup", "cancel_run", "show_log", "verify", "checklist", "copy", "label"}
EMPTY_EXAMPLE = """repositories:
  - id: web-main
    kind: web
    driver: files
    source: {path: /var/www/html}
    periodicity: 1d"""


class DashboardScreen(DashboardFilters, CommandScreen):
    CSS_PATH = "dashboard.tcss"
    COMMAND_TABLE = DASHBOARD_COMMANDS
    HELP_NOTES = ("help.states",)
    AUTO_FOCUS = "RepoTable"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-medium"), (150, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (24, "-tall")]

    app: ConsoleApp

    def __init__(self) -> None:
        super().__init__()
        self.kind_filter: str | None = None
        self.state_filter: str | None = None
        self._detail_timer = None
        self._actions_state: tuple | None = None
        self._after_paint: list | None = []  # None once the first frame is shown
        self._detail_waits = False  # the detail is to be shown once the first frame is
        self._filters_lang: str | None = None  # the language the filters' options are in
        self._selects_in = False  # the filters' Selects have replaced their stand-ins (after the first frame)
        self._by_id: tuple[list, dict[str, RepoStatus]] = (None, {})  # the statuses, and them by repository

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="toolbar"):
            yield Static(id="summary")
            yield from self.compose_filters()
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield RepoTable(id="repos")
                yield Static(id="empty")
                yield RunsPanel(id="runs-panel")
            yield RepoDetail(id="detail", classes="-none")  # empty until show_detail, after the first frame
        yield ConsoleFooter()

    def on_mount(self) -> None:
        # apply_language fills the table once; later changes of the statuses refresh it by key.
        self.watch(self.app, "language", self.apply_language)
        self.watch(self.app, "statuses_version", lambda _: self.refresh_rows(), init=False)
        self.when_painted(self._mount_filters)

    def _compositor_refresh(self) -> None:
        # A frame made while Textual's start-up batch is open is dropped unseen by App._display: what waits
        # for the first frame (when_painted) waits for one that reaches the terminal. (Private API: Textual
        # is pinned.)
        super()._compositor_refresh()
        if self._after_paint is not None and not self.app._batch_count:
            waiting, self._after_paint = self._after_paint, None
            for callback, args in waiting:
                self.call_later(callback, *args)

    def when_painted(self, callback, *args) -> None:
        """Call `callback` once the screen's first frame is on the terminal (at once after that)."""
        if self._after_paint is None:
            self.call_later(callback, *args)
        else:
            self._after_paint.append((callback, args))

    # ----------------------------------------------------------- language

    def apply_language(self, lang: str) -> None:
        self.refresh_bindings()  # check_action shows the bindings of the new language
        profile = self.app.profile
        self.title = profile.site.name
        self.sub_title = profile.site.department
        with self.app.batch_update():
            if lang != self._filters_lang:  # not at start: compose made them in this language
                self._filters_lang = lang
                self._show_filters(relabel=True)
            self.query_one(RepoTable).set_language(lang)
            self.query_one(RunsPanel).lang = lang
            self.refresh_rows()

    # ----------------------------------------------------------- rows

    def visible(self) -> list[RepoStatus]:
        out = []
        for s in self.app.statuses:
            if self.kind_filter and s.repository.kind != self.kind_filter:
                continue
            if self.state_filter == ATTENTION and s.state == "ok":
                continue
            if self.state_filter not in (None, ATTENTION) and s.state != self.state_filter:
                continue
            out.append(s)
        return out

    def refresh_rows(self) -> None:
        lang = self.app.language
        items = self.visible()
        table = self.query_one(RepoTable)
        table.show(items, self.app.now())
        total = len(self.app.statuses)
        counts = {state: sum(s.state == state for s in self.app.statuses) for state in STATES}
        summary = [tr("summary", lang, total=total)]
        if len(items) != total:
            summary.append(tr("summary.shown", lang, shown=len(items), total=total))
        text = " · ".join(summary)
        line = Text(text + "   ")
        for state in STATES:
            if counts[state]:
                line.append_text(state_text(state, lang))
                line.append(f" {counts[state]}  ")
        self.query_one("#summary", Static).update(line)
        empty = self.query_one("#empty", Static)
        if total == 0:
            empty.update(tr("empty.title", lang).join(("[b]", "[/b]\n\n")) + tr(
                "empty.body", lang, file=self.app.profile.file, example=EMPTY_EXAMPLE))
        elif not items:
            empty.update(tr("no_match", lang))
        empty.display = not items
        table.display = bool(items)
        if self._after_paint is None:
            self.show_detail()
        elif not self._detail_waits:  # its catalog queries wait for the first frame, which needs none of them
            self._detail_waits = True
            self.when_painted(self.show_detail)

    def selected(self) -> RepoStatus | None:
        key = self.query_one(RepoTable).selected_key
        if self._by_id[0] is not self.app.statuses:  # the footer asks for each key: no scan of every status
            self._by_id = (self.app.statuses, {s.repository.id: s for s in self.app.statuses})
        return self._by_id[1].get(key)

    def show_detail(self) -> None:
        status = self.selected()
        detail = self.query_one(RepoDetail)
        lang = self.app.language
        if status is None:
            detail.show(None, [], [], [], self.app.now(), lang, {})
            return
        catalog, repo, now = self.app.catalog, status.repository, self.app.now()
        bounds = period_bounds(repo, now)
        periods = period_strip(bounds, catalog.runs_since(repo.id, bounds[0]), catalog.first_run_at(repo.id))
        refused = {c.id: self.why_not(c.action_name) for c in self.COMMAND_TABLE}
        detail.show(status, periods, catalog.good_sizes(repo.id), catalog.recent_runs(repo.id, 10), now, lang,
                    refused)

    @on(DataTable.RowHighlighted, "#repos")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # The cursor moves at once; the detail follows when the keys pause, so holding an arrow key
        # never queues a rebuild per row.
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(DETAIL_DELAY, self._cursor_settled)

    @on(DataTable.RowSelected, "#repos")
    def _row_chosen(self) -> None:
        """Enter on a repository: its runs (what `v` opens), as a table's Enter opens its row everywhere."""
        self.action_verify()

    def _cursor_settled(self) -> None:
        self._detail_timer = None
        self.show_detail()
        self.refresh_actions()

    def refresh_actions(self) -> None:
        """Recompute which commands the selection allows; touch the footer only when that changed (it recomposes)."""
        state = tuple(self.why_not(a) is None for a in sorted(SELECTION_ACTIONS))
        if state != self._actions_state:
            self._actions_state = state
            self.refresh_bindings()

    # ----------------------------------------------------------- filters

    @on(Select.Changed, "#kind-filter")
    def _kind_changed(self, event: Select.Changed) -> None:
        value = None if event.value in ("*", Select.NULL) else str(event.value)
        if value != self.kind_filter:  # Select also posts Changed for its initial value
            self.kind_filter = value
            self.refresh_rows()

    @on(Select.Changed, "#state-filter")
    def _state_changed(self, event: Select.Changed) -> None:
        value = None if event.value in ("*", Select.NULL) else str(event.value)
        if value != self.state_filter:
            self.state_filter = value
            self.refresh_rows()

    def action_cycle_kind(self) -> None:
        order = [None, *KINDS]
        self.kind_filter = order[(order.index(self.kind_filter) + 1) % len(order)]
        self._show_filters()
        self.refresh_rows()

    def action_cycle_state(self) -> None:
        order = [None, ATTENTION, *STATES]
        self.state_filter = order[(order.index(self.state_filter) + 1) % len(order)]
        self._show_filters()
        self.refresh_rows()

    # ----------------------------------------------------------- actions

    def why_not(self, action: str) -> str | None:
        if action not in SELECTION_ACTIONS:
            return None
        lang, selected = self.app.language, self.selected()
        if selected is None:
            return tr("why.no_repository", lang)
        repo = selected.repository
        panels = self.query(RunsPanel)
        running = bool(panels) and panels.first().is_running(repo.id)
        if action == "run_backup" and running:
            return tr("why.running", lang, name=repo.name)
        if action == "run_backup" and not is_mine(repo):  # its source may be reachable from there only
            return tr("why.other_host", lang, name=repo.name, owner=repo.host, host=this_host())
        if action == "cancel_run" and not running:
            return tr("why.not_running", lang, name=repo.name)
        if action in ("copy", "label") and not repo.destinations:
            return tr("why.no_destinations", lang, name=repo.name)
        if action in ("copy", "label") and selected.last_good is None:
            return tr("why.no_good_run", lang, name=repo.name)
        return None

    # ----------------------------------------------------------- runs

    def action_run_backup(self) -> None:
        status = self.selected()
        if status and self.query_one(RunsPanel).start(self.app.profile, status.repository):
            self.refresh_actions()

    def action_run_due(self) -> None:

        due = [s.repository for s in self.app.statuses if s.pending and is_mine(s.repository)]  # as run --due
        if not due:
            self.notify(tr("runs.none_due", self.app.language))
        panel = self.query_one(RunsPanel)
        for repo in due:
            panel.start(self.app.profile, repo)
        self.refresh_actions()

    def action_cancel_run(self) -> None:
        status = self.selected()
        self.query_one(RunsPanel).cancel(status.repository.id) if status else None

    def action_show_log(self) -> None:
        from dse_tui.ui.screens.runlog import RunLogScreen

        status = self.selected()
        if status is None:
            return
        repo = status.repository
        panel = self.query_one(RunsPanel)
        lines = list(panel.logs.get(repo.id, []))
        last = status.last_attempt
        stored = None
        if last and not panel.is_running(repo.id):
            stored = self.app.catalog.run_log(last.id)
            if not lines:  # a run made elsewhere (cron, another console): what the catalog knows of it
                lines = [f"run {last.id}: {last.state}, {last.started_at.astimezone():%Y-%m-%d %H:%M:%S}"
                         f" ({word('trigger', last.trigger, self.app.language)}, {last.operator})"]
                lines += [line for line in (last.message, last.artifact and f"artifact: {last.artifact}") if line]
        self.app.push_screen(RunLogScreen(repo.id, repo.name, lines, stored, self.app.language))

    @on(RunEnded)
    def _run_ended(self, event: RunEnded) -> None:
        o, lang = event.outcome, self.app.language
        name = self.app.profile.repository(o.repository).name
        from dse_tui.core.common.fmt import size

        if o.state == "good":
            self.notify(tr("runs.good", lang, name=name, size=size(o.size)), timeout=6)
        elif o.state == "cancelled":
            self.notify(tr("runs.cancelled", lang, name=name), severity="warning")
        elif o.state == "already-running":
            self.notify(tr("runs.already", lang, name=name, message=o.message), severity="warning")
        else:
            self.notify(tr("runs.failed", lang, name=name, message=o.message) + "\n" + tr("runs.handoff.key", lang),
                        severity="error", timeout=15)
        self.app.refresh_statuses()
        self.refresh_actions()

    @on(Button.Pressed, "#actions Button")
    async def _action_pressed(self, event: Button.Pressed) -> None:
        command = next((c for c in self.COMMAND_TABLE if f"do-{c.id}" == event.button.id), None)
        if command is not None:
            await self.run_action(command.action)

    def action_quit_console(self) -> None:
        """Quit; with backups running, ask first (quitting cancels them)."""
        active = len(self.query_one(RunsPanel).active)
        if not active:
            self.app.exit()
            return
        lang = self.app.language

        def answered(cancel_them: bool | None) -> None:
            if cancel_them:
                self.query_one(RunsPanel).cancel_all()
                self.app.exit()

        from dse_tui.ui.screens.confirm import Confirm

        self.app.push_screen(Confirm(tr("quit.running", lang, n=active), tr("quit.yes", lang), tr("quit.no", lang)),
                             answered)

    def action_reload(self) -> None:
        self.app.reload()

    def action_toggle_language(self) -> None:
        self.app.language = "en" if self.app.language == "es" else "es"

    def action_verify(self) -> None:
        from dse_tui.ui.screens.repo_runs import RepoRunsScreen

        status = self.selected()
        if status is not None:
            self.app.push_screen(RepoRunsScreen(status.repository, self.app.language),
                                 lambda _: self.app.refresh_statuses())

    def action_checklist(self) -> None:
        """The hand-off of step 4.2.1: the repository's ITR checklist, with why a manual backup is needed."""
        from dse_tui.ui.screens.checklist_view import open_checklist

        status = self.selected()
        if status is not None:
            open_checklist(self.app, status)

    def action_copy(self) -> None:
        """Step 4.2.1: the latest good run onto the repository's distinct devices, each copy read back."""
        from dse_tui.ui.screens.copy_screen import CopyScreen

        status = self.selected()
        if status is not None:
            self.app.push_screen(CopyScreen(status.repository, self.app.language))

    def action_label(self) -> None:
        """Step 4.4.1: labels for the media that hold the selected repository's last good run."""
        from dse_tui.ui.screens.label_screen import LabelScreen

        status = self.selected()
        if status is None or status.last_good is None:
            return
        catalog = self.app.catalog
        codes = []
        for copy in catalog.copies_of(status.last_good.id):
            for link in catalog.copy_media(copy.id) if copy.state == "verified" else []:
                code = catalog.medium(link.medium_id).code
                if code not in codes:
                    codes.append(code)
        if not codes:
            self.notify(tr("label.none", self.app.language), severity="warning", timeout=10)
            return
        self.app.push_screen(LabelScreen(codes, self.app.language))

    def action_events(self) -> None:
        from dse_tui.ui.screens.event_log import EventLogScreen

        self.app.push_screen(EventLogScreen(self.app.language))

    def action_media(self) -> None:
        from dse_tui.ui.screens.media_screen import MediaScreen

        self.app.push_screen(MediaScreen(self.app.language))
