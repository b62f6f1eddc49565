"""Due, overdue and the other states, and the strip of the last periods."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.config import load_profile
from dse_tui.core.engine.schedule import exit_code, period_bounds, period_strip, statuses
from tests.conftest import FIXED_NOW, record_runs, write_profile

PROFILE = """\
site: {id: t, name: T}
storage: {root: ./b, catalog: ./catalog.sqlite}
repositories:
  - {id: daily, kind: database, driver: sqlite, source: {path: ./x}, periodicity: 1d, grace: 6h}
"""


@pytest.fixture
def site(tmp_path):
    return load_profile(write_profile(tmp_path, PROFILE))


def state_after(site, outcomes: str, *, last_at_hours_ago: float | None = None) -> str:
    now = FIXED_NOW
    if last_at_hours_ago is not None:
        now = FIXED_NOW + timedelta(hours=last_at_hours_ago) - timedelta(days=1)
    record_runs(site.catalog_path, "daily", outcomes, now=now)
    with Catalog(site.catalog_path) as catalog:
        (status,) = statuses(site, catalog, FIXED_NOW)
    return status.state


def test_never(site):
    with Catalog(site.catalog_path) as catalog:
        (status,) = statuses(site, catalog, FIXED_NOW)
    assert (status.state, status.last_run_at, status.next_due_at) == ("never", None, None)


def test_ok_then_due_then_overdue(site):
    record_runs(site.catalog_path, "daily", "g", now=FIXED_NOW)  # a good run 23h55m ago
    with Catalog(site.catalog_path) as catalog:
        at = lambda hours: statuses(site, catalog, FIXED_NOW + timedelta(hours=hours))[0]
        assert at(0).state == "ok"
        assert at(0).next_due_at == FIXED_NOW + timedelta(minutes=5)
        assert at(1).state == "due"
        assert at(6).state == "due"
        assert at(6.1).state == "overdue"


def test_last_run_at_is_the_last_good_run_not_the_last_attempt(site):
    good, failed = record_runs(site.catalog_path, "daily", "gf")
    with Catalog(site.catalog_path) as catalog:
        (status,) = statuses(site, catalog, FIXED_NOW)
        assert status.state == "failed"
        assert status.last_good.id == good and status.last_attempt.id == failed
        assert status.reason == "pg_dump exited with status 1"


def test_manual_required_wins(site):
    record_runs(site.catalog_path, "daily", "gg")
    with Catalog(site.catalog_path) as catalog:
        catalog.set_manual_required("daily", "verification failed: checksum mismatch")
        (status,) = statuses(site, catalog, FIXED_NOW)
        assert (status.state, status.reason) == ("manual-required", "verification failed: checksum mismatch")
        catalog.set_manual_required("daily", None)
        assert statuses(site, catalog, FIXED_NOW)[0].state == "ok"


def test_exit_code_is_the_worst_state(site):
    class S:
        def __init__(self, state):
            self.state = state

    assert exit_code([S("ok"), S("ok")]) == 0
    assert exit_code([S("ok"), S("due")]) == 1
    assert exit_code([S("overdue"), S("never")]) == 1
    assert exit_code([S("due"), S("failed")]) == 2
    assert exit_code([S("manual-required")]) == 2
    assert exit_code([]) == 0


def test_cron_periodicity_due_time(tmp_path):
    profile = load_profile(write_profile(tmp_path, PROFILE.replace("periodicity: 1d", "periodicity: '0 2 * * *'")))
    record_runs(profile.catalog_path, "daily", "g", now=FIXED_NOW)  # run at 2026-11-24 12:05 UTC
    with Catalog(profile.catalog_path) as catalog:
        (status,) = statuses(profile, catalog, FIXED_NOW)
    assert status.next_due_at.isoformat() == "2026-11-25T02:00:00+00:00"
    assert status.state == "overdue"  # 10 h past 02:00 with 6 h of grace


def test_period_strip_shows_gaps_and_failures(site):
    record_runs(site.catalog_path, "daily", "gg.gfg", now=FIXED_NOW)
    repo = site.repository("daily")
    with Catalog(site.catalog_path) as catalog:
        bounds = period_bounds(repo, FIXED_NOW, count=8)
        periods = period_strip(bounds, catalog.runs_since("daily", bounds[0]), catalog.first_run_at("daily"))
    assert [p.outcome for p in periods] == ["before", "before", "good", "good", "missing", "good", "failed", "good"]
    assert periods[-1].end == FIXED_NOW


def test_a_period_with_only_a_cancelled_run_is_a_cancelled_gap_not_a_failure(site):
    """Issue 17: a cancelled run is no good run, so its period stays a gap; but it says cancelled, not
    failed. A failure in the same period still reads failed."""
    record_runs(site.catalog_path, "daily", "gcgfg", now=FIXED_NOW)
    with Catalog(site.catalog_path) as catalog:
        cancelled = catalog.start_run("daily", at=FIXED_NOW - timedelta(days=2) + timedelta(hours=2))  # beside the failure
        catalog.finish_run(cancelled, "cancelled", at=FIXED_NOW - timedelta(days=2) + timedelta(hours=3))
        bounds = period_bounds(site.repository("daily"), FIXED_NOW, count=5)
        periods = period_strip(bounds, catalog.runs_since("daily", bounds[0]), catalog.first_run_at("daily"))
    assert [p.outcome for p in periods] == ["good", "cancelled", "good", "failed", "good"]


def test_a_failed_night_does_not_stop_the_next_automatic_backup(tmp_path):
    """Issue 17: manual-required stays on the dashboard, but `run --due` still backs the repository up at
    its periodicity, and a good run then clears the state."""
    import sqlite3

    from dse_tui.core.engine.batch import pick, run_many

    site = load_profile(write_profile(tmp_path, PROFILE))
    record_runs(site.catalog_path, "daily", "gf", size=1)  # good the day before, failed last night
    with Catalog(site.catalog_path) as catalog:
        catalog.set_manual_required("daily", "run failed: the source is missing")
        (status,) = statuses(site, catalog, FIXED_NOW)
        assert status.state == "manual-required" and status.pending, "due since the good run's period passed"
        assert [r.id for r in pick(site, catalog, FIXED_NOW)] == ["daily"]
        early = FIXED_NOW - timedelta(days=1)  # still within the good run's period: not yet
        assert not statuses(site, catalog, early)[0].pending
        assert pick(site, catalog, early) == []
    with sqlite3.connect(tmp_path / "x") as db:
        db.execute("CREATE TABLE t (x)")
        db.execute("INSERT INTO t VALUES (1)")
    (outcome,) = run_many(site, [site.repository("daily")])
    assert outcome.state == "good", outcome.message
    with Catalog(site.catalog_path) as catalog:
        assert catalog.manual_required_since("daily") is None
