"""The manual-backup hand-off: why a manual backup is required, and the repository's ITR checklist with
its commands filled in from the repository's settings, to follow (or print) step by step."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from dse_tui.core.sessions.checklists import Checklist, fill_command
from dse_tui.core.profile.model import Repository
from dse_tui.i18n import tr
from dse_tui.ui.context import ConsoleApp
from dse_tui.ui.commands import Command
from dse_tui.ui.screens.base import CommandModal


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
            for n, step in enumerate(self.checklist.steps, 1):
                text = step.text.get(self.lang) or step.text["en"]
                mark = "" if step.required else f" [dim]({tr('checklist.optional', self.lang)})[/dim]"
                lines = [f"[b]{n:2}. ☐[/b] {escape(text)}{mark}"]
                if step.command:
                    lines.append(f"      [cyan]$ {escape(fill_command(step.command, self.repo, storage=self.storage and str(self.storage)))}[/cyan]")
                if step.evidence:
                    lines.append(f"      [dim]{escape(step.evidence.get(self.lang) or step.evidence['en'])}: "
                                 "________________[/dim]")
                yield Static("\n".join(lines))

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
