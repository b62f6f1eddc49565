"""Modals of the runs screen: where to restore a run (naming the target, and a typed confirmation for
the live source), and the reason for accepting a held-back run."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

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
    asks for the identity file, or for the passphrase of a protected one, before it lets the restore go."""

    DEFAULT_CSS = DIALOG_CSS.format(name="RestoreDialog")
    COMMAND_TABLE = (Command("cancel", "escape", "dismiss(None)", text="dialog.cancel"),)

    def __init__(self, profile: Profile, run: Run, lang: str):
        super().__init__()
        self.profile, self.run, self.lang = profile, run, lang
        self.repo = profile.repository(run.repository)
        self.plan = None

    def _databases(self) -> list[str]:
        from dse_tui.core.verification.levels import VerifyFailed, load_manifest

        try:
            return drivers.get(self.repo.driver).databases(load_manifest(self.run.manifest or ""))
        except VerifyFailed:
            return []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{escape(tr('restore.title', self.lang, run=self.run.id, name=self.repo.name))}[/b]")
            databases = self._databases()
            if len(databases) > 1:
                yield Label(tr("restore.database", self.lang))
                yield Select([(d, d) for d in databases], value=databases[0], allow_blank=False, id="database")
            yield Label(tr("restore.target", self.lang))
            yield Input(self._suggestion(databases), id="target")
            yield Checkbox(tr("restore.force", self.lang), id="force")
            if self.run.encrypted:
                yield KeyPrompt(self.profile, self.run, self.lang)
            yield Static(id="live")
            yield Input(id="confirm", placeholder=self.repo.id)
            yield Static(id="plan")
            with Horizontal():
                yield Button(tr("restore.cancel", self.lang), id="cancel")
                yield Button(tr("restore.go", self.lang), id="go", variant="error")

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
            self.plan = plan(self.profile, self.run, target, database, check_exists=False) if target else None
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
        if self.plan is None:
            return
        keyring = None
        if self.run.encrypted:
            prompt = self.query_one(KeyPrompt)
            if not prompt.check():
                prompt.focus_missing()
                return
            keyring = prompt.keyring
        try:  # now with the server asked whether the database exists
            self.plan = plan(self.profile, self.run, self.plan.target, self.plan.database)
        except Exception as exc:  # RestoreError, or a server that does not answer in time
            self.notify(str(exc), severity="error")
            return
        confirm = self.query_one("#confirm", Input).value.strip() or None
        if self.plan.live and confirm != self.repo.id:
            self.query_one("#confirm", Input).focus()
            self.notify(tr("restore.live", self.lang, target=self.plan.target, repo=self.repo.id), severity="error")
            return
        self.dismiss((self.plan, self.query_one("#force", Checkbox).value, confirm, keyring))


class AcceptDialog(ReasonDialog):
    """Dismissed with the reason (non-empty) or None."""

    DEFAULT_CSS = DIALOG_CSS.format(name="AcceptDialog")

    def __init__(self, run: Run, lang: str):
        super().__init__(tr("accept.title", lang, run=run.id, detail=run.message or ""), lang,
                         prompt=tr("accept.reason", lang), ok=tr("rcmd.accept", lang))
