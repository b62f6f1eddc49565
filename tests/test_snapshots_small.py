"""Issue 20: every screen at 80×24 in both languages (pytest-textual-snapshot): nothing clipped, nothing left
in English. Update with `pytest --snapshot-update` after a deliberate change, and read the new SVGs' text."""

from __future__ import annotations

import pytest

from dse_tui.ui.app import make_app
from tests.conftest import detail_follows_cursor, fixed_clock, pilot_until, shown
from tests.test_snapshots import one_at_a_time, site  # noqa: F401 (fixtures)

SMALL = (80, 24)


def _opens(key: str, screen: str):
    """Press `key` on the dashboard (library-db selected) and wait for the screen named `screen`."""
    async def settle(pilot):
        from importlib import import_module

        await pilot_until(pilot, lambda: detail_follows_cursor(pilot.app), what="the first row's detail")
        if key:
            await pilot.press(key)
        module, name = screen.rsplit(".", 1)
        cls = getattr(import_module(f"dse_tui.ui.screens.{module}"), name)
        await pilot_until(pilot, lambda: shown(pilot.app, cls), what=name)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    return settle


SCREENS = {
    "help": ("f1", "help.HelpScreen"),
    "runs": ("v", "repo_runs.RepoRunsScreen"),
    "media": ("i", "media_screen.MediaScreen"),
    "copy": ("c", "copy_screen.CopyScreen"),
    "events": ("e", "event_log.EventLogScreen"),
}


def _profile_noted_at_a_fixed_time(site) -> None:
    """The console records the profile's first load as an event at the time it starts; recorded here at
    the fixed time instead (the console then finds it noted), so the event log's rows do not change."""
    import hashlib

    from dse_tui.core.catalog import Catalog
    from dse_tui.core.profile.config import load_profile
    from tests.conftest import FIXED_NOW

    profile = load_profile(site)
    with Catalog(profile.catalog_path) as catalog:
        catalog.record_event("profile changed", "ok", at=FIXED_NOW, operator="jaa",
                             detail={"file": str(profile.file),
                                     "sha256": hashlib.sha256(profile.file.read_bytes()).hexdigest()})


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("name", list(SCREENS))
def test_each_screen_at_80x24(snap_compare, site, name, language):  # noqa: F811 (the fixture)
    key, screen = SCREENS[name]
    _profile_noted_at_a_fixed_time(site)
    assert snap_compare(make_app(site, language=language, clock=fixed_clock), terminal_size=SMALL,
                        run_before=_opens(key, screen))


@pytest.mark.parametrize("language", ["en", "es"])
def test_label_screen_at_80x24(snap_compare, site, language):  # noqa: F811 (the fixture)
    """The label of a disc holding library-db's last good run, made at the fixed time."""
    from dse_tui.core.catalog import Catalog
    from dse_tui.core.common.timeutil import to_db
    from dse_tui.core.profile.config import load_profile
    from tests.conftest import FIXED_NOW

    _profile_noted_at_a_fixed_time(site)
    profile = load_profile(site)
    with Catalog(profile.catalog_path) as catalog:
        run = catalog.recent_runs("library-db", 1)[0]
        disc = catalog.create_medium("DEMO-2026-0007", "optical", destination="disc-images", capacity=700 * 1024**2,
                                     location="burner tray, server room")
        copy = catalog.add_copy(run.id, "disc-images", device="optical:DEMO-2026-0007")
        catalog.link_copy_medium(copy, disc, 1, 1, path="/media/discs/DEMO-2026-0007.iso")
        catalog.conn.execute("UPDATE media SET created_at = ?, updated_at = ?", (to_db(FIXED_NOW), to_db(FIXED_NOW)))
    assert snap_compare(make_app(site, language=language, clock=fixed_clock), terminal_size=SMALL,
                        run_before=_opens("l", "label_screen.LabelScreen"))


@pytest.mark.parametrize("language", ["en", "es"])
def test_session_screen_at_80x24(snap_compare, site, language):  # noqa: F811 (the fixture)
    """A session midway at 80×24: the steps, their marks and the current step's fields, nothing cut."""
    from tests.test_snapshots import _session_midway

    _session_midway(site)

    async def resume(pilot):
        from dse_tui.ui.screens.session import SessionScreen
        from dse_tui.ui.screens.session_dialogs import ResumeDialog

        await pilot_until(pilot, lambda: shown(pilot.app, ResumeDialog), what="the offer to resume")
        await pilot.press("enter")
        screen = await pilot_until(pilot, lambda: shown(pilot.app, SessionScreen) and pilot.app.screen,
                                   what="the session screen")
        await pilot_until(pilot, lambda: screen.selected() == "packages", what="the step the session was left at")
        await pilot.pause()

    assert snap_compare(make_app(site, language=language, clock=fixed_clock), terminal_size=SMALL,
                        run_before=resume)
