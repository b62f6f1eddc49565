"""Due/overdue and the state of every repository, from the profile's periodicities and the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dse_tui.core.catalog import Catalog, LastStatus, Run
from dse_tui.core.catalog.lifecycle import RunState
from dse_tui.core.profile.model import Profile, Repository
from dse_tui.core.common.timeutil import iso


class Status(StrEnum):
    """A repository's state: read from its runs and the profile's periodicity, not a record of its own.
    Worst first: the order the dashboard sorts by and `status` reduces to an exit code."""
    MANUAL_REQUIRED = "manual-required"
    FAILED = "failed"  # its last attempt failed
    OVERDUE = "overdue"
    DUE = "due"
    NEVER = "never"
    OK = "ok"


STATES = tuple(s.value for s in Status)
EXIT_CODES = {Status.OK: 0, Status.DUE: 1, Status.OVERDUE: 1, Status.NEVER: 1, Status.FAILED: 2,
              Status.MANUAL_REQUIRED: 2}


@dataclass(frozen=True)
class RepoStatus:
    repository: Repository
    state: str
    last_good: Run | None
    last_attempt: Run | None
    next_due_at: datetime | None
    copies: int
    reason: str | None  # why the state is not ok, in words, for the dashboard and `status`
    running: bool = False  # a run of it is in progress now (console, cron or another console)
    now: datetime | None = None  # the time the status was taken at

    @property
    def last_run_at(self) -> datetime | None:
        return self.last_good.started_at if self.last_good else None

    @property
    def stored(self) -> bool:
        return self.last_good is not None and self.copies >= self.repository.copies

    @property
    def pending(self) -> bool:
        """A run is wanted now: due, overdue, never done, or the last one failed. A repository waiting for
        a manual backup is still backed up at its periodicity (procedure 4.1.1): one failed night must not
        stop the next period's automatic backup, and a good one then clears the state."""
        if self.state == Status.MANUAL_REQUIRED:
            return self.next_due_at is None or self.now >= self.next_due_at
        return self.state in (Status.DUE, Status.OVERDUE, Status.NEVER, Status.FAILED)

    @property
    def size(self) -> int | None:
        return self.last_good.size if self.last_good else None

    def as_json(self) -> dict:
        a = self.last_attempt
        return {
            "id": self.repository.id,
            "name": self.repository.name,
            "kind": self.repository.kind,
            "driver": self.repository.driver,
            "state": self.state,
            "reason": self.reason,
            "last_run_at": iso(self.last_run_at),
            "last_run_id": self.last_good.id if self.last_good else None,
            "last_attempt_at": iso(a.started_at) if a else None,
            "last_attempt_state": a.state if a else None,
            "size": self.size,
            "next_due_at": iso(self.next_due_at),
            "copies": self.copies,
            "copies_required": self.repository.copies,
            # Procedure 4.2.1: a good backup on fewer distinct devices than required is not stored yet.
            "stored": self.stored,
            "running": self.running,
            "host": self.repository.host,  # the host that backs it up (null: any)
            "last_attempt_host": a.host if a else None,
        }


def repo_status(repo: Repository, last: LastStatus | None, now: datetime) -> RepoStatus:
    good = last.last_good if last else None
    attempt = last.last_attempt if last else None
    copies = last.copies if last else 0
    next_due = repo.periodicity.next_after(good.started_at) if good else None

    if last and last.manual_required_since:
        state, reason = Status.MANUAL_REQUIRED, last.manual_required_reason
    elif attempt and attempt.state == RunState.FAILED:  # a cancelled run leaves the state to the last good one
        state, reason = Status.FAILED, attempt.message or f"last run {attempt.state}"
    elif good is None:
        state, reason = Status.NEVER, "no satisfactory backup yet"
    elif now >= next_due + repo.grace:
        state, reason = Status.OVERDUE, f"due since {iso(next_due)}"
    elif now >= next_due:
        state, reason = Status.DUE, None
    else:
        state, reason = Status.OK, None
    return RepoStatus(repo, state, good, attempt, next_due, copies, reason, now=now)


def statuses(profile: Profile, catalog: Catalog, now: datetime) -> list[RepoStatus]:
    """One status per repository of the profile, in profile order."""
    from dataclasses import replace

    from dse_tui.core.engine.hosts import holder_alive
    from dse_tui.core.engine.locks import lock_holder

    last = catalog.last_status()
    leases = None
    out = []
    for r in profile.repositories:
        status = repo_status(r, last.get(r.id), now)
        # "running" in the catalog is believed only while its process holds the lock (this machine) or its
        # host holds the repository's lease (any host): a crashed run is not.
        attempt = status.last_attempt
        if attempt and attempt.state == RunState.RUNNING:
            if leases is None:
                leases = catalog.live_leases()
            if (r.id in leases and holder_alive(leases[r.id])) or lock_holder(profile.storage_root, r.id):
                status = replace(status, running=True)
        out.append(status)
    return out


def exit_code(items: list[RepoStatus]) -> int:
    """The worst state's code; a repository that is ok but whose last good run is on fewer distinct devices
    than it asks (procedure 4.2.1: not stored yet) is a warning, as due is."""
    return max((max(EXIT_CODES[s.state], 0 if getattr(s, "stored", True) else 1) for s in items), default=0)


# ---------------------------------------------------------------- history strip

@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    outcome: str  # good | failed | cancelled (RunState: the best of its runs) | MISSING | BEFORE (no runs yet)


MISSING, BEFORE = "missing", "before"


def period_bounds(repo: Repository, now: datetime, count: int = 30) -> list[datetime]:
    """`count + 1` boundaries of the last `count` periods of the repository's periodicity, oldest first."""
    bounds = [now]
    for _ in range(count):
        bounds.append(repo.periodicity.previous_before(bounds[-1]))
    return bounds[::-1]


def period_strip(bounds: list[datetime], runs: list[Run], first_run_at: datetime | None) -> list[Period]:
    """Each period between `bounds` with its outcome: a gap or a failure stands out at a glance. A period
    whose runs were only cancelled is still no good one, but it was stopped, not failed: it says so."""
    periods = []
    for start, end in zip(bounds, bounds[1:]):
        inside = [r.state for r in runs if start <= r.started_at < end]
        if RunState.GOOD in inside:
            outcome = RunState.GOOD
        elif RunState.FAILED in inside:
            outcome = RunState.FAILED
        elif RunState.CANCELLED in inside:
            outcome = RunState.CANCELLED
        elif first_run_at is None or end <= first_run_at:
            outcome = BEFORE
        else:
            outcome = MISSING
        periods.append(Period(start, end, outcome))
    return periods


def shrunk(sizes: list[int], window: int = 5, ratio: float = 0.5) -> list[bool]:
    """For each size (oldest first): is it under `ratio` of the median of the `window` before it?
    A backup that suddenly shrinks is the most common silent failure."""
    from statistics import median

    flags = []
    for i, value in enumerate(sizes):
        before = sizes[max(0, i - window):i]
        flags.append(bool(before) and value < ratio * median(before))
    return flags


def reason_text(status: RepoStatus, lang: str, now: datetime) -> str | None:
    """Why the state is not ok, in `lang` (a tool's own message stays as it said it), for the dashboard and
    `status`; RepoStatus.reason is the language-neutral one of --json."""
    from dse_tui.core.common.fmt import until
    from dse_tui.core.texts import tr

    if status.state == Status.NEVER:
        return tr("reason.never", lang)
    if status.state == Status.OVERDUE:
        return tr("reason.overdue", lang, when=until(status.next_due_at, now))
    if status.state == Status.OK:
        return None
    return status.reason
