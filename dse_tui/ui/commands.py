"""Commands: a screen's table of them feeds its key bindings and footer, its F1 help and its command palette
entries (ui/screens/base.py builds all three). The dashboard's table is here; the others beside their screen."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual import actions
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from dse_tui.i18n import LANGUAGES, tr


@dataclass(frozen=True)
class Command:
    id: str
    key: str  # Textual's key names, comma-separated for more than one
    action: str
    key_display: str | None = None
    show: bool = True
    in_palette: bool = True
    priority: bool = False  # checked before the focused widget (e.g. a key an Input would not take anyway)
    text: str = ""  # the text key of its name (default cmd.<id>); "<text>.help" says what it does

    def __post_init__(self) -> None:
        if not self.text:
            object.__setattr__(self, "text", f"cmd.{self.id}")

    @property
    def action_name(self) -> str:
        """The action without namespace or parameters, as check_action receives it."""
        return actions.parse(self.action)[1]

    @property
    def keys_shown(self) -> str:
        return self.key_display or self.key.replace(",", ", ")


HELP = Command("help", "f1", "help")

DASHBOARD_COMMANDS: tuple[Command, ...] = (
    # The backup workflow, in the order of the procedure.
    Command("run", "r", "run_backup"),
    Command("run_due", "R", "run_due", key_display="R", show=False),
    Command("cancel", "x", "cancel_run"),
    Command("log", "o", "show_log", show=False),
    Command("verify", "v", "verify"),
    Command("runs", "enter", "verify", key_display="⏎", show=False, in_palette=False),  # the table's own Enter
    Command("checklist", "m", "checklist"),
    Command("copy", "c", "copy"),
    Command("label", "l", "label"),
    Command("media", "i", "media"),
    Command("events", "e", "events", show=False),
    Command("kind", "k", "cycle_kind"),
    Command("state", "s", "cycle_state"),
    Command("reload", "ctrl+r", "reload", key_display="^r"),
    Command("language", "f2", "toggle_language"),
    HELP,
    Command("quit", "q", "quit_console"),
)


def bindings_for(commands: tuple[Command, ...]) -> list[Binding]:
    """Every command once in each language: the screen's check_action shows those of its language (a binding's
    description is fixed when it is made, so switching languages is a refresh_bindings, not new bindings).
    Then, hidden, each key again: while its command is refused (dimmed in the footer, so Textual does not run
    it) the key still answers, saying why."""
    shown = [Binding(c.key, f"command({c.id!r}, {lang!r})", tr(c.text, lang), show=c.show, key_display=c.key_display,
                     tooltip=tr(f"{c.text}.help", lang), id=c.id, priority=c.priority)
             for lang in LANGUAGES for c in commands]
    refused = [Binding(c.key, f"refused({c.id!r})", show=False, id=c.id, priority=c.priority) for c in commands]
    return shown + refused


class ScreenCommands(Provider):
    """The command palette's entries for the screen it was opened on, from the same table as its keys."""

    def _entries(self):
        screen = self.screen
        lang = getattr(screen, "command_lang", self.app.language)
        for c in getattr(screen, "COMMAND_TABLE", ()):
            if not c.in_palette or screen.check_action(c.action_name, ()) is not True:
                continue
            yield f"{tr(c.text, lang)} ({c.keys_shown})", tr(f"{c.text}.help", lang), c.action

    def _runner(self, action: str):
        return partial(self.screen.run_action, action)

    async def discover(self) -> Hits:
        for title, help_text, action in self._entries():
            yield DiscoveryHit(title, self._runner(action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in self._entries():
            score = max(matcher.match(title), matcher.match(help_text))
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._runner(action), help=help_text)
