"""Grandfather-father-son retention: which good runs to keep, and pruning the rest.

A run is kept when any rule wants it: it is the newest run of one of the last `daily` days, `weekly`
ISO weeks, `monthly` months or `yearly` years; it is the repository's last good run; or it does not yet
have the verified copies its repository requires (a backup that exists in one place only is never
deleted).

A run pruned takes its side files with it: its contents index under the storage root's `.contents/`
(restore/contents_index.py), which would otherwise outlive the run and fill the disk run by run.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from dse_tui.core.catalog import Catalog, Run
from dse_tui.core.catalog.lifecycle import RunState
from dse_tui.core.engine.hosts import made_here
from dse_tui.core.profile.model import Profile, Repository
from dse_tui.core.restore.contents_index import index_path
from dse_tui.core.texts import Text

CONTENTS = ".contents"  # where contents_index.run_contents keeps the runs' indexes
_INDEX_RUN = re.compile(r"\.?r(\d+)-")  # an index's run, and that of one being written (".r12-….idx.<pid>.<tid>")


@dataclass
class Decision:
    run: Run
    keep: bool
    reasons: list[Text] = field(default_factory=list)  # read in the active language


def plan(repo: Repository, runs: list[Run], copies: dict[int, int]) -> list[Decision]:
    """`runs`: the repository's good runs whose artifacts still exist, any order."""
    runs = sorted(runs, key=lambda r: r.started_at, reverse=True)
    decisions = {r.id: Decision(r, False) for r in runs}
    rules = (
        ("daily", repo.retention.daily, lambda t: t.date()),
        ("weekly", repo.retention.weekly, lambda t: tuple(t.isocalendar())[:2]),
        ("monthly", repo.retention.monthly, lambda t: (t.year, t.month)),
        ("yearly", repo.retention.yearly, lambda t: t.year),
    )
    for name, count, period_of in rules:
        seen = []
        for run in runs:  # newest first: the first run met in a period is that period's keeper
            period = period_of(run.started_at.astimezone())
            if period in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(period)
            decisions[run.id].reasons.append(Text(f"prune.why.{name}"))
    if runs:
        decisions[runs[0].id].reasons.append(Text("prune.why.last_good"))
    for run in runs:
        if copies.get(run.id, 0) < repo.copies:
            decisions[run.id].reasons.append(Text("prune.why.copies", n=copies.get(run.id, 0), copies=repo.copies))
    for d in decisions.values():
        d.keep = bool(d.reasons)
    return [decisions[r.id] for r in runs]


def plan_held(runs: list[Run], held: list[Run]) -> list[Decision]:
    """A run kept although it failed (as evidence, or to be accepted) goes once a later run is good: its
    checks stay in the catalog."""
    newest_good = max((r.started_at for r in runs), default=None)
    return [Decision(r, False, []) if newest_good and r.started_at < newest_good
            else Decision(r, True, [Text("prune.why.held")]) for r in held]


def prune(profile: Profile, catalog: Catalog, repo: Repository, *, dry_run: bool = False,
          operator: str | None = None) -> list[Decision]:
    runs = catalog.prunable_runs(repo.id)
    decisions = plan(repo, runs, catalog.verified_copies([r.id for r in runs]))
    decisions += plan_held(runs, catalog.held_runs(repo.id))
    if dry_run:
        return decisions
    for d in decisions:
        if d.keep:
            continue
        if not made_here(d.run):  # another host's disk holds it: its own runs' pruning removes it there
            d.keep, d.reasons = True, [Text("prune.why.other_host", host=d.run.host)]
            continue
        artifact = Path(d.run.artifact)
        # Only what dse-tui made: a real folder (not a link) in this repository's folder of the storage root.
        if artifact.parent != profile.storage_root / repo.id or artifact.is_symlink():
            d.keep, d.reasons = True, [Text("prune.why.not_ours", artifact=artifact)]
            continue
        if artifact.is_dir():
            shutil.rmtree(artifact)
        drop_index(profile.storage_root, d.run.id)
        catalog.mark_pruned(d.run.id)
        catalog.record_event("run pruned", "ok", repository=repo.id, operator=operator,
                             detail={"run_id": d.run.id, "artifact": d.run.artifact})
    _sweep_indexes(profile.storage_root, catalog, repo, {d.run.id for d in decisions if d.keep})
    return decisions


def drop_index(storage_root: Path, run_id: int) -> None:
    """The run's contents index, of any manifest, and any left half written by a writer that died."""
    folder = storage_root / CONTENTS
    written = index_path(folder, run_id, "*").name  # "r12-*.idx": never r120's
    for stale in (*folder.glob(written), *folder.glob(f".{written}.*")):
        stale.unlink(missing_ok=True)


def _sweep_indexes(storage_root: Path, catalog: Catalog, repo: Repository, kept: set[int]) -> None:
    """Indexes of this repository's runs that are gone: pruned before their index went with them, or
    written by a console that read the manifest just before the run was pruned. Another repository's
    are left to its own prune."""
    folder = storage_root / CONTENTS
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        found = _INDEX_RUN.match(entry.name)
        if found is None or int(found[1]) in kept:
            continue
        run = catalog.run(int(found[1]))
        # A run still running may be having its index written as it is backed up: it is not gone.
        if run is None or (run.repository == repo.id and run.state != RunState.RUNNING):
            entry.unlink(missing_ok=True)
