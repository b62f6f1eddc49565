"""Several runs at once: which repositories, and running them in parallel up to the profile's limit."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Callable

from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.model import Profile, Repository
from dse_tui.core.engine.runner import RunOutcome, RunProgress, run_repository
from dse_tui.core.engine.schedule import statuses

def pick(profile: Profile, catalog: Catalog, now: datetime, *, names: list[str] | None = None,
         everything: bool = False) -> list[Repository]:
    """The repositories named (KeyError for an unknown one), all of them, or those pending: due, overdue,
    never backed up, or whose last run failed (RepoStatus.pending)."""
    if names:
        return [profile.repository(n) for n in dict.fromkeys(names)]
    if everything:
        return list(profile.repositories)
    return [s.repository for s in statuses(profile, catalog, now) if s.pending]


def run_many(profile: Profile, repos: list[Repository], *, trigger: str = "auto", operator: str | None = None,
             cancel: threading.Event | None = None, on_progress: Callable[[RunProgress], None] | None = None,
             on_outcome: Callable[[RunOutcome], None] | None = None,
             log: Callable[[str, str], None] | None = None) -> list[RunOutcome]:
    """Run `repos`, `profile.parallel` at a time; one failing never stops the others. Outcomes in
    the order asked."""
    lock = threading.Lock()

    def one(repo: Repository) -> RunOutcome:
        outcome = run_repository(profile, repo, trigger=trigger, operator=operator, cancel=cancel,
                                 on_progress=on_progress,
                                 log=(lambda line, r=repo.id: log(r, line)) if log else None)
        if on_outcome:
            with lock:
                on_outcome(outcome)
        return outcome

    if not repos:
        return []
    with ThreadPoolExecutor(max_workers=min(profile.parallel, len(repos))) as pool:
        return list(pool.map(one, repos))
