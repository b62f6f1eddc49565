"""Dialogs' shared look, and the dialog that asks for a reason (skip, abandon, accept): kept in the records."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from dse_tui.i18n import tr
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandModal

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 90; height: auto; border: thick $warning; background: $surface; padding: 1 2; }}
{name} Label, {name} Static {{ margin-top: 1; }}
{name} #live {{ color: $error; text-style: bold; }}
{name} Horizontal {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} Button {{ margin-left: 2; }}
"""


class ReasonDialog(CommandModal):
    """Dismissed with a non-empty reason, or None."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ReasonDialog")
    COMMAND_TABLE = (Command("cancel", "escape", "dismiss(None)", text="dialog.cancel"),)

    def __init__(self, question: str, lang: str, *, prompt: str | None = None, ok: str | None = None,
                 placeholder: str = "reason.placeholder", empty: str = "reason.empty"):
        """`placeholder`, `empty`: the text keys of what the field asks for and of the word when it is left
        empty (a reason by default; a place, a name, for the dialogs that ask for those)."""
        super().__init__()
        self.question, self.lang, self.prompt, self.ok = question, lang, prompt, ok
        self.placeholder, self.empty = placeholder, empty

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{escape(self.question)}[/b]")
            if self.prompt:
                yield Label(self.prompt)
            yield Input(id="reason", placeholder=tr(self.placeholder, self.lang))
            yield Label(id="problem")
            with Horizontal():
                yield Button(tr("dialog.cancel", self.lang), id="cancel")
                yield Button(self.ok or tr("dialog.ok", self.lang), id="go", variant="warning")

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#go")
    @on(Input.Submitted)
    def _go(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.query_one("#problem", Label).update(tr(self.empty, self.lang))
            self.query_one("#reason", Input).focus()
            return
        self.dismiss(reason)
