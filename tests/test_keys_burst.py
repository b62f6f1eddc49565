"""Keys typed faster than the console draws, while every due backup runs (issue 20: 400 keys sent during `R`
once took 25 s to drain and left the app on another screen than they implied). The keys go straight to the
driver, as a terminal delivers them, not through Pilot's press (which waits for the app to be idle after each)."""

from __future__ import annotations

from textual import events

from dse_tui.ui.app import make_app
from dse_tui.ui.screens.repo_runs import RepoRunsScreen
from dse_tui.ui.widgets.repo_table import RepoTable
from dse_tui.ui.widgets.runs import RunsPanel
from tests.conftest import Notices, pilot_until

SIZE = (160, 40)


def stack(app) -> list[str]:
    """The console's screens, bottom first (the dashboard is the app's default screen)."""
    return [type(s).__name__ for s in app.screen_stack]


def typed(app, keys: list[str]) -> None:
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)


async def test_a_burst_of_keys_during_run_due_is_taken_in_order(demo_profile):
    app = make_app(demo_profile, language="en", poll_seconds=0.05)
    said = Notices()
    async with app.run_test(size=SIZE, message_hook=said.hook) as pilot:
        await pilot.press("R")
        panel = app.screen.query_one(RunsPanel)
        # A run that has ended leaves `active`: a slow poll may find them all over, which the notices say.
        await pilot_until(pilot, lambda: panel.active or sum("backup" in n for n in said) == 4,
                          what=lambda: f"the due runs to start (screen {stack(app)}, focus {app.focused!r}, "
                                       f"{sum(s.pending for s in app.statuses)} due, notices {said})")
        order = [s.repository.id for s in app.screen.visible()]
        # 400 keys: the cursor up and down, a repository's runs opened and left, the event log opened and
        # left; they end on the runs of the third repository. A key taken by the wrong screen (one still
        # being pushed or popped) or out of order ends elsewhere.
        burst = ["down", "down", "up"] * 60 + ["v", "escape"] * 50 + ["e", "escape"] * 40
        burst += ["ctrl+home", "down", "down", "v"]
        burst += ["down"] * (400 - len(burst))  # on the runs screen: its cursor, nothing above it
        assert len(burst) == 400
        typed(app, burst)
        await pilot_until(pilot, lambda: isinstance(app.screen, RepoRunsScreen) and app.screen.is_mounted
                          and app.screen.repo.id == order[2] and stack(app) == ["DashboardScreen", "RepoRunsScreen"],
                          what="the runs of the third repository, over the dashboard")
        await pilot_until(pilot, lambda: not panel.active, what="the due runs to end")
        await pilot.pause()
        assert stack(app) == ["DashboardScreen", "RepoRunsScreen"] and app.screen.repo.id == order[2]
        await pilot.press("escape")
        table = app.screen.query_one(RepoTable)
        assert table.cursor_row == 2, "the dashboard's cursor where the keys left it"
