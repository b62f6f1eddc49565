"""Backups launched from the console: progress, cancel, log, and the row updated when they end."""

from __future__ import annotations

import os

from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.config import load_profile
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.runlog import RunLogScreen, RunLogView
from dse_tui.ui.widgets.repo_table import RepoTable
from dse_tui.ui.widgets.runs import Progressed, RunRow, RunsPanel
from tests.conftest import Notices, pilot_until
from tests.engine_helpers import profile_with, slow_profile

SIZE = (200, 50)


def cell(app, repo, column):
    return app.screen.query_one(RepoTable).get_cell(repo, column).plain


class Said(Notices):
    def ends(self) -> int:
        """How many runs' ends the dashboard said (English): it says one in the handler that refreshes its
        rows."""
        return sum(": backup " in m for m in self)


def recorded(profile, repo: str) -> bool:
    """The run's process has started and written its run (slow under load)."""
    with Catalog(profile.catalog_path) as catalog:
        return bool(catalog.recent_runs(repo))


async def test_run_the_selected_repository_and_see_its_log(demo_profile):
    app = make_app(demo_profile, language="en", poll_seconds=0.05)
    said = Said()
    async with app.run_test(size=SIZE, message_hook=said.hook) as pilot:
        assert cell(app, "library-db", "state") == "never"
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot_until(pilot, lambda: said.ends() == 1, what="the run's end said")
        await pilot.pause()
        assert cell(app, "library-db", "state") == "ok"
        assert cell(app, "timetable-app", "state") == "never"
        assert any("Library catalogue database: backup good" in n.message for n in app._notifications)
        await pilot.press("o")
        assert isinstance(app.screen, RunLogScreen)
        lines = list(app.screen.query_one(RunLogView).lines)
        assert any(line.startswith("good: 2 part(s)") for line in lines)  # the dump and the audit log
        await pilot.press("escape")


async def test_run_everything_due(demo_profile):
    app = make_app(demo_profile, language="en", poll_seconds=0.05)
    said = Said()
    async with app.run_test(size=SIZE, message_hook=said.hook) as pilot:
        await pilot.press("R")
        panel = app.screen.query_one(RunsPanel)
        # Two at a time (parallel: 2): the queue drains as runs end, each end said and the rows refreshed.
        await pilot_until(pilot, lambda: not panel.active and said.ends() == 4, what="the four runs to end")
        await pilot.pause()
        assert [s.state for s in app.statuses] == ["ok"] * 4


async def test_progress_reaches_the_ui_and_cancel_stops_the_run(tmp_path):
    (tmp_path / "big").mkdir()
    with open(tmp_path / "big" / "a-noise.bin", "wb") as f:  # incompressible: bytes flow out of zstd at once
        f.write(os.urandom(64 * 1024 * 1024))
    profile = slow_profile(tmp_path, size=64 * 1024**3)  # then a long read, so the run is still going
    seen: list[Progressed] = []
    said = Said()

    def hook(message) -> None:
        said.hook(message)
        if isinstance(message, Progressed):
            seen.append(message)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await pilot.press("r")
        await pilot_until(pilot, lambda: seen and seen[-1].progress.written > 0, what="progress in the UI")
        row = app.screen.query_one(RunRow)
        assert "/s" in row.render().plain
        assert app.screen.active_bindings["x"].enabled and not app.screen.active_bindings["r"].enabled
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot_until(pilot, lambda: said.ends() == 1, what="the run's end said")
        await pilot.pause()  # the app shows what was said
        assert not app.screen.query_one(RunsPanel).active
        assert any("backup cancelled" in n.message for n in app._notifications), [n.message for n in app._notifications]
    with Catalog(profile.catalog_path) as catalog:
        (run,) = catalog.recent_runs("big")
        assert run.state == "cancelled"
    assert list((tmp_path / "backups" / "big").iterdir()) == []


