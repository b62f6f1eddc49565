"""One table of the dashboard's commands: it feeds the key bindings, the footer, F1 help and the palette."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from dse_tui.i18n import tr


@dataclass(frozen=True)
class Command:
    id: str
    key: str
    action: str
    key_display: str | None = None
    show: bool = True
    in_palette: bool = True


DASHBOARD_COMMANDS: tuple[Command, ...] = (
    # The backup workflow, in the order of the procedure; the later issues make them available.
    Command("run", "r", "run_backup"),
    Command("run_due", "R", "run_due", key_display="R", show=False),
    Command("cancel", "x", "cancel_run"),
    Command("log", "o", "show_log", show=False),
    Command("verify", "v", "verify"),
    Command("checklist", "m", "checklist"),
    Command("copy", "c", "copy"),
    Command("label", "l", "label"),
    Command("media", "i", "media"),
    Command("events", "e", "events", show=False),
    Command("kind", "k", "cycle_kind"),
    Command("state", "s", "cycle_state"),
    Command("reload", "ctrl+r", "reload", key_display="^r"),
    Command("language", "f2", "toggle_language"),
    Command("help", "f1", "help"),
    Command("quit", "q", "quit_console"),
)


def bindings_for(commands: tuple[Command, ...], lang: str) -> list[Binding]:
    return [
        Binding(c.key, c.action, tr(f"cmd.{c.id}", lang), show=c.show, key_display=c.key_display,
                tooltip=tr(f"cmd.{c.id}.help", lang), id=c.id)
        for c in commands
    ]


class DashboardCommands(Provider):
    """The command palette's entries for the dashboard, from the same table as the keys."""

    def _entries(self):
        screen = self.screen
        lang = self.app.language
        for c in getattr(screen, "COMMAND_TABLE", ()):
            if not c.in_palette or screen.check_action(c.action, ()) is not True:
                continue
            yield f"{tr(f'cmd.{c.id}', lang)} ({c.key})", tr(f"cmd.{c.id}.help", lang), c.action

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
