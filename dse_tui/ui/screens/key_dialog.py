"""Asking for the key of an encrypted run when no identity at hand opens it: the identity file (the
recovery sheet has it), or the passphrase of a protected one. Shared by the restore dialog and the
verification of a run (structure and restore levels decrypt)."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Static

from dse_tui.core.catalog import Run
from dse_tui.core.profile.model import Profile
from dse_tui.core.keys.crypto import IdentityError, Keyring, PassphraseNeeded, WrongPassphrase
from dse_tui.i18n import tr
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandModal
from dse_tui.ui.screens.reason_dialog import DIALOG_CSS


def keyring_opens(profile: Profile, run: Run) -> Keyring | None:
    """The profile's keyring when it opens `run` as it is (no question to ask), else None."""
    keyring = Keyring.for_profile(profile)
    try:
        keyring.secret_for((run.key_ids or "").split())
    except IdentityError:
        return None
    return keyring


class KeyPrompt(Vertical):
    """Which key the run needs, and the inputs for what is missing; `check()` says whether it opens now."""

    DEFAULT_CSS = "KeyPrompt { height: auto; } KeyPrompt Input { margin-top: 1; }"

    class Opened(Message):
        """The identity (and passphrase) given open the run."""

    def __init__(self, profile: Profile, run: Run, lang: str):
        super().__init__()
        self.profile, self.run, self.lang = profile, run, lang
        self.keyring: Keyring | None = None
        self._opened: tuple | None = None  # the (identity, passphrase) the keyring last opened the run with

    def compose(self) -> ComposeResult:
        yield Static(id="key")
        yield Input(id="identity", placeholder="/path/to/identity.txt")
        yield Input(id="passphrase", password=True)

    def on_mount(self) -> None:
        self.check()

    def check(self) -> bool:
        typed = self.query_one("#identity", Input).value.strip()
        passphrase = self.query_one("#passphrase", Input).value or None
        if self.keyring is not None and self._opened == (typed, passphrase):
            return True  # opening a protected identity costs a second of scrypt: not twice for one answer
        self._opened = None
        keys = self.run.key_ids or ""
        self.keyring = Keyring.for_profile(self.profile, [Path(typed).expanduser()] if typed else [],
                                           passphrase=passphrase)
        note = self.query_one("#key", Static)
        ask_file = ask_pass = ok = False
        try:
            secret = self.keyring.secret_for(keys.split())
        except (PassphraseNeeded, WrongPassphrase) as exc:
            text = tr("restore.key_passphrase", self.lang, keys=keys, path=getattr(exc, "path", None) or typed)
            if isinstance(exc, WrongPassphrase):
                text += "\n" + tr("restore.key_wrong", self.lang)
            note.update(escape(text))
            ask_pass = True
        except IdentityError:
            note.update(escape(tr("restore.key_missing", self.lang, keys=keys)))
            ask_file = True
        else:
            note.update(escape(tr("restore.key_here", self.lang, keys=keys, path=self.keyring.source_of(secret) or "")))
            ok = True
            self._opened = (typed, passphrase)
        self.query_one("#identity").display = ask_file or bool(typed)
        self.query_one("#passphrase").display = ask_pass
        return ok

    def focus_missing(self) -> None:
        shown = self.query_one("#passphrase") if self.query_one("#passphrase").display else self.query_one("#identity")
        shown.focus()

    @on(Input.Submitted, "#identity")
    @on(Input.Submitted, "#passphrase")
    def _given(self, event: Input.Submitted) -> None:
        event.stop()
        if self.check():
            self.post_message(self.Opened())
        else:
            self.focus_missing()


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
        if prompt.check():
            self.dismiss(prompt.keyring)
        else:
            prompt.focus_missing()
