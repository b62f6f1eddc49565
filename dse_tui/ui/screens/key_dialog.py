"""Asking for the key of an encrypted run when no identity at hand opens it: the identity file (the
recovery sheet has it), or the passphrase of a protected one. Shared by the restore dialog and the
verification of a run (structure and restore levels decrypt)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from dse_tui.core.catalog import Run
from dse_tui.core.profile.model import Profile
from dse_tui.core.keys.crypto import IdentityError, Keyring, PassphraseNeeded, WrongPassphrase
from dse_tui.i18n import tr
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandModal
from dse_tui.ui.screens.reason_dialog import DIALOG_CSS
from dse_tui.ui.workers import ReportsWorkerFailures


def keyring_opens(profile: Profile, run: Run) -> Keyring | None:
    """The profile's keyring when it opens `run` as it is (no question to ask), else None."""
    keyring = Keyring.for_profile(profile)
    try:
        keyring.secret_for((run.key_ids or "").split())
    except IdentityError:
        return None
    return keyring


class KeyPrompt(ReportsWorkerFailures, Vertical):
    """Which key the run needs, and the inputs for what is missing. `check(then)` finds out whether what is
    typed opens the run, in a thread: opening a protected identity is a second of scrypt."""

    DEFAULT_CSS = "KeyPrompt { height: auto; } KeyPrompt Input { margin-top: 1; }"

    class Opened(Message):
        """The identity (and passphrase) given open the run."""

    def __init__(self, profile: Profile, run: Run, lang: str):
        super().__init__()
        self.profile, self.run, self.lang = profile, run, lang
        self.keyring: Keyring | None = None
        self._opened: tuple | None = None  # the (identity, passphrase) the keyring last opened the run with
        self.checking: tuple | None = None  # the (identity, passphrase) being tried now
        self._then: Callable[[bool], None] | None = None  # told the answer of the check under way

    def compose(self) -> ComposeResult:
        yield Static(id="key")
        yield Input(id="identity", placeholder="/path/to/identity.txt")
        yield Input(id="passphrase", password=True)

    def on_mount(self) -> None:
        self.check()

    def _given(self) -> tuple[str, str | None]:
        return self.query_one("#identity", Input).value.strip(), self.query_one("#passphrase", Input).value or None

    def check(self, then: Callable[[bool], None] | None = None) -> None:
        """Whether what is typed opens the run: `then(opened)` is called with the answer, at once when it is
        known already (a protected identity is not opened twice for one answer)."""
        given = self._given()
        if self.keyring is not None and self._opened == given:
            if then is not None:
                then(True)
            return
        self._then = then or (self._then if self.checking == given else None)
        if self.checking == given:
            return  # the same question is being answered: the newest `then` hears it
        self.checking = given
        self.query_one("#key", Static).update(escape(tr("key.checking", self.lang, keys=self.run.key_ids or "")))
        self._open(*given)

    @work(thread=True, exclusive=True, group="key-check", exit_on_error=False)
    def _open(self, typed: str, passphrase: str | None) -> None:
        keyring = Keyring.for_profile(self.profile, [Path(typed).expanduser()] if typed else [], passphrase=passphrase)
        try:
            answer: str | IdentityError = keyring.secret_for((self.run.key_ids or "").split())
        except IdentityError as exc:
            answer = exc
        self.app.call_from_thread(self._answered, (typed, passphrase), keyring, answer)

    def _answered(self, given: tuple, keyring: Keyring, answer) -> None:
        if given != self.checking or not self.is_attached:
            return  # typed again meanwhile (its own check is under way), or the dialog is gone
        self.checking = None
        then, self._then = self._then, None
        self.keyring = keyring
        typed, keys = given[0], self.run.key_ids or ""
        note = self.query_one("#key", Static)
        ask_file = ask_pass = ok = False
        if isinstance(answer, (PassphraseNeeded, WrongPassphrase)):
            text = tr("restore.key_passphrase", self.lang, keys=keys, path=getattr(answer, "path", None) or typed)
            if isinstance(answer, WrongPassphrase):
                text += "\n" + tr("restore.key_wrong", self.lang)
            note.update(escape(text))
            ask_pass = True
        elif isinstance(answer, IdentityError):
            note.update(escape(tr("restore.key_missing", self.lang, keys=keys)))
            ask_file = True
        else:
            note.update(escape(tr("restore.key_here", self.lang, keys=keys, path=keyring.source_of(answer) or "")))
            ok = True
            self._opened = given
        self.query_one("#identity").display = ask_file or bool(typed)
        self.query_one("#passphrase").display = ask_pass
        if then is not None:
            then(ok)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The app says what failed; the prompt stops waiting, so the key can be given again.
        if event.state is WorkerState.ERROR and event.worker.group == "key-check":
            self.checking = self._then = None

    def focus_missing(self) -> None:
        shown = self.query_one("#passphrase") if self.query_one("#passphrase").display else self.query_one("#identity")
        shown.focus()

    def _opened_or_asked(self, opened: bool) -> None:
        if opened:
            self.post_message(self.Opened())
        else:
            self.focus_missing()

    @on(Input.Submitted, "#identity")
    @on(Input.Submitted, "#passphrase")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.check(self._opened_or_asked)


class KeyDialog(CommandModal):
    """Dismissed with a Keyring that opens the run, or None."""

    DEFAULT_CSS = DIALOG_CSS.format(name="KeyDialog")
    COMMAND_TABLE = (Command("cancel", "escape", "dismiss(None)", text="dialog.cancel"),)

    def __init__(self, profile: Profile, run: Run, lang: str):
        super().__init__()
        self.profile, self.run, self.lang = profile, run, lang

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{escape(tr('key.title', self.lang, run=self.run.id))}[/b]")
            yield KeyPrompt(self.profile, self.run, self.lang)
            with Horizontal():
                yield Button(tr("restore.cancel", self.lang), id="cancel")
                yield Button(tr("key.go", self.lang), id="go", variant="primary")

    def on_mount(self) -> None:
        self.query_one(KeyPrompt).focus_missing()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(KeyPrompt.Opened)
    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        prompt = self.query_one(KeyPrompt)

        def answered(opened: bool) -> None:
            if opened:
                self.dismiss(prompt.keyring)
            else:
                prompt.focus_missing()

        prompt.check(answered)