async def test_a_failed_run_is_said_and_its_stderr_kept(tmp_path):
    profile = profile_with(tmp_path, "{id: pg, kind: database, driver: postgresql, source: "
                                     "{host: 127.0.0.1, port: 1, databases: [x], globals: false}}")
    app = make_app(profile.file, language="es", poll_seconds=0.05)
    said = Said()
    async with app.run_test(size=SIZE, message_hook=said.hook) as pilot:
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot_until(pilot, lambda: any("el respaldo falló" in m for m in said), what="the failure said")
        await pilot.pause()
        assert cell(app, "pg", "state") == "manual requerido"
        assert any("el respaldo falló: x.pgdump.zst: psql exited with status 2" in n.message
                   for n in app._notifications)
        await pilot.press("o")
        lines = list(app.screen.query_one(RunLogView).lines)
        assert any("psql (exit 2)" in line for line in lines)


async def test_the_log_of_a_run_made_elsewhere_comes_from_the_catalog(demo_profile):
    from dse_tui.core.engine.runner import run_repository

    profile = load_profile(demo_profile)
    outcome = run_repository(profile, profile.repository("library-db"), trigger="cli")
    app = make_app(demo_profile, language="en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        lines = list(app.screen.query_one(RunLogView).lines)
        assert lines[0].startswith(f"run {outcome.run_id}: good") and "(cli, " in lines[0]
        assert lines[1] == f"artifact: {outcome.artifact}"


RUN_IN_BACKGROUND = """
import sys
from dse_tui.core.profile.config import load_profile
from dse_tui.core.engine.runner import run_repository
p = load_profile(sys.argv[1])
run_repository(p, p.repository("big"), trigger="cli")
"""


async def test_a_run_by_another_process_shows_as_running(tmp_path):
    import subprocess
    import sys

    profile = slow_profile(tmp_path, size=64 * 1024**3)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        cron = subprocess.Popen([sys.executable, "-c", RUN_IN_BACKGROUND, str(profile.file)])
        try:
            await pilot_until(pilot, lambda: cell(app, "big", "state") == "running", what="the cron run on show")
        finally:
            cron.kill()
            cron.wait()
        app.refresh_statuses()  # a killed run is running no more: its lease went with its process
        await pilot.pause()
        assert cell(app, "big", "state") == "failed"  # recorded interrupted at once, not when its lease ends
        (run,) = app.catalog.run_history("big", 5)
        assert run.run.state == "failed" and run.run.message.startswith("interrupted"), run.run.message


async def test_quitting_with_a_backup_running_asks_first(tmp_path):
    from dse_tui.ui.screens.confirm import Confirm

    profile = slow_profile(tmp_path, size=64 * 1024**3)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await pilot_until(pilot, lambda: recorded(profile, "big"), what="the run under way")
        await pilot.press("q")
        assert isinstance(app.screen, Confirm) and "A backup is running" in str(app.screen.query_one("#question").render())
        await pilot.press("n")  # stay
        assert not isinstance(app.screen, Confirm) and app.screen.query_one(RunsPanel).active
        await pilot.press("q")
        await pilot.press("y")
        await app.workers.wait_for_complete()
        assert app._exit
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.recent_runs("big")[0].state == "cancelled"


async def test_run_all_due_queues_beyond_the_parallel_limit(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        with open(tmp_path / name / "sparse.img", "wb") as f:
            f.truncate(64 * 1024**3)
    repos = "\n".join(f"  - {{id: {n}, kind: config, driver: files, source: {{path: ./{n}}}}}" for n in "abc")
    from tests.conftest import write_profile

    path = write_profile(tmp_path, "site: {id: t, name: T}\nstorage: {root: ./backups, catalog: ./c.sqlite, "
                                   "parallel: 2}\nrepositories:\n" + repos)
    app = make_app(path, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        panel = app.screen.query_one(RunsPanel)
        await pilot_until(pilot, lambda: len(panel.active) == 3, what="three runs asked for")
        assert [r.queued for r in panel.active.values()] == [False, False, True]
        assert sum(1 for w in app.workers if w.group == "runs" and not w.is_finished) == 2
        panel.cancel("c")  # a queued run just leaves the queue
        await pilot_until(pilot, lambda: list(panel.active) == ["a", "b"], what="c to leave the queue")

        site = load_profile(path)
        await pilot_until(pilot, lambda: recorded(site, "a") and recorded(site, "b"), what="a and b to be under way")
        panel.cancel_all()
        await app.workers.wait_for_complete()
        await pilot_until(pilot, lambda: not panel.active, what="the panel to empty")
    with Catalog(load_profile(path).catalog_path) as catalog:
        assert [len(catalog.recent_runs(n)) for n in "abc"] == [1, 1, 0]
