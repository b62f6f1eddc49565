"""A manual-backup session: one operator walking one ITR checklist (procedure 4.2.1, ITR 7.5 DSE 01).

The state machine of a step: pending → done (ticked; its evidence, when it asks for one, given and of the
expected form) or skipped (with a reason; never a required step); done or skipped → pending (undone). A
session is open until it is finished (every required step done) or abandoned (with a reason); then it is a
record and nothing in it changes. Every change is written to the catalog before the call returns."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dse_tui.core.catalog import Catalog, current_operator
from dse_tui.core.catalog.lifecycle import SessionState, StepOutcome
from dse_tui.core.catalog.sessions import SessionAlreadyOpen, SessionRow, StepRow
from dse_tui.core.sessions.checklists import Checklist, Step, evidence_problem, fill_command
from dse_tui.core.common.timeutil import utcnow
from dse_tui.core.texts import Text, Told, active

__all__ = ["Session", "SessionError", "SessionAlreadyOpen", "start_session", "session_workdir"]

OUTPUT_LIMIT = 256 * 1024  # of a command's output kept in the record: its end, where the errors are


class SessionError(Told):
    """The change is not allowed; the message says why, for the operator."""


def session_workdir(storage_root: Path, repo_id: str, session_id: int) -> Path:
    """Where the session's commands write the manual backup (`{output}`): inside the storage area, hidden
    from the runs' folders, one per session."""
    return storage_root / ".manual" / f"{repo_id}-s{session_id}"


def _step_json(step: Step, command: str | None) -> dict:
    return {"id": step.id, "text": step.text, "required": step.required, "command": command,
            "evidence": step.evidence, "evidence_pattern": step.evidence_pattern}


def start_session(catalog: Catalog, profile, repo, checklist: Checklist, operator: str | None = None) -> Session:
    """A new session of `repo` on `checklist`; SessionAlreadyOpen if the repository has one open."""
    operator = operator or current_operator()

    def steps_for(sid: int) -> list[dict]:
        out = str(session_workdir(profile.storage_root, repo.id, sid))
        return [_step_json(s, s.command and fill_command(s.command, repo, out, str(profile.storage_root)))
                for s in checklist.steps]

    sid = catalog.create_session(repo.id, checklist=checklist.name, title=checklist.title, steps_for=steps_for,
                                 operator=operator,
                                 workdir_for=lambda sid: session_workdir(profile.storage_root, repo.id, sid))
    catalog.record_event("session started", "ok", repository=repo.id, operator=operator,
                         detail={"session_id": sid, "checklist": checklist.name})
    session = Session.load(catalog, sid, operator)
    try:
        # Only its owner reads it: what a manual backup writes there is the service's data.
        Path(session.row.workdir).mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:  # the steps still stand; commands that write there will say it
        session.warning = f"cannot create {session.row.workdir}: {exc.strerror}"
    return session


