"""The dashboard on a small terminal (issue 20): the repository, its state and its last good backup stay
in view, the detail pane narrows then goes, the less telling columns go first and come back with the
width, and the footer keeps F1 and q. (What it looks like: the snapshots of test_snapshots.py.)"""

from __future__ import annotations

from textual.widgets._footer import FooterKey

from dse_tui.core.profile.config import load_profile
from dse_tui.ui.app import make_app
from dse_tui.ui.widgets.detail import RepoDetail
from dse_tui.ui.widgets.repo_table import COLUMNS, RepoTable
from tests.conftest import fixed_clock, pilot_until, record_runs


def keys_in_view(app) -> set[str]:
    """The footer's keys drawn whole inside the screen."""
    width = app.size.width
    return {k.key for k in app.screen.query(FooterKey) if k.region.width and k.region.right <= width}


def columns(app) -> tuple[str, ...]:
    return tuple(c.key.value for c in app.screen.query_one(RepoTable).ordered_columns)


async def test_what_matters_stays_as_the_terminal_narrows_and_all_comes_back(demo_profile):
    profile = load_profile(demo_profile)
    record_runs(profile.catalog_path, "library-db", "ggg")
    app = make_app(demo_profile, language="es", clock=fixed_clock, poll_seconds=0.05)
    async with app.run_test(size=(200, 50)) as pilot:
        assert columns(app) == COLUMNS and app.screen.query_one(RepoDetail).display
        await pilot.resize_terminal(80, 24)
        await pilot_until(pilot, lambda: columns(app) != COLUMNS and {"f1", "q"} <= keys_in_view(app),
                          what="the table and the footer fitted to 80 columns")
        assert columns(app)[:3] == ("name", "state", "last")
        assert not app.screen.query_one(RepoDetail).region.width  # the detail pane gave its width up
        table = app.screen.query_one(RepoTable)
        assert sum(c.get_render_width(table) for c in table.ordered_columns) <= table.size.width
        detail = app.screen.query_one(RepoDetail)
        for width, height in ((120, 30), (200, 24)):
            await pilot.resize_terminal(width, height)
            # The recent runs take what height is left: the pane has no scrollbar, whose thumb looked like
            # a stray bar by the size chart.
            await pilot_until(pilot, lambda: detail.region.width == (56 if width == 120 else 60)
                              and detail.max_scroll_y == 0 and not detail.show_vertical_scrollbar,
                              what=f"the detail pane fitted to {width}x{height}")
            assert {"name", "state", "last"} <= set(columns(app))
        await pilot.resize_terminal(200, 50)
        await pilot_until(pilot, lambda: columns(app) == COLUMNS, what="every column back")
        assert app.screen.query_one(RepoTable).get_cell("library-db", "driver").plain == "sqlite"


async def test_the_detail_pane_has_no_scrollbar_from_its_first_frame_at_200x34(demo_profile):
    """Nothing overflows the pane at 200x34, not even on the first frames (the recent runs were 12 lines
    high until a refresh later fitted them: a scrollbar thumb showed by the size chart meanwhile)."""
    profile = load_profile(demo_profile)
    record_runs(profile.catalog_path, "library-db", "g" * 30, size=2_400_000)
    app = make_app(demo_profile, language="en", clock=fixed_clock, poll_seconds=0.05)
    async with app.run_test(size=(200, 34)) as pilot:
        frames = 0
        while frames < 30:  # every frame of the first ones, from the one the pane first shows in
            await pilot.pause(0)
            details = app.screen.query(RepoDetail)
            if not details or not details.first().region.height:
                continue
            frames += 1
            detail = details.first()
            assert not detail.show_vertical_scrollbar and detail.max_scroll_y == 0, f"frame {frames}"



async def test_every_screen_keeps_help_and_back_in_its_footer_at_80x24(demo_profile):
    """The other screens have more keys than 80 columns hold: F1 and Esc stay, the row cuts the others."""
    from dse_tui.core.catalog import Catalog
    from dse_tui.core.engine.runner import run_repository
    from dse_tui.ui.screens.checklist_view import ChecklistView
    from dse_tui.ui.screens.event_log import EventLogScreen
    from dse_tui.ui.screens.label_screen import LabelScreen
    from dse_tui.ui.screens.media_screen import MediaScreen
    from dse_tui.ui.screens.repo_runs import RepoRunsScreen
    from dse_tui.ui.screens.session import SessionScreen

    profile = load_profile(demo_profile)
    run_repository(profile, profile.repository("www-main"))
    with Catalog(profile.catalog_path) as catalog:
        catalog.create_medium("TEST-0001", "removable", destination="shelf-disk", volume="5E2B-9C41")
    app = make_app(demo_profile, language="es", clock=fixed_clock, poll_seconds=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        async def on(kind, *keys, kept=("f1", "escape")):
            await pilot.press(*keys)
            await pilot_until(pilot, lambda: isinstance(app.screen, kind) and set(kept) <= keys_in_view(app),
                              what=f"{kind.__name__}'s footer with {kept} in view")

        await on(EventLogScreen, "e")
        await on(MediaScreen, "escape", "i")
        await on(LabelScreen, "p")
        await pilot.press("escape", "escape")
        table = app.screen.query_one(RepoTable)
        table.move_cursor(row=table.get_row_index("www-main"))
        await pilot_until(pilot, lambda: app.screen.selected().repository.id == "www-main")
        await on(RepoRunsScreen, "v")
        await pilot.press("escape", "m")  # a dialog, over the dashboard's footer
        await pilot_until(pilot, lambda: isinstance(app.screen, ChecklistView), what="the checklist")
        await on(SessionScreen, "enter", kept=("f1",))
