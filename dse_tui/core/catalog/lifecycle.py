"""The life cycle of every record the procedure keeps: its states, and which event moves it from one to
another. Decided here once; the catalog refuses any change this table does not allow (Refused), so a
rule such as "a retired medium never comes back" or "only a failed run can be accepted" holds whichever
screen or command asks.

    run           running → good | failed | cancelled (| failed, interrupted); good → failed when a later
                  verification fails; failed → good when the operator accepts a run held by the shrink rule
    verification  running → passed | failed | inconclusive | cancelled | interrupted
    copy          copying → verified | failed (cancelled and interrupted copies are failed: they never
                  count); verified → failed when re-reading it fails or its medium is erased
    restore       running → done | failed | cancelled | interrupted
    session       open → finished | abandoned (its steps: StepOutcome, moved by sessions/machine.py)
    medium        see MEDIUM: everyday moves, erasing (blank) and retiring

The states are StrEnums: each is its string wherever it goes (the catalog's columns, the events, `--json`).
An event that leads to a state of its own name is that state (RunState.GOOD); the others are Event.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dse_tui.core.texts import Told


class Refused(Told):
    """A change the life cycle does not allow; the message names the record, its state and the event."""


class RunState(StrEnum):
    RUNNING = "running"
    GOOD = "good"
    FAILED = "failed"
    CANCELLED = "cancelled"


class VerificationOutcome(StrEnum):
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"  # the check could not be made (server down, key or disk not at hand)
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # its process died


class CopyState(StrEnum):
    COPYING = "copying"
    VERIFIED = "verified"
    FAILED = "failed"


class RestoreOutcome(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


class SessionState(StrEnum):
    OPEN = "open"
    FINISHED = "finished"
    ABANDONED = "abandoned"


class StepOutcome(StrEnum):
    """A checklist step's: pending → done | skipped; done | skipped → pending (undone)."""
    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"


class Event(StrEnum):
    """The events that move a record and are not named after the state they lead to."""
    INTERRUPTED = "interrupted"  # its process died; a verification or restore says so, a run or copy failed
    CANCELLED = "cancelled"  # a copy's: a cancelled copy is failed (a run's is the state cancelled)
    VERIFICATION_FAILED = "verification failed"
    ERASED = "erased"
    ACCEPTED = "accepted"


class MediumState(StrEnum):
    BLANK = "blank"
    IN_USE = "in-use"
    FULL = "full"
    OFFSITE = "offsite"
    EXPIRED = "expired"
    DESTROYED = "destroyed"


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per record kind
class Machine:
    record: str
    states: type[StrEnum]
    moves: dict[tuple[str, str], str]  # (state, event) -> the state it leads to

    @property
    def events(self) -> list[str]:
        return sorted({str(event) for _, event in self.moves})

    def next(self, state: str, event: str) -> StrEnum:
        """The state `event` leads to from `state` (a member of `states`), or Refused."""
        try:
            return self.states(self.moves[(str(state), str(event))])
        except KeyError:
            allowed = sorted(e for s, e in self.moves if s == str(state))
            raise Refused(f"a {self.record} that is {state} cannot be {event}"
                          + (f" (only {', '.join(allowed)})" if allowed else " (it is final)")) from None


def _finishing(start: StrEnum, ends: dict[str, StrEnum]) -> dict[tuple[str, str], str]:
    return {(str(start), event): str(to) for event, to in ends.items()}


R, V, C, S, E = RunState, VerificationOutcome, CopyState, RestoreOutcome, Event

RUN = Machine("run", RunState, {
    **_finishing(R.RUNNING, {R.GOOD: R.GOOD, R.FAILED: R.FAILED, R.CANCELLED: R.CANCELLED,
                             E.INTERRUPTED: R.FAILED}),
    (R.GOOD, E.VERIFICATION_FAILED): R.FAILED,  # it stops counting as a backup; its artifact stays as evidence
    (R.FAILED, E.ACCEPTED): R.GOOD,
})

VERIFICATION = Machine("verification", VerificationOutcome, _finishing(V.RUNNING, {
    o.value: o for o in V if o is not V.RUNNING}))

COPY = Machine("copy", CopyState, {
    **_finishing(C.COPYING, {C.VERIFIED: C.VERIFIED, C.FAILED: C.FAILED, E.CANCELLED: C.FAILED,
                             E.INTERRUPTED: C.FAILED}),
    (C.VERIFIED, E.VERIFICATION_FAILED): C.FAILED,
    (C.VERIFIED, E.ERASED): C.FAILED,  # its medium was made blank: what was on it is gone
})
# Events that fail a record which may already have failed meanwhile (two verifications of one damaged run
# at once, the console's and cron's): the second finds it failed, and that is what it wanted.
FAILING = (E.VERIFICATION_FAILED, E.ERASED)

RESTORE = Machine("restore", RestoreOutcome, _finishing(S.RUNNING, {o.value: o for o in S if o is not S.RUNNING}))

SESSION = Machine("session", SessionState, _finishing(SessionState.OPEN, {
    "finished": SessionState.FINISHED, "abandoned": SessionState.ABANDONED}))

# Blank means erased: what the medium held no longer counts as a copy. A retired medium never comes back.
# Erasing and retiring are also refused while it holds the only copy of a run retention keeps
# (media.check_transition: that needs the catalog, not just the state).
_MEDIUM_MOVES = {
    "blank": ("in-use", "expired", "destroyed"),
    "in-use": ("full", "offsite", "blank", "expired", "destroyed"),
    "full": ("in-use", "offsite", "blank", "expired", "destroyed"),
    "offsite": ("in-use", "full", "expired", "destroyed"),  # brought back before it is erased
    "expired": ("destroyed",),
    "destroyed": (),
}
MEDIUM = Machine("medium", MediumState, {(state, to): to for state, targets in _MEDIUM_MOVES.items()
                                         for to in targets})
RETIRED = (str(MediumState.EXPIRED), str(MediumState.DESTROYED))
ERASING = (str(MediumState.BLANK),) + RETIRED

MACHINES = (RUN, VERIFICATION, COPY, RESTORE, SESSION, MEDIUM)