class Session:
    """An open or ended session, read from the catalog; its changes go straight back to it."""

    def __init__(self, catalog: Catalog, row: SessionRow, operator: str):
        self.catalog, self.row, self.operator = catalog, row, operator
        self.steps: tuple[Step, ...] = tuple(Step(**s) for s in row.steps)
        self.warning: str | None = None

    @classmethod
    def load(cls, catalog: Catalog, session_id: int, operator: str | None = None) -> Session:
        row = catalog.session(session_id)
        if row is None:
            raise SessionError("machine.no_session", session=session_id)
        return cls(catalog, row, operator or current_operator())

    # ------------------------------------------------------------------ reading

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def is_open(self) -> bool:
        return self.row.state == SessionState.OPEN

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise SessionError("machine.no_step", session=self.id, step=step_id)

    def state(self, step_id: str) -> StepRow:
        return self.row.step_rows.get(step_id) or StepRow(step_id)

    @property
    def current(self) -> str | None:
        """The step the operator was at: where a resumed session opens."""
        ids = [s.id for s in self.steps]
        return self.row.current if self.row.current in ids else (ids[0] if ids else None)

    def progress(self) -> tuple[int, int]:
        """(steps dealt with, all steps): "7/12"."""
        return sum(self.state(s.id).outcome != StepOutcome.PENDING for s in self.steps), len(self.steps)

    def missing_required(self) -> list[Step]:
        return [s for s in self.steps if s.required and self.state(s.id).outcome != StepOutcome.DONE]

    def can_finish(self) -> bool:
        return self.is_open and not self.missing_required()

    def next_pending(self, after: str | None = None) -> str | None:
        ids = [s.id for s in self.steps]
        start = ids.index(after) + 1 if after in ids else 0
        for sid in ids[start:]:  # never back to a step before: the operator goes on down the list
            if self.state(sid).outcome == StepOutcome.PENDING:
                return sid
        return None

    # ------------------------------------------------------------------ changes

    def _open(self) -> None:
        if not self.is_open:
            raise SessionError("machine.record", session=self.id, state=Text(f"session.state.{self.row.state}"))

    def _ended_elsewhere(self) -> SessionError:
        self.reload()
        return SessionError(f"session {self.id} was {self.row.state} meanwhile (another console?): it is a record "
                            "now and cannot change")

    def _update(self, step_id: str, event: str | None = None, detail: dict | None = None, **columns) -> StepRow:
        """Write only these columns (what another console changed in the others stays), then read the step
        back as the catalog has it."""
        self._open()
        if "outcome" in columns:  # the time and operator of a step are those of its outcome
            columns.update(at=utcnow(), operator=self.operator)
        new = self.catalog.update_step(self.id, step_id, **columns)
        if new is None:
            raise self._ended_elsewhere()
        self.row.step_rows[step_id] = new
        if event:
            self.catalog.record_event(event, new.outcome, repository=self.row.repository, operator=self.operator,
                                      detail={"session_id": self.id, "step": step_id, **(detail or {})})
        return new

    def refresh_step(self, step_id: str) -> StepRow:
        """The step as the catalog has it now (another console may have changed it)."""
        now = self.catalog.step_row(self.id, step_id)
        if now is not None:
            self.row.step_rows[step_id] = now
        return self.state(step_id)

    def tick(self, step_id: str, evidence: str | None = None) -> StepRow:
        """Mark the step done; a step that asks for evidence needs it (given here or before) in its form."""
        self._open()
        step = self.step(step_id)
        if evidence is not None and evidence.strip():
            self.set_evidence(step_id, evidence)
        now = self.refresh_step(step_id)
        if step.evidence and not now.evidence:
            raise SessionError("machine.evidence_first", step=step_id,
                               prompt=step.evidence.get(active()) or step.evidence.get("en"))
        return self._update(step_id, "session step", {"evidence": now.evidence} if now.evidence else None,
                            outcome=StepOutcome.DONE, reason=None)

    def untick(self, step_id: str) -> StepRow:
        """A done or skipped step back to pending (its evidence, notes and output stay)."""
        self._open()
        if self.refresh_step(self.step(step_id).id).outcome == StepOutcome.PENDING:
            return self.state(step_id)
        return self._update(step_id, "session step", outcome=StepOutcome.PENDING, reason=None)

    def skip(self, step_id: str, reason: str) -> StepRow:
        self._open()
        step = self.step(step_id)
        if step.required:
            raise SessionError("machine.required", step=step_id)
        if not reason or not reason.strip():
            raise SessionError("machine.skip_reason")
        return self._update(step_id, "session step", {"reason": reason.strip()}, outcome=StepOutcome.SKIPPED,
                            reason=reason.strip())

    def _checked_evidence(self, step: Step, value: str) -> str:
        if not step.evidence:
            raise SessionError("machine.no_evidence", step=step.id)
        problem = evidence_problem(step, value)
        if problem:
            raise SessionError(problem)
        return value.strip()

    def set_evidence(self, step_id: str, value: str) -> StepRow:
        """Record the evidence; SessionError if it is empty or not of the expected form."""
        self._open()
        return self._update(step_id, evidence=self._checked_evidence(self.step(step_id), value))

    def set_note(self, step_id: str, text: str) -> StepRow:
        return self._update(self.step(step_id).id, note=text or None)

    def record_output(self, step_id: str, output: str, exit_status: int | None, *, final: bool = True,
                      lock: str | None = None) -> StepRow:
        """A command's output so far (or in full, with its exit status, when `final`). `lock`, when it
        starts: the mark of the lock its process holds while it runs."""
        if len(output) > OUTPUT_LIMIT:
            output = "[… earlier output not kept …]\n" + output[-OUTPUT_LIMIT:]
        detail = {"exit_status": exit_status, "command": self.step(step_id).command} if final else None
        columns = {"lock": lock} if lock else {}
        return self._update(self.step(step_id).id, "session command" if final else None, detail,
                            output=output, exit_status=exit_status, **columns)

    def move_to(self, step_id: str) -> None:
        self.step(step_id)
        if self.is_open and self.row.current != step_id:
            self.catalog.set_session_current(self.id, step_id)
            self.row = replace(self.row, current=step_id)

    def finish(self) -> None:
        self._open()
        for s in self.steps:  # another console may have undone one meanwhile
            self.refresh_step(s.id)
        missing = self.missing_required()
        if missing:
            raise SessionError("machine.not_done", n=len(missing), steps=", ".join(s.id for s in missing))
        self._end(SessionState.FINISHED, None)

    def abandon(self, reason: str) -> None:
        self._open()
        if not reason or not reason.strip():
            raise SessionError("machine.abandon_reason")
        self._end(SessionState.ABANDONED, reason.strip())

    def _end(self, state: str, reason: str | None) -> None:
        done, total = self.progress()
        if not self.catalog.end_session(self.id, state, reason, operator=self.operator, progress=f"{done}/{total}"):
            raise self._ended_elsewhere()
        self.reload()

    def reload(self) -> None:
        self.row = self.catalog.session(self.id)
