"""Several backup hosts, as the console and the profile see them: the detail pane names a repository's host,
the console closes a run whose host's lease expired, the profile checks `host:` and `storage.lease`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.config import load_profile
from dse_tui.core.profile.problems import ConfigError
from dse_tui.ui.app import make_app
from tests.conftest import detail_follows_cursor, fixed_clock, pilot_until, write_profile


def site(tmp_path, repo_extra: str = ", host: db01", storage_extra: str = ""):
    (tmp_path / "tree").mkdir(parents=True, exist_ok=True)
    (tmp_path / "tree" / "a.txt").write_text("a\n")
    return write_profile(tmp_path, f"""\
site: {{id: t, name: Test}}
storage: {{root: ./backups, catalog: ./catalog.sqlite{storage_extra}}}
repositories:
  - {{id: conf, name: Configuration, kind: config, driver: files, source: {{path: ./tree}}{repo_extra}}}
""")


async def test_the_detail_pane_names_the_host_that_backs_the_repository_up(tmp_path):
    app = make_app(site(tmp_path), language="es", clock=fixed_clock, poll_seconds=0.05)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot_until(pilot, lambda: detail_follows_cursor(app), what="the detail pane")
        settings = str(app.screen.query_one("#detail #settings").render())
        assert "Equipo: db01" in settings


async def test_the_console_marks_interrupted_a_run_whose_hosts_lease_expired(tmp_path):
    path = site(tmp_path, repo_extra="")
    profile = load_profile(path)
    with Catalog(profile.catalog_path) as catalog:
        dead = catalog.start_run("conf", host="gone")  # its host died: no lease holds it
    app = make_app(path, language="en", clock=fixed_clock, poll_seconds=0.05)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot_until(pilot, lambda: app.statuses, what="the dashboard's statuses")
        (status,) = app.statuses
        assert status.last_attempt.id == dead and status.last_attempt.state == "failed"
        assert not status.running
    with Catalog(profile.catalog_path) as catalog:
        assert "lease of host gone expired" in catalog.run(dead).message


def test_the_profile_names_a_repositorys_host_and_the_lease(tmp_path):
    profile = load_profile(site(tmp_path, storage_extra=", lease: 30s"))
    assert profile.repository("conf").host == "db01" and profile.lease == timedelta(seconds=30)
    assert load_profile(site(tmp_path / "plain", repo_extra="")).repository("conf").host is None
    with pytest.raises(ConfigError, match="host"):
        load_profile(site(tmp_path / "bad", repo_extra=", host: 'no spaces here'"))


def test_a_run_shows_as_running_while_its_hosts_lease_holds(tmp_path, monkeypatch):
    import subprocess

    from dse_tui.core.common.timeutil import utcnow
    from dse_tui.core.engine.schedule import statuses

    monkeypatch.setenv("DSE_TUI_HOST", "here")
    profile = load_profile(site(tmp_path, repo_extra=""))
    gone = subprocess.Popen(["true"])
    gone.wait()
    with Catalog(profile.catalog_path) as catalog:
        catalog.start_run("conf", host="far")
        assert catalog.take_lease("conf", "far", gone.pid, "t", 600) is None
        # Another host's process is not looked for here: its lease says it runs.
        assert [s.running for s in statuses(profile, catalog, utcnow())] == [True]
        catalog.conn.execute("UPDATE leases SET host = 'here'")
        # This host's, whose process is gone: not running, though its lease has not expired yet.
        assert [s.running for s in statuses(profile, catalog, utcnow())] == [False]


def test_another_hosts_runs_are_verified_copied_and_pruned_there(tmp_path, monkeypatch):
    """Its folder is in that host's storage root: this host's `verify --due`, `copy` and pruning pass it by."""
    from dse_tui.core.common.timeutil import utcnow
    from dse_tui.core.destinations.copies import copy_pending
    from dse_tui.core.engine.retention import prune
    from dse_tui.core.verification.runs import due_runs

    path = write_profile(tmp_path, """\
site: {id: t, name: Test}
storage: {root: ./backups, catalog: ./catalog.sqlite}
destinations: [{id: nas, kind: directory, path: ./nas}]
repositories:
  - {id: conf, kind: config, driver: files, source: {path: ./tree}, verify_every: 1d, destinations: [nas],
     copies: 1, retention: {daily: 0, weekly: 0, monthly: 0}}
""")
    profile = load_profile(path)
    monkeypatch.setenv("DSE_TUI_HOST", "here")
    (profile.storage_root / "conf" / "run-far").mkdir(parents=True)
    with Catalog(profile.catalog_path) as catalog:
        for _ in range(2):
            run_id = catalog.start_run("conf", host="far")
            catalog.finish_run(run_id, "good", size=1, sha256="0" * 64,
                               artifact=str(profile.storage_root / "conf" / "run-far"), manifest="m")
        assert due_runs(profile, catalog, utcnow()) == []
        assert copy_pending(profile, catalog) == []
        for run in catalog.prunable_runs("conf"):  # stored: retention would remove the older one
            catalog.add_copy(run.id, "nas")
        decisions = prune(profile, catalog, profile.repository("conf"))
        assert decisions and all(d.keep for d in decisions)
        assert any("host far" in str(r) for d in decisions for r in d.reasons)
        assert (profile.storage_root / "conf" / "run-far").is_dir()
        monkeypatch.setenv("DSE_TUI_HOST", "far")  # on its own host, they are
        assert len(due_runs(profile, catalog, utcnow())) == 2


@pytest.mark.parametrize("here", ["console01", "db01"])
async def test_the_console_backs_up_only_its_own_hosts_repositories(tmp_path, monkeypatch, here):
    """On another host, r says why and R passes the repository by (as `run --due` does): its source may be
    reachable from its host only. On its host, r backs it up."""
    monkeypatch.setenv("DSE_TUI_HOST", here)
    path = site(tmp_path)  # conf: host db01
    app = make_app(path, language="en", clock=fixed_clock, poll_seconds=0.05)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot_until(pilot, lambda: detail_follows_cursor(app), what="the dashboard")
        await pilot.press("r")
        with Catalog(load_profile(path).catalog_path) as catalog:
            if here == "db01":
                await pilot_until(pilot, lambda: [r.state for r in catalog.recent_runs("conf", 5)] == ["good"],
                                  what="its run recorded good")
                return
            await pilot_until(pilot, lambda: any("backed up by host db01" in n.message for n in app._notifications),
                              what="the reason")
            await pilot.press("R")
            await pilot.pause()
            await app.workers.wait_for_complete()
            assert catalog.recent_runs("conf", 5) == [], "no run was started here"
