"""Modals of the runs screen: where to restore a run (naming the target, and a typed confirmation for
the live source), and the reason for accepting a held-back run."""

from __future__ import annotations

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from dse_tui.core.catalog import Run
from dse_tui.core.profile.model import Profile
from dse_tui.core import drivers
from dse_tui.core.restore.run import RestoreError, plan
from dse_tui.i18n import tr
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandModal
from dse_tui.ui.screens.key_dialog import KeyPrompt
from dse_tui.ui.screens.reason_dialog import DIALOG_CSS, ReasonDialog


class RestoreDialog(CommandModal):
    """Dismissed with (plan, force, confirm, keyring) or None. An encrypted run whose identity is not at hand
    asks for the identity file, or for the passphrase of a protected one, before it lets the restore go.
    `copy`: restoring from a copy on a medium instead of the run's folder (medium_restore.CopySource: its
    repository, databases, plan(target, database, check_exists), and the run as its keys are)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="RestoreDialog")
    COMMAND_TABLE = (Command("cancel", "escape", "dismiss(None)", text="dialog.cancel"),)

    def __init__(self, profile: Profile, run: Run, lang: str, parts: tuple[str, ...] = (), copy=None):
        super().__init__()
        self.profile, self.lang, self.copy = profile, lang, copy
        self.run = copy.run if copy else run
        self.repo = copy.repo if copy else profile.repository(run.repository)
        self.parts = parts  # only these paths of the run (its contents screen's marks); () the whole run
        self.plan = None
        self.asking: tuple[str, str | None] | None = None  # (target, database) the server is being asked about
        self.closed = False  # dismissed: an answer that comes after is for nobody

    def _databases(self) -> list[str]:
        from dse_tui.core.verification.levels import VerifyFailed, load_manifest

        try:
            return drivers.get(self.repo.driver).databases(self.copy.manifest if self.copy else
                                                          load_manifest(self.run.manifest or ""))
        except VerifyFailed:
            return []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{escape(self._title())}[/b]")
            if self.copy:
                yield Static(escape(tr("medium.from", self.lang, where=self.copy.where)), id="from")
            databases = self._databases()
            if len(databases) > 1:
                yield Label(tr("restore.database", self.lang))
                yield Select([(d, d) for d in databases], value=databases[0], allow_blank=False, id="database")
            yield Label(tr("restore.target", self.lang))
            yield Input(self._suggestion(databases), id="target")
            if self.parts and self.repo.source.get("path") is not None:
                with Horizontal(id="where"):
                    yield Button(tr("restore.new_folder", self.lang), id="new-folder")
                    yield Button(tr("restore.in_place", self.lang), id="in-place")
            yield Checkbox(tr("restore.force", self.lang), id="force")
            if self.run.encrypted:
                yield KeyPrompt(self.profile, self.run, self.lang)
            yield Static(id="live")
            yield Input(id="confirm", placeholder=self.repo.id)
            yield Static(id="plan")
            with Horizontal():
                yield Button(tr("restore.cancel", self.lang), id="cancel")
                yield Button(tr("restore.go", self.lang), id="go", variant="error")

    def _title(self) -> str:
        if not self.parts:
            return tr("restore.title", self.lang, run=self.run.id, name=self.repo.name)
        shown = ", ".join(self.parts[:3]) + (" …" if len(self.parts) > 3 else "")
        return tr("restore.parts_title", self.lang, n=len(self.parts), run=self.run.id, name=self.repo.name, paths=shown)

    def _plan(self, target: str, database: str | None, check_exists: bool = True):
        if self.copy:
            return self.copy.plan(target, database, check_exists)
        return plan(self.profile, self.run, target, database, check_exists=check_exists,
                    **({"parts": self.parts} if self.parts else {}))

    @on(Button.Pressed, "#new-folder")
    def _new_folder(self) -> None:
        self.query_one("#target", Input).value = self._suggestion([])

    @on(Button.Pressed, "#in-place")
    def _in_place(self) -> None:
        """The source's own folder: the parts go back where they were, after the typed confirmation."""
        self.query_one("#target", Input).value = str(self.repo.source["path"])
        self.query_one("#confirm", Input).focus()

    def _suggestion(self, databases: list[str]) -> str:
        return drivers.get(self.repo.driver).suggest_target(self.repo, self.run.id, databases)

    def on_mount(self) -> None:
        self.query_one("#confirm").display = False
        self._replan()

    @on(Input.Changed, "#target")
    @on(Select.Changed, "#database")
    def _replan(self) -> None:
        from dse_tui.core.verification.levels import VerifyFailed

        target = self.query_one("#target", Input).value.strip()
        databases = self.query(Select)
        database = str(databases.first().value) if databases else None
        live = self.query_one("#live", Static)
        shown = self.query_one("#plan", Static)
        try:
            self.plan = self._plan(target, database, check_exists=False) if target else None
        except (RestoreError, VerifyFailed) as exc:
            self.plan = None
            shown.update(f"[red]{escape(str(exc))}[/]")
        else:
            shown.update(escape(tr("restore.will", self.lang, what=self.plan.describe())) if self.plan else "")
        is_live = bool(self.plan and self.plan.live)
        live.update(tr("restore.live", self.lang, target=escape(target), repo=self.repo.id) if is_live else "")
        self.query_one("#confirm").display = is_live

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(KeyPrompt.Opened)
    def _key_given(self) -> None:
        self.query_one("#target", Input).focus()

    @on(Button.Pressed, "#go")
    @on(Input.Submitted, "#target")
    @on(Input.Submitted, "#confirm")
    def _go(self) -> None:
        if self.plan is None or self.asking is not None:
            return
        if not self.run.encrypted:
            self._ask_server()
            return
        prompt = self.query_one(KeyPrompt)
        prompt.check(lambda opened: self._ask_server() if opened else prompt.focus_missing())

    def _ask_server(self) -> None:
        """Whether the target exists, asked of the database server (up to its timeout) in a thread: the
        dialog says it is asking, and Escape still closes it."""
        if self.plan is None or self.asking is not None:
            return
        self.asking = (self.plan.target, self.plan.database)
        self.query_one("#plan", Static).update(escape(tr("restore.asking", self.lang, target=self.plan.target)))
        self._check_target(*self.asking)

    @work(thread=True, group="restore-plan", exit_on_error=False)
    def _check_target(self, target: str, database: str | None) -> None:
        try:
            answer = self._plan(target, database)
        except Exception as exc:  # RestoreError, or a server that does not answer in time
            answer = exc
        self.app.call_from_thread(self._answered, (target, database), answer)

    def _answered(self, asked: tuple, answer) -> None:
        if self.closed:
            return
        self.asking = None
        if self.plan is None or (self.plan.target, self.plan.database) != asked:
            self._replan()  # another target typed meanwhile: it is asked about when it goes
            return
        if isinstance(answer, Exception):
            self._replan()
            self.notify(str(answer), severity="error")
            return
        self.plan = answer
        confirm = self.query_one("#confirm", Input).value.strip() or None
        if self.plan.live and confirm != self.repo.id:
            self.query_one("#confirm", Input).focus()
            self.notify(tr("restore.live", self.lang, target=self.plan.target, repo=self.repo.id), severity="error")
            return
        keyring = self.query_one(KeyPrompt).keyring if self.run.encrypted else None
        self.dismiss((self.plan, self.query_one("#force", Checkbox).value, confirm, keyring))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The app says what failed; the dialog stops asking, so it can go again.
        if event.state is WorkerState.ERROR and event.worker.group == "restore-plan" and not self.closed:
            self.asking = None
            self._replan()

    def on_unmount(self) -> None:
        self.closed = True


class AcceptDialog(ReasonDialog):
    """Dismissed with the reason (non-empty) or None."""

    DEFAULT_CSS = DIALOG_CSS.format(name="AcceptDialog")

    def __init__(self, run: Run, lang: str):
        super().__init__(tr("accept.title", lang, run=run.id, detail=run.message or ""), lang,
                         prompt=tr("accept.reason", lang), ok=tr("rcmd.accept", lang))
