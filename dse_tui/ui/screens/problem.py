"""What the console shows when it cannot work: a bad profile, no profile, an unusable catalog."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Header, Static

from dse_tui.i18n import tr
from dse_tui.ui.commands import HELP, Command
from dse_tui.ui.screens.base import CommandScreen
from dse_tui.ui.widgets.footer import ConsoleFooter


class ProblemScreen(CommandScreen):
    """A title, the problems one per line (file:line key: message), and how to go on."""

    DEFAULT_CSS = """
    ProblemScreen > Vertical { padding: 1 2; }
    ProblemScreen #problem-title { text-style: bold; color: $error; margin-bottom: 1; }
    ProblemScreen #problem-list { height: auto; max-height: 1fr; border: round $error; padding: 0 1; }
    ProblemScreen .hint { margin-top: 1; }
    """
    COMMAND_TABLE = (Command("retry", "r", "retry"), Command("language", "f2", "toggle_language"), HELP,
                     Command("quit", "q", "app.quit"))

    def __init__(self, title_key: str, intro_key: str, lines: list[str] = (), *,
                 hint_key: str | None = "problem.hint", **values):
        super().__init__()
        self.title_key, self.intro_key, self.values = title_key, intro_key, values
        self.lines, self.hint_key = list(lines), hint_key

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static(id="problem-title")
            yield Static(id="problem-intro")
            if self.lines:
                with VerticalScroll(id="problem-list"):
                    yield Static("\n".join(escape(line) for line in self.lines), id="problem-lines")
            yield Static(id="problem-hint", classes="hint")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "language", self._language)

    def _language(self, lang: str) -> None:
        self.refresh_bindings()
        self.query_one("#problem-title", Static).update(tr(self.title_key, lang))
        values = {k: escape(str(v)) for k, v in self.values.items()}
        self.query_one("#problem-intro", Static).update(tr(self.intro_key, lang, **values))
        self.query_one("#problem-hint", Static).update(tr(self.hint_key, lang) if self.hint_key else "")

    def action_retry(self) -> None:
        self.app.reload()

    def action_toggle_language(self) -> None:
        self.app.language = "en" if self.app.language == "es" else "es"
