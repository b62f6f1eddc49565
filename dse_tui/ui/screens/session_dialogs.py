"""The small dialogs of a manual-backup session: a reason (skip, abandon), the files to register, resume."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static, TextArea

from dse_tui.i18n import tr
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandModal
from dse_tui.ui.screens.reason_dialog import DIALOG_CSS, ReasonDialog

__all__ = ["FilesDialog", "ReasonDialog", "ResumeDialog"]


class FilesDialog(CommandModal):
    """The files a manual backup produced, one per line. Dismissed with ("register", [paths]),
    ("finish", []) when finishing without registering (if `finishing`), or None."""

    DEFAULT_CSS = DIALOG_CSS.format(name="FilesDialog") + "FilesDialog TextArea { height: 8; }"
    COMMAND_TABLE = (Command("cancel", "escape", "dismiss(None)", text="dialog.cancel"),
                     Command("go", "ctrl+s", "go", priority=True, text="scmd.register"))

    def __init__(self, title: str, files: list[str], lang: str, *, finishing: bool, driver: str):
        super().__init__()
        self.title_text, self.files, self.lang, self.finishing, self.driver = title, files, lang, finishing, driver

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{escape(self.title_text)}[/b]")
            yield Static(tr("finish.files", self.lang))
            yield TextArea("\n".join(self.files), id="files", tab_behavior="focus")
            yield Label(id="problem")
            with Horizontal():
                yield Button(tr("dialog.cancel", self.lang), id="cancel")
                if self.finishing:
                    yield Button(tr("finish.only", self.lang), id="only")
                yield Button(tr("finish.register" if self.finishing else "scmd.register", self.lang), id="go",
                             variant="primary")

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#only")
    def _only(self) -> None:
        self.dismiss(("finish", []))

    @on(Button.Pressed, "#go")
    def action_go(self) -> None:
        from dse_tui.core.sessions.register import check_files
        from dse_tui.core.sessions.machine import SessionError

        files = [line.strip() for line in self.query_one("#files", TextArea).text.splitlines() if line.strip()]
        try:
            check_files(self.driver, files)  # said here, while the operator can still fix it
        except SessionError as exc:
            self.query_one("#problem", Label).update(f"[red]{escape(str(exc))}[/red]")
            return
        self.dismiss(("register", files))


class ResumeDialog(CommandModal):
    """A session left open (the console closed, the machine stopped): resume it now? Dismissed with a bool."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ResumeDialog")
    COMMAND_TABLE = (Command("later", "escape", "dismiss(False)", text="resume.later"),)
    # Focus by Textual as the screen is shown (a query in on_mount could run after a fast dismissal).
    AUTO_FOCUS = "#resume"

    def __init__(self, body: str, lang: str):
        super().__init__()
        self.body, self.lang = body, lang

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{tr('resume.title', self.lang)}[/b]")
            yield Static(escape(self.body))
            with Horizontal():
                yield Button(tr("resume.later", self.lang), id="later")
                yield Button(tr("resume.resume", self.lang), id="resume", variant="primary")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "resume")
