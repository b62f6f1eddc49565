"""Several runs at once: which repositories, and running them in parallel up to the profile's limit."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Callable

from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.model import Profile, Repository
from dse_tui.core.engine.runner import RunOutcome, RunProgress, run_repository
from dse_tui.core.engine.hosts import is_mine, this_host
from dse_tui.core.engine.schedule import statuses


class NotThisHost(Exception):
    """A repository named that another host backs up (its source may be reachable from there only)."""

    def __init__(self, repo: Repository, host: str):
        super().__init__(repo.id)
        self.repo, self.host = repo, host


def pick(profile: Profile, catalog: Catalog, now: datetime, *, names: list[str] | None = None,
         everything: bool = False) -> list[Repository]:
    """The repositories named (KeyError for an unknown one, NotThisHost for another host's), all of this
    host's, or those of this host pending: due, overdue, never backed up, or whose last run failed
    (RepoStatus.pending)."""
    host = this_host()
    if names:
        repos = [profile.repository(n) for n in dict.fromkeys(names)]
        for repo in repos:
            if not is_mine(repo, host):
                raise NotThisHost(repo, host)
        return repos
    if everything:
        return [r for r in profile.repositories if is_mine(r, host)]
    return [s.repository for s in statuses(profile, catalog, now) if s.pending and is_mine(s.repository, host)]


def run_many(profile: Profile, repos: list[Repository], *, trigger: str = "auto", operator: str | None = None,
             cancel: threading.Event | None = None, on_progress: Callable[[RunProgress], None] | None = None,
             on_outcome: Callable[[RunOutcome], None] | None = None,
             log: Callable[[str, str], None] | None = None, only_if_pending: bool = False) -> list[RunOutcome]:
    """Run `repos`, `profile.parallel` at a time; one failing never stops the others. Outcomes in
    the order asked. `only_if_pending`: they were picked as due; one another host took meanwhile is skipped."""
    lock = threading.Lock()

    def one(repo: Repository) -> RunOutcome:
        outcome = run_repository(profile, repo, trigger=trigger, operator=operator, cancel=cancel,
                                 on_progress=on_progress, only_if_pending=only_if_pending,
                                 log=(lambda line, r=repo.id: log(r, line)) if log else None)
        if on_outcome:
            with lock:
                on_outcome(outcome)
        return outcome

    if not repos:
        return []
    with ThreadPoolExecutor(max_workers=min(profile.parallel, len(repos))) as pool:
        return list(pool.map(one, repos))
