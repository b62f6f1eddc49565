"""The dialog that asks for a disc of a spanning set that is not at hand, by the code on its label (what the
operator looks for in the safe); dismissed with the place it is in (a mount point, a drive, an image), or
None to stop."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from dse_tui.i18n import tr
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandModal
from dse_tui.ui.screens.reason_dialog import DIALOG_CSS


class DiscDialog(CommandModal):
    DEFAULT_CSS = DIALOG_CSS.format(name="DiscDialog") + "DiscDialog #problem { color: $warning; }"
    COMMAND_TABLE = (Command("cancel", "escape", "dismiss(None)", text="dialog.cancel"),)

    def __init__(self, wanted, lang: str):
        super().__init__()
        self.wanted, self.lang = wanted, lang  # discset.Wanted

    def compose(self) -> ComposeResult:
        w = self.wanted
        with Vertical():
            yield Static(f"[b]{escape(tr('disc.title', self.lang, code=w.code, seq=w.seq, total=w.total))}[/b]",
                         id="title")
            yield Static(escape(tr("disc.which", self.lang, run=w.run, repo=w.repository)), id="which")
            yield Label(escape(w.problem.in_(self.lang)) if w.problem is not None else "", id="problem")
            yield Input(id="place", placeholder=tr("disc.placeholder", self.lang))
            with Horizontal():
                yield Button(tr("dialog.cancel", self.lang), id="cancel")
                yield Button(tr("disc.read", self.lang), id="go", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#place", Input).focus()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#go")
    @on(Input.Submitted)
    def _go(self) -> None:
        place = self.query_one("#place", Input).value.strip()
        if not place:
            self.query_one("#problem", Label).update(tr("disc.empty", self.lang))
            return
        self.dismiss(place)
