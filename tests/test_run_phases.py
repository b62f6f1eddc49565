"""What the operator sees while a run works (issue 20): a cancelled verification leaves the last
conclusive one in the runs screen's Verification column."""

from __future__ import annotations

import os
from pathlib import Path

from textual.widgets import DataTable

from dse_tui.core.catalog import Catalog
from dse_tui.core.engine.runner import run_repository
from dse_tui.i18n import tr
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.repo_runs import RepoRunsScreen
from tests.conftest import pilot_until, shown
from tests.engine_helpers import profile_with

SHELF = "{id: shelf, kind: directory, path: ./shelf}"


def copied_profile(tmp_path: Path):
    """A files repository of a few hundred KiB, copied to a folder after each run."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "data.bin").write_bytes(os.urandom(300_000))
    (tmp_path / "src" / "notes.txt").write_text("the department's notes\n")
    (tmp_path / "shelf").mkdir()
    return profile_with(tmp_path, "{id: docs, kind: config, driver: files, source: {path: ./src}, copies: 1, "
                                  "destinations: [shelf]}", f"destinations:\n  - {SHELF}")


# ---------------------------------------------------------------------- the Verification column

def test_the_last_conclusive_verification_stands_for_the_run(tmp_path):
    profile = copied_profile(tmp_path)
    outcome = run_repository(profile, profile.repository("docs"))
    with Catalog(profile.catalog_path) as catalog:
        for ending in ("cancelled", "interrupted", "inconclusive"):
            v = catalog.start_verification(outcome.run_id, "restore", trigger="console", operator="jaa")
            catalog.finish_verification(v, ending, [], ending)
        last = catalog.last_verifications([outcome.run_id])[outcome.run_id]
        assert (last.outcome, last.trigger) == ("passed", "after run")
        assert catalog.verifications(outcome.run_id, 1)[0].outcome == "inconclusive"  # its history keeps all
        # A run never verified to a verdict shows what there is.
        other = catalog.start_run("docs")
        v = catalog.start_verification(other, "checksum", trigger="console", operator="jaa")
        catalog.finish_verification(v, "cancelled", [], "cancelled")
        assert catalog.last_verifications([other])[other].outcome == "cancelled"


async def test_a_cancelled_verification_leaves_the_verification_column_as_it_was(tmp_path):
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "zeros.img").touch()
    os.truncate(tmp_path / "big" / "zeros.img", 1 << 30)  # sparse: a GiB to read, none to write
    profile = profile_with(tmp_path, "{id: big, kind: config, driver: files, source: {path: ./big}}")
    outcome = run_repository(profile, profile.repository("big"))
    with Catalog(profile.catalog_path) as catalog:
        level = catalog.verifications(outcome.run_id)[0].level
    app = make_app(profile.file, language="en", poll_seconds=0.05)

    def column(screen) -> str:
        return screen.query_one("#runs", DataTable).get_cell(str(outcome.run_id), "verified").plain

    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("v")
        screen = await pilot_until(pilot, lambda: shown(app, RepoRunsScreen) and app.screen, what="the runs screen")
        before = f"{tr('outcome.passed', 'en')} · {tr('level.' + level, 'en')}"
        assert column(screen) == before
        await pilot.press("n")  # restore level: extract and hash a GiB
        # Pilot's press() waits for the whole process to be idle, which a verification is not: start it
        # directly, then the key that cancels it reaches the screen while it works.
        screen.action_verify()
        await pilot.press("x")
        await pilot_until(pilot, lambda: screen.busy is None, what="the verification to stop")
        await app.workers.wait_for_complete()
        await pilot.pause()
        with Catalog(profile.catalog_path) as catalog:
            assert catalog.verifications(outcome.run_id)[0].outcome == "cancelled"
        assert column(screen) == before
