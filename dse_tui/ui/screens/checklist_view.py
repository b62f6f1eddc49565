"""The manual-backup hand-off: why a manual backup is required, and the repository's ITR checklist with
its commands filled in from the repository's settings, to follow (or print) step by step."""

from __future__ import annotations

from rich.console import Group
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from dse_tui.core.sessions.checklists import Checklist, fill_command
from dse_tui.core.profile.model import Repository
from dse_tui.i18n import tr
from dse_tui.ui.context import ConsoleApp
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandModal
from dse_tui.ui.screens.session_steps import step_line

INDENT = 6  # under the text of a step: "☐ 12. "


class ChecklistView(CommandModal[bool]):
    """The checklist a session would walk, filled in from the repository; dismissed with True to start one."""

    DEFAULT_CSS = """
    ChecklistView { align: center middle; }
    ChecklistView > VerticalScroll { width: 100; height: 90%; border: thick $error; background: $surface; padding: 0 2; }
    ChecklistView #reason { color: $error; text-style: bold; margin-bottom: 1; }
    """
    COMMAND_TABLE = (Command("close", "escape,q", "dismiss(False)", text="dialog.close"),
                     Command("start", "enter", "start", text="checklist.start_key"))

    def __init__(self, repo: Repository, checklist: Checklist | None, reason: str | None, lang: str,
                 storage=None):
        super().__init__()
        self.repo, self.checklist, self.reason, self.lang, self.storage = repo, checklist, reason, lang, storage

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            if self.reason:
                yield Static(escape(tr("runs.handoff.reason", self.lang, reason=self.reason)), id="reason")
            if self.checklist is None:
                yield Static(tr("checklist.none", self.lang, kind=self.repo.kind))
                return
            yield Static(f"[reverse] {tr('checklist.start', self.lang)} [/reverse]\n")
            if any(step.command and "{output}" in step.command for step in self.checklist.steps):
                yield Static(f"[dim]{tr('checklist.output', self.lang)}[/dim]\n")
            yield Static(f"[b]{escape(self.checklist.title.get(self.lang) or self.checklist.title['en'])}[/b]"
                         f"  [dim]({self.checklist.name})[/dim]\n")
            storage = self.storage and str(self.storage)
            for n, step in enumerate(self.checklist.steps, 1):
                # The step's text, its command and its evidence line all wrap under the text, not the box.
                parts = [step_line(n, step.text.get(self.lang) or step.text["en"],
                                   note=None if step.required else tr("checklist.optional", self.lang))]
                if step.command:
                    parts.append(Text(f"$ {fill_command(step.command, self.repo, storage=storage)}", style="cyan"))
                if step.evidence:
                    parts.append(Text(f"{step.evidence.get(self.lang) or step.evidence['en']}: ________________",
                                      style="dim"))
                yield Static(Group(parts[0], *(Padding(part, (0, 0, 0, INDENT)) for part in parts[1:])))

    def why_not(self, action: str) -> str | None:
        if action == "start" and self.checklist is None:
            return tr("checklist.none", self.lang, kind=self.repo.kind)
        return None

    def action_start(self) -> None:
        self.dismiss(True)


def open_checklist(app: ConsoleApp, status) -> None:
    """The hand-off of step 4.2.1: resume the repository's open session, or show its checklist (with why a
    manual backup is required) and start a session on it."""
    from dse_tui.core.sessions.checklists import repository_checklist, site_checklists
    from dse_tui.core.profile.problems import ConfigError
    from dse_tui.core.sessions.machine import SessionAlreadyOpen, start_session
    from dse_tui.ui.screens.session import SessionScreen

    repo = status.repository
    reason = status.reason if status.state == "manual-required" else None
    existing = app.catalog.open_session(repo.id)
    if existing is not None:
        app.push_screen(SessionScreen(existing.id, app.language, reason))
        return
    try:
        checklist = repository_checklist(app.profile, repo, site_checklists(app.profile))
    except ConfigError as exc:
        app.notify(str(exc), severity="error", timeout=15)
        return

    def start(go: bool | None) -> None:
        if not go:
            return
        import sqlite3

        from dse_tui.core.catalog import Catalog, CatalogError

        try:
            with Catalog(app.profile.catalog_path, durable=True) as catalog:
                session = start_session(catalog, app.profile, repo, checklist)
        except SessionAlreadyOpen as exc:  # another console started one meanwhile
            app.notify(str(exc), severity="error", timeout=15)
            return
        except (CatalogError, sqlite3.Error, OSError) as exc:
            app.notify(f"cannot start the session: {exc}", severity="error", timeout=15)
            return
        if session.warning:
            app.notify(session.warning, severity="warning", timeout=15)
        app.push_screen(SessionScreen(session.id, app.language, reason))

    app.push_screen(ChecklistView(repo, checklist, reason, app.language, app.profile.storage_root), start)
