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
}
# Not yet: the event log (its "profile changed" event carries the time of the test) and the label screen.


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("name", list(SCREENS))
def test_each_screen_at_80x24(snap_compare, site, name, language):  # noqa: F811 (the fixture)
    key, screen = SCREENS[name]
    assert snap_compare(make_app(site, language=language, clock=fixed_clock), terminal_size=SMALL,
                        run_before=_opens(key, screen))
