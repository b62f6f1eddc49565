"""The session screen's commands, and why one is refused when it is: said when its key is pressed and in the
F1 help (ui/screens/base.py makes the keys, footer, help and palette of the table)."""

from __future__ import annotations

from dse_tui.core.sessions.machine import Session
from dse_tui.i18n import tr
from dse_tui.ui.commands import Command

SESSION_COMMANDS = tuple(Command(cid, key, action, text=f"scmd.{cid}") for cid, key, action in (
    ("tick", "space", "tick"), ("run", "r", "run"), ("cancel", "x", "cancel"),
    ("evidence", "e", "evidence"), ("note", "o", "note"), ("skip", "s", "skip"),
    ("finish", "f", "finish"), ("register", "g", "register"), ("abandon", "a", "abandon"),
    ("back", "escape", "back")))
CHANGES = {"tick", "run", "evidence", "note", "skip", "finish", "abandon"}  # refused on an ended session


def refusal(s: Session, step_id: str | None, busy: str | None, action: str, lang: str, *,
            per_step: bool = True) -> str | None:
    """Why `action` cannot be done now on session `s` with step `step_id` selected; None when it can.
    `per_step` false: only the reasons that hold whichever step is selected (what the footer shows)."""
    if action == "cancel":
        return None if busy is not None else tr("why.idle", lang)
    if action not in CHANGES and action != "register":
        return None
    if busy is not None:
        return tr("session.busy", lang)
    if action == "register":
        return None if s.row.state == "finished" else tr("why.register_unfinished", lang)
    if not s.is_open:
        return tr("session.readonly", lang, state=tr(f"session.state.{s.row.state}", lang))
    if action == "finish":
        missing = [st.id for st in s.missing_required()]
        return tr("why.finish_missing", lang, n=len(missing), steps=", ".join(missing[:6])) if missing else None
    if action == "abandon" or not per_step:
        return None
    if step_id is None:
        return tr("why.no_step", lang)
    step, outcome = s.step(step_id), s.state(step_id).outcome
    if action == "evidence" and not step.evidence:
        return tr("why.no_evidence", lang, step=step_id)
    if action == "run" and not step.command:
        return tr("session.no_command", lang)
    if action == "skip" and step.required:
        return tr("why.skip_required", lang, step=step_id)
    if action == "skip" and outcome != "pending":
        return tr("why.skip_dealt", lang, step=step_id, outcome=tr(f"session.outcome.{outcome}", lang))
    return None
