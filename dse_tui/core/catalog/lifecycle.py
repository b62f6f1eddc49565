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
    session       open → finished | abandoned
    medium        see MEDIUM: everyday moves, erasing (blank) and retiring
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Refused(Exception):
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
        return sorted({event for _, event in self.moves})

    def next(self, state: str, event: str) -> str:
        """The state `event` leads to from `state`, or Refused."""
        try:
            return self.moves[(str(state), str(event))]
        except KeyError:
            allowed = sorted(e for s, e in self.moves if s == str(state))
            raise Refused(f"a {self.record} that is {state} cannot be {event}"
                          + (f" (only {', '.join(allowed)})" if allowed else " (it is final)")) from None


def _finishing(start: StrEnum, ends: dict[str, StrEnum]) -> dict[tuple[str, str], str]:
    return {(str(start), event): str(to) for event, to in ends.items()}


R, V, C, S = RunState, VerificationOutcome, CopyState, RestoreOutcome

RUN = Machine("run", RunState, {
    **_finishing(R.RUNNING, {"good": R.GOOD, "failed": R.FAILED, "cancelled": R.CANCELLED,
                             "interrupted": R.FAILED}),
    (R.GOOD, "verification failed"): R.FAILED,  # it stops counting as a backup; its artifact stays as evidence
    (R.FAILED, "accepted"): R.GOOD,
})

VERIFICATION = Machine("verification", VerificationOutcome, _finishing(V.RUNNING, {
    o.value: o for o in V if o is not V.RUNNING}))

COPY = Machine("copy", CopyState, {
    **_finishing(C.COPYING, {"verified": C.VERIFIED, "failed": C.FAILED, "cancelled": C.FAILED,
                             "interrupted": C.FAILED}),
    (C.VERIFIED, "verification failed"): C.FAILED,
    (C.VERIFIED, "erased"): C.FAILED,  # its medium was made blank: what was on it is gone
})
# Events that fail a record which may already have failed meanwhile (two verifications of one damaged run
# at once, the console's and cron's): the second finds it failed, and that is what it wanted.
FAILING = ("verification failed", "erased")

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
