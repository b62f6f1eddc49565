"""The output of a repository's current or last run, live."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Log

from dse_tui.i18n import tr
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandModal


class RunLogView(Log):
    def __init__(self, repository: str, lines, **kwargs):
        super().__init__(highlight=False, **kwargs)
        self.repository = repository
        self._initial = list(lines)

    def on_mount(self) -> None:
        self.write_lines(self._initial)

    def add_line(self, repository: str, line: str) -> None:
        if repository == self.repository:
            self.write_line(line)


class RunLogScreen(CommandModal[None]):
    DEFAULT_CSS = """
    RunLogScreen { align: center middle; }
    RunLogScreen > Vertical { width: 90%; height: 80%; border: thick $primary; background: $surface; }
    RunLogScreen Label { text-style: bold; padding: 0 1; }
    RunLogScreen RunLogView { height: 1fr; }
    """
    COMMAND_TABLE = (Command("close", "escape,o,q", "dismiss", text="dialog.close"),)

    def __init__(self, repository: str, name: str, lines, log_text: str | None, lang: str):
        super().__init__()
        self.repository, self.repo_name, self.lines, self.log_text, self.lang = (
            repository, name, lines, log_text, lang)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(tr("log.title", self.lang, name=self.repo_name))
            lines = list(self.lines) or [tr("log.empty", self.lang)]
            if self.log_text:
                lines += ["", tr("log.stderr", self.lang), *self.log_text.splitlines()]
            yield RunLogView(self.repository, lines)
