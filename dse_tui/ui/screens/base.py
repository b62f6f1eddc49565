"""The base of every screen: its command table (ui/commands.py) makes its bindings in each language, its F1
help and its command palette entries; a command refused now stays in the footer, dimmed, and its key says
why. Subclasses set COMMAND_TABLE and answer why_not(action)."""

from __future__ import annotations

from typing import ClassVar

from textual.screen import ModalScreen, Screen, ScreenResultType

from dse_tui.ui.commands import HELP, Command, ScreenCommands, bindings_for
from dse_tui.ui.workers import ReportsWorkerFailures


class Commands(ReportsWorkerFailures):
    COMMAND_TABLE: ClassVar[tuple[Command, ...]] = ()
    HELP_NOTES: ClassVar[tuple[str, ...]] = ()  # text keys the F1 help shows below the keys
    COMMANDS = {ScreenCommands}

    def __init_subclass__(cls, **kwargs) -> None:
        if "COMMAND_TABLE" in cls.__dict__:
            if not any("f1" in c.key.split(",") for c in cls.COMMAND_TABLE):  # F1 answers on every screen
                cls.COMMAND_TABLE = (*cls.COMMAND_TABLE, HELP)
            cls.BINDINGS = bindings_for(cls.COMMAND_TABLE)  # Textual merges them with Screen's Tab and Shift+Tab
        super().__init_subclass__(**kwargs)

    @property
    def command_lang(self) -> str:
        """The language of this screen: the one it was opened in, else (dashboard) the console's now."""
        return getattr(self, "lang", None) or self.app.language

    def command(self, command_id: str) -> Command:
        return next(c for c in self.COMMAND_TABLE if c.id == command_id)

    def why_not(self, action: str) -> str | None:
        """Why `action` cannot be done now, in the screen's language; None when it can."""
        return None

    def shown_why_not(self, action: str) -> str | None:
        """What the footer shows refused (dimmed): why_not, unless a screen keeps its footer still while the
        reason depends on the row under the cursor (a key pressed is always checked with why_not)."""
        return self.why_not(action)

    def refresh_bindings(self) -> None:
        self._keys_shown = None  # the footer is built anew: refresh_keys compares with nothing until its next call
        super().refresh_bindings()

    def refresh_keys(self) -> None:
        """refresh_bindings, when a key's availability changed since refresh_keys last refreshed them: the
        footer is built anew each time, a tenth of a second on a loaded machine, too much for a cursor move."""
        keys = (self.command_lang, tuple(self.shown_why_not(c.action_name) is None for c in self.COMMAND_TABLE))
        if keys != getattr(self, "_keys_shown", None):
            self.refresh_bindings()
            self._keys_shown = keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "command":  # bindings_for's: the screen's language shown, the others hidden
            command_id, lang = parameters
            if lang != self.command_lang:
                return False
            return None if self.shown_why_not(self.command(command_id).action_name) else True
        if action == "refused":
            return self.shown_why_not(self.command(parameters[0]).action_name) is not None
        return None if self.why_not(action) else True

    async def action_command(self, command_id: str, lang: str) -> None:
        command = self.command(command_id)
        if self.why_not(command.action_name) is not None:  # shown available, refused for this row: said why
            self.action_refused(command_id)
            return
        await self.run_action(command.action)

    def action_refused(self, command_id: str) -> None:
        reason = self.why_not(self.command(command_id).action_name)
        if reason:
            self.notify(reason, severity="warning", timeout=8)

    def action_help(self) -> None:
        from dse_tui.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))


class CommandScreen(Commands, Screen):
    pass


class CommandModal(Commands, ModalScreen[ScreenResultType]):
    pass
