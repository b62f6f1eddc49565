"""The manual-backup hand-off: why a manual backup is required, and the repository's ITR checklist with
its commands filled in from the repository's settings, to follow (or print) step by step."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from dse_tui.core.checklists import Checklist, fill_command
from dse_tui.core.config import Repository
from dse_tui.i18n import tr


class ChecklistView(ModalScreen[None]):
    DEFAULT_CSS = """
    ChecklistView { align: center middle; }
    ChecklistView > VerticalScroll { width: 100; height: 90%; border: thick $error; background: $surface; padding: 0 2; }
    ChecklistView #reason { color: $error; text-style: bold; margin-bottom: 1; }
    """
    BINDINGS = [Binding("escape,q,m", "dismiss", "Close")]

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


def open_checklist(app, status) -> None:
    """Show the checklist of `status`'s repository, with the reason when a manual backup is required."""
    from dse_tui.core.checklists import checklist_for, load_checklists
    from dse_tui.core.problems import ConfigError

    repo = status.repository
    try:
        checklist = checklist_for(repo.kind, repo.driver, repo.checklist, load_checklists())
    except ConfigError as exc:
        app.notify(str(exc), severity="error", timeout=15)
        return
    reason = status.reason if status.state == "manual-required" else None
    app.push_screen(ChecklistView(repo, checklist, reason, app.language, app.profile.storage_root))
