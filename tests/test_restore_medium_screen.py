"""The runs screen's "Restore from a medium", driven with Pilot: a run pruned here, its copy on a folder
destination found at hand and restored through the restore dialog, and the restore recorded."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.widgets import DataTable, Input

from dse_tui.core.catalog import Catalog
from dse_tui.core.destinations.copies import copy_pending
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.medium_restore import MediumDialog
from dse_tui.ui.screens.repo_runs import RepoRunsScreen
from dse_tui.ui.screens.restore_dialog import RestoreDialog
from tests.conftest import dismissed, pilot_until
from tests.copy_helpers import site
from tests.test_restore import trees_equal
from tests.test_runs_screen import SIZE, planned_for, select


def pruned_site(tmp_path: Path):
    """A run copied onto a share, then pruned here."""
    profile, run_id = site(tmp_path, "  - {id: share, kind: directory, path: ./share}", "share", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        (out,) = copy_pending(profile, catalog)
        assert out.state == "verified", out.message
        run = catalog.run(run_id)
        shutil.rmtree(run.artifact)
        catalog.mark_pruned(run_id)
    return profile, run_id


async def test_a_pruned_run_is_restored_from_its_copy_on_a_medium(tmp_path):
    profile, run_id = pruned_site(tmp_path)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "docs")
        await pilot.press("v")
        assert isinstance(app.screen, RepoRunsScreen)
        assert "pruned" in (app.screen.why_not("restore") or "") and app.screen.why_not("medium") is None
        await pilot.press("f")
        assert isinstance(app.screen, MediumDialog)
        await pilot_until(pilot, lambda: app.screen.items is not None, what="the copies at hand")
        table = app.screen.query_one("#copies", DataTable)
        assert table.row_count == 1 and "share/t/docs" in str(table.get_row_at(0)[2])
        await pilot.press("enter")
        await pilot_until(pilot, lambda: isinstance(app.screen, RestoreDialog), what="the restore dialog")
        assert "From the copy in" in str(app.screen.query_one("#from").render())
        target = app.screen.query_one("#target", Input)
        target.value = str(tmp_path / "restored")
        await pilot_until(pilot, lambda: planned_for(app, tmp_path / "restored"), what="the plan for the new folder")
        assert "from the copy in" in app.screen.plan.describe()
        target.focus()
        await pilot.press("enter")
        await dismissed(pilot, RestoreDialog)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RepoRunsScreen)
        assert any(f"Restored into {tmp_path / 'restored'}" in n.message for n in app._notifications)
    assert trees_equal(tmp_path / "src", tmp_path / "restored")
    with Catalog(profile.catalog_path) as catalog:
        (restored,) = catalog.restores(run_id)
        assert restored.outcome == "done" and "from the copy in" in restored.message


async def test_a_run_kept_here_is_restored_with_t_not_from_a_medium(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: share, kind: directory, path: ./share}", "share", copies=1)
    app = make_app(profile.file, language="es", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "docs")
        await pilot.press("v")
        assert isinstance(app.screen, RepoRunsScreen)
        assert "sigue aquí" in app.screen.why_not("medium")
        await pilot.press("f")
        assert isinstance(app.screen, RepoRunsScreen)
