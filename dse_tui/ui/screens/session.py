"""A manual-backup session (procedure 4.2.1, ITR 7.5 DSE 01): the checklist's steps with their boxes, the
current step in full, its command run in a worker with the output live, evidence, notes, skip, finish and
registration of what the manual backup produced. Every tick, skip and end is in the catalog the moment it
is made, what is typed once the typing pauses (session_typed.py); an ended session shows here as its record."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Header, Input, Label, Log, Static
from textual.widgets.option_list import Option
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from dse_tui.core.catalog import Catalog
from dse_tui.core.sessions.checklists import evidence_problem
from dse_tui.core.sessions.machine import Session, SessionError
from dse_tui.core.sessions.pending import PendingWrites
from dse_tui.i18n import tr
from dse_tui.ui.context import ConsoleApp
from dse_tui.ui.screens.base import CommandScreen
from dse_tui.ui.screens.session_commands import SESSION_COMMANDS, refusal
from dse_tui.ui.screens.session_finish import FinishAndRegister
from dse_tui.ui.screens.session_steps import BOX, StepList, step_line
from dse_tui.ui.screens.session_typed import TypedText
from dse_tui.ui.widgets.footer import ConsoleFooter


class SessionScreen(TypedText, FinishAndRegister, CommandScreen):
    DEFAULT_CSS = """
    SessionScreen #heading { height: auto; padding: 0 1; }
    SessionScreen #reason { height: auto; padding: 0 1; color: $error; text-style: bold; }
    SessionScreen #body { height: 1fr; }
    SessionScreen #steps { width: 45%; height: 1fr; }
    SessionScreen #step-pane { width: 55%; height: 1fr; padding: 0 1; }
    SessionScreen #step-text { height: auto; margin-bottom: 1; }
    SessionScreen #command { height: auto; color: $accent; }
    SessionScreen #evidence-box, SessionScreen #note-box { height: auto; margin-top: 1; }
    SessionScreen #evidence-problem { color: $error; height: auto; }
    SessionScreen #output { height: 1fr; min-height: 6; border: round $primary; }
    SessionScreen #work { height: auto; padding: 0 1; color: $warning; }
    """
    AUTO_FOCUS = "#steps"
    COMMAND_TABLE = SESSION_COMMANDS

    app: ConsoleApp

    def __init__(self, session_id: int, lang: str, reason: str | None = None):
        super().__init__()
        self.session_id, self.lang, self.reason = session_id, lang, reason
        self.session: Session | None = None
        self.cancel_event: threading.Event | None = None
        self.busy: str | None = None  # "run" | "register" while a worker works
        self.typed: PendingWrites | None = None  # notes and evidence typed, written when the typing pauses
        self._save_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading")
        yield Static(id="reason")
        with Horizontal(id="body"):
            yield StepList(id="steps")
            with Vertical(id="step-pane"):
                with VerticalScroll(id="step-scroll"):
                    yield Static(id="step-text")
                    yield Static(id="command")
                    with Vertical(id="evidence-box"):
                        yield Label(id="evidence-label")
                        yield Input(id="evidence")
                        yield Label(id="evidence-problem")
                    with Vertical(id="note-box"):
                        yield Label(tr("session.note", self.lang))
                        yield Input(id="note")
                yield Log(id="output", max_lines=5000)
        yield Label(id="work")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        # Its own connection, committing to the disk on every change: a power cut loses no tick.
        self.catalog = Catalog(self.app.profile.catalog_path, durable=True)
        self.session = Session.load(self.catalog, self.session_id)
        self.typed = PendingWrites(self.app.profile.catalog_path, self.session_id, self.session.operator)
        if self.reason is None:
            status = next((st for st in self.app.statuses if st.repository.id == self.session.row.repository), None)
            self.reason = status.reason if status and status.state == "manual-required" else None
        self.title = tr("session.title", self.lang, name=self.repo.name, id=self.session_id)
        self.query_one("#work").display = False
        steps = self.query_one("#steps", StepList)
        steps.add_options([Option(self._prompt(i), id=s.id) for i, s in enumerate(self.session.steps)])
        current = self.session.current
        if current is not None:
            steps.highlighted = [s.id for s in self.session.steps].index(current)
        self.refresh_heading()
        self.show_step()

    def on_unmount(self) -> None:
        if self.cancel_event is not None:
            self.cancel_event.set()
        self._save_before_leaving()
        self.catalog.close()

    @property
    def repo(self):
        return self.app.profile.repository(self.session.row.repository)

    # ----------------------------------------------------------- display

    def _prompt(self, index: int):
        step = self.session.steps[index]
        box, style = BOX[self.session.state(step.id).outcome]
        return step_line(index + 1, step.text.get(self.lang) or step.text["en"], box=box, style=style,
                         note=None if step.required else tr("session.optional", self.lang))

    def selected(self) -> str | None:
        steps = self.query_one("#steps", StepList)
        if self.session is None or steps.highlighted is None:
            return None
        return self.session.steps[steps.highlighted].id

    def refresh_heading(self) -> None:
        s = self.session
        done, total = s.progress()
        state = tr(f"session.state.{s.row.state}", self.lang)
        title = s.row.title.get(self.lang) or s.row.title.get("en") or s.row.checklist
        line = tr("session.heading", self.lang, title=escape(title), operator=escape(s.row.operator),
                  started=f"{s.row.started_at.astimezone():%Y-%m-%d %H:%M}", state=state)
        runs = self.catalog.session_runs(s.id)
        extra = (" · " + tr("session.runs", self.lang, runs=", ".join(f"r{r.id} {r.state}" for r in runs))
                 if runs else "")
        self.query_one("#heading", Static).update(
            f"{line} · [b]{tr('session.progress', self.lang, done=done, total=total)}[/b]{extra}")
        reason = self.query_one("#reason", Static)
        if not s.is_open:
            reason.update(tr("session.readonly", self.lang, state=state)
                          + (f" {escape(s.row.reason)}" if s.row.reason else ""))
        elif self.reason:
            reason.update(tr("session.reason", self.lang, reason=escape(self.reason)))
        reason.display = bool(not s.is_open or self.reason)

    def show_step(self) -> None:
        step_id = self.selected()
        if step_id is None:
            return
        step, st = self.session.step(step_id), self._state(step_id)
        lines = [f"[b]{escape(step.text.get(self.lang) or step.text['en'])}[/b]",
                 f"[dim]{tr('session.required' if step.required else 'session.optional', self.lang)} · {step.id}[/dim]"]
        if st.outcome != "pending" and st.at:
            lines.append(tr("session.when", self.lang, outcome=tr(f"session.outcome.{st.outcome}", self.lang),
                            at=f"{st.at.astimezone():%Y-%m-%d %H:%M:%S}", operator=escape(st.operator or "")))
        if st.reason:
            lines.append(tr("session.skipped_because", self.lang, reason=escape(st.reason)))
        self.query_one("#step-text", Static).update("\n".join(lines))
        self.query_one("#command", Static).update(
            f"{tr('session.command', self.lang)}\n$ {escape(step.command)}" if step.command
            else f"[dim]{tr('session.no_command', self.lang)}[/dim]")
        box = self.query_one("#evidence-box")
        box.display = bool(step.evidence)
        if step.evidence:
            form = (" " + tr("session.evidence.form", self.lang, pattern=step.evidence_pattern)
                    if step.evidence_pattern else "")
            self.query_one("#evidence-label", Label).update(
                tr("session.evidence", self.lang, prompt=escape(step.evidence.get(self.lang) or step.evidence["en"]))
                + escape(form))
            self.query_one("#evidence", Input).value = st.evidence or ""
            self.query_one("#evidence-problem", Label).update("")
        note = self.query_one("#note", Input)
        note.value = st.note or ""
        for widget in (note, self.query_one("#evidence", Input)):
            widget.disabled = not self.session.is_open
        if self.busy != "run":
            log = self.query_one("#output", Log)
            log.clear()
            if st.output:
                log.write(st.output)

    def refresh_step(self, step_id: str) -> None:
        index = [s.id for s in self.session.steps].index(step_id)
        self.query_one("#steps", StepList).replace_option_prompt_at_index(index, self._prompt(index))
        self.refresh_heading()
        if step_id == self.selected():
            self.show_step()
        self.refresh_keys()

    @on(StepList.OptionHighlighted, "#steps")
    def _highlighted(self) -> None:
        step_id = self.selected()
        if step_id is not None:
            if self.session.is_open and self.session.row.current != step_id:  # a resumed session opens here
                self.typed.move_to(step_id)
                self.session.row = replace(self.session.row, current=step_id)
                self._save_soon()
        # What the step shows is in memory (every change here reloads it); the footer does not depend on the
        # step (shown_why_not), so a cursor move reads nothing and rebuilds nothing.
        self.show_step()

    # ----------------------------------------------------------- inputs

    @on(Input.Blurred, "#note")
    @on(Input.Blurred, "#evidence")
    def _left_field(self) -> None:
        self._save_at_once()

    @on(Input.Changed, "#note")
    def _note_changed(self, event: Input.Changed) -> None:
        step_id = self.selected()
        if step_id is None or not self.session.is_open:
            return
        if event.value != (self._state(step_id).note or ""):
            self._type("note", step_id, event.value)

    @on(Input.Submitted, "#note")
    def _note_done(self) -> None:
        self.query_one("#steps").focus()

    @on(Input.Changed, "#evidence")
    def _evidence_changed(self, event: Input.Changed) -> None:
        """Evidence of the right form is saved as it is typed; the wrong form is said, and not kept."""
        step_id = self.selected()
        if step_id is None or not self.session.is_open or not event.value.strip():
            self.query_one("#evidence-problem", Label).update("")
            return
        step = self.session.step(step_id)
        if not step.evidence or event.value.strip() == (self._state(step_id).evidence or ""):
            return
        problem = evidence_problem(step, event.value)
        self.query_one("#evidence-problem", Label).update(escape(problem or ""))
        if problem is None:
            self._type("evidence", step_id, event.value.strip())

    @on(Input.Submitted, "#evidence")
    def _evidence_submitted(self, event: Input.Submitted) -> None:
        step_id = self.selected()
        if step_id is None or not self.session.is_open:
            return
        problem = evidence_problem(self.session.step(step_id), event.value)
        self.query_one("#evidence-problem", Label).update(escape(problem or ""))
        if problem is None:
            self.typed.put("evidence", step_id, event.value.strip())  # in its turn after what was typed before
        if problem is None and self._write(self.session.refresh_step, step_id) is not None:
            self.notify(tr("session.evidence.saved", self.lang))
            self.refresh_step(step_id)
            self.query_one("#steps").focus()

    # ----------------------------------------------------------- actions

    def why_not(self, action: str) -> str | None:
        if self.session is None or not self.is_mounted:
            return None
        return refusal(self.session, self.selected(), self.busy, action, self.lang)

    def shown_why_not(self, action: str) -> str | None:
        """The footer's: only what holds for every step (a key refused for this step says why when pressed)."""
        if self.session is None or not self.is_mounted:
            return None
        return refusal(self.session, self.selected(), self.busy, action, self.lang, per_step=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The app says what failed (ui/workers.py); the session stops being busy and shows what it recorded.
        if event.state is WorkerState.ERROR and event.worker.group == "session":
            self._busy(None)
            self._ended()

    def action_tick(self) -> None:
        step_id = self.selected()
        if step_id is None:
            return
        ticking = self.session.refresh_step(step_id).outcome == "pending"
        done = self._write(self.session.tick if ticking else self.session.untick, step_id)
        if done is None:  # refused, and said: the focus stays on the steps, so the next key is a command
            return
        self.refresh_step(step_id)
        following = self.session.next_pending(step_id) if ticking else None
        if following is not None:
            self.query_one("#steps", StepList).highlighted = [s.id for s in self.session.steps].index(following)

    def action_evidence(self) -> None:
        self.query_one("#evidence", Input).focus()

    def action_note(self) -> None:
        self.query_one("#note", Input).focus()

    def action_skip(self) -> None:
        from dse_tui.ui.screens.session_dialogs import ReasonDialog

        step_id = self.selected()

        def given(reason: str | None) -> None:
            if reason and self._write(self.session.skip, step_id, reason) is not None:
                self.refresh_step(step_id)

        self.app.push_screen(ReasonDialog(tr("reason.skip", self.lang, step=step_id), self.lang), given)

    def action_abandon(self) -> None:
        from dse_tui.ui.screens.session_dialogs import ReasonDialog

        def given(reason: str | None) -> None:
            if reason:
                try:
                    self.typed.flush()
                    self.session.abandon(reason)
                except (SessionError, sqlite3.Error) as exc:
                    self.notify(str(exc), severity="error", timeout=10)
                    return
                self.notify(tr("session.abandoned", self.lang, id=self.session.id))
                self._ended()

        self.app.push_screen(ReasonDialog(tr("reason.abandon", self.lang, id=self.session.id), self.lang), given)

    def _ended(self) -> None:
        self.session.reload()
        self.refresh_heading()
        self.show_step()
        self.refresh_bindings()
        self.app.refresh_statuses()

    def action_back(self) -> None:
        if self.busy is not None:
            self.notify(tr("session.busy", self.lang), severity="warning")
            return
        if self.session.is_open:
            self.notify(tr("session.left", self.lang, id=self.session.id, repo=self.session.row.repository))
        self.dismiss()

    def action_cancel(self) -> None:
        if self.cancel_event is not None:
            self.cancel_event.set()

    # ----------------------------------------------------------- command

    def action_run(self) -> None:
        step_id = self.selected()
        if step_id is None:
            return
        self._busy("run", tr("session.running", self.lang, step=step_id))
        self.query_one("#output", Log).clear()
        self._run(step_id)

    def _busy(self, what: str | None, label: str = "") -> None:
        self.busy = what
        self.cancel_event = threading.Event() if what else None
        work_label = self.query_one("#work", Label)
        work_label.display = what is not None
        work_label.update(label)
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def _run(self, step_id: str) -> None:
        from dse_tui.core.sessions.command import run_step_command

        cancel = self.cancel_event
        with Catalog(self.app.profile.catalog_path, durable=True) as catalog:
            session = Session.load(catalog, self.session_id)
            try:
                status = run_step_command(session, step_id, self.repo, cancel=cancel,
                                          storage_root=self.app.profile.storage_root,
                                          on_output=lambda text: self.app.call_from_thread(self._output, text))
            except Exception as exc:  # SessionError, or a bug: said, never the end of the console
                status = None
                self.app.call_from_thread(self._output, f"\n{exc}\n")
        self.app.call_from_thread(self._ran, step_id, status)

    def _output(self, text: str) -> None:
        self.query_one("#output", Log).write(text)

    def _ran(self, step_id: str, status: int | None) -> None:
        self._busy(None)
        self.session.reload()
        self.refresh_step(step_id)
        if status is not None:
            self.notify(tr("session.ran", self.lang, step=step_id, status=status),
                        severity="information" if status == 0 else "warning", timeout=8)
