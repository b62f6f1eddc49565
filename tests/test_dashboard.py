"""The dashboard, driven with Textual's Pilot as a user drives it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta

from dse_tui.core.profile.config import load_profile
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.dashboard import DashboardScreen
from dse_tui.ui.screens.help import HelpScreen
from dse_tui.ui.screens.problem import ProblemScreen
from dse_tui.ui.widgets.repo_table import RepoTable
from tests.conftest import FIXED_NOW, ROOT, detail_follows_cursor, fixed_clock, pilot_until, record_runs, write_profile

SIZE = (200, 50)
DEMO_IDS = ["library-db", "timetable-app", "www-main", "server-config"]


def app_for(profile, language="en"):
    return make_app(profile, language=language, clock=fixed_clock, poll_seconds=0.05)


def rows(app) -> list[str]:
    return [row.value for row in app.screen.query_one(RepoTable).rows]


def cell(app, repo: str, column: str) -> str:
    value = app.screen.query_one(RepoTable).get_cell(repo, column)
    return getattr(value, "plain", value)


async def test_every_repository_has_a_row_with_its_state(demo_profile):
    profile = load_profile(demo_profile)
    record_runs(profile.catalog_path, "library-db", "ggg")
    record_runs(profile.catalog_path, "www-main", "gf")
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE):
        assert isinstance(app.screen, DashboardScreen)
        assert rows(app) == DEMO_IDS
        assert cell(app, "library-db", "state") == "ok"
        assert cell(app, "library-db", "last") == "a day ago"
        assert cell(app, "library-db", "next") == "5 minutes from now"
        assert cell(app, "www-main", "next") == "a day ago"
        assert cell(app, "www-main", "state") == "failed"
        assert cell(app, "timetable-app", "state") == "never"
        assert cell(app, "timetable-app", "last") == "never"
        assert cell(app, "library-db", "copies") == "0/2 not stored", "a good run on too few devices"
        assert cell(app, "timetable-app", "copies") == "0/2", "no good run: nothing to store yet"


async def test_filter_by_kind_and_state(demo_profile):
    profile = load_profile(demo_profile)
    record_runs(profile.catalog_path, "library-db", "g")
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("k")  # first kind: database
        assert rows(app) == ["library-db"]
        await pilot.press("k")  # software
        assert rows(app) == ["timetable-app"]
        for _ in range(3):  # web, config, then back to all kinds
            await pilot.press("k")
        assert rows(app) == DEMO_IDS
        await pilot.press("s")  # needs attention: everything but ok
        assert rows(app) == ["timetable-app", "www-main", "server-config"]
        await pilot.press("s", "s", "s", "s", "s", "s")  # ... to "ok"
        assert rows(app) == ["library-db"]
        await pilot.press("k", "k")  # ok and software: nothing matches
        assert app.screen.query_one("#empty").display is True
        assert "No repository matches" in str(app.screen.query_one("#empty").render())


async def test_filter_from_the_select_widget(demo_profile):
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        from textual.widgets import Select

        # The Selects replace their stand-ins once the first frame is on the terminal.
        await pilot_until(pilot, lambda: app.screen.query("#kind-filter"), what="the Selects")
        app.screen.query_one("#kind-filter", Select).value = "config"
        await pilot.pause()
        assert rows(app) == ["server-config"]


async def test_language_switch(demo_profile):
    app = app_for(demo_profile, language="en")
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(RepoTable)
        assert str(table.columns["name"].label) == "Repository"
        assert app.screen.active_bindings["r"].binding.description == "Run"
        await pilot.press("f2")
        assert app.language == "es"
        assert str(table.columns["name"].label) == "Repositorio"
        assert cell(app, "library-db", "state") == "nunca"
        assert cell(app, "library-db", "kind") == "base de datos"
        assert app.screen.active_bindings["r"].binding.description == "Respaldar"
        assert "4 repositorios" in str(app.screen.query_one("#summary").render())
        await pilot_until(pilot, lambda: app.screen.query("#kind-filter"), what="the Selects")
        assert "Todos los tipos" in str(app.screen.query_one("#kind-filter Static#label").render())
        await pilot.press("f2")
        assert cell(app, "library-db", "state") == "never"
        assert "All kinds" in str(app.screen.query_one("#kind-filter Static#label").render())


async def test_language_from_the_profile_and_from_the_locale(demo_profile, monkeypatch):
    text = demo_profile.read_text().replace("  name: DSE demo site\n", "  name: DSE demo site\n  language: es\n")
    demo_profile.write_text(text)
    app = make_app(demo_profile, clock=fixed_clock)
    async with app.run_test(size=SIZE):
        assert app.language == "es"
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    assert make_app(demo_profile.with_name("missing.yaml")).language == "es"
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert make_app(demo_profile.with_name("missing.yaml")).language == "en"


RECORD_RUN = """
import sys
from datetime import datetime, timedelta
from dse_tui.core.catalog import Catalog
with Catalog(sys.argv[1]) as c:
    at = datetime.fromisoformat(sys.argv[2])
    run = c.start_run("timetable-app", at=at)
    c.finish_run(run, "good", size=4096, at=at + timedelta(seconds=3))
"""


async def test_a_run_by_another_process_shows_without_restart(demo_profile):
    profile = load_profile(demo_profile)
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        assert cell(app, "timetable-app", "state") == "never"
        at = FIXED_NOW.replace(hour=10).isoformat()
        await asyncio.to_thread(subprocess.run, [sys.executable, "-c", RECORD_RUN, str(profile.catalog_path), at],
                                check=True, cwd=ROOT)
        await pilot_until(pilot, lambda: cell(app, "timetable-app", "state") == "ok",
                          what="the other process's run on the dashboard")
        assert cell(app, "timetable-app", "size") == "4.0 KiB"
        assert cell(app, "timetable-app", "last") == "2 hours ago"


async def test_detail_follows_the_cursor(demo_profile):
    profile = load_profile(demo_profile)
    record_runs(profile.catalog_path, "timetable-app", "gg.gfg", size=2048)
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down")
        await pilot_until(pilot, lambda: detail_follows_cursor(app), what="the detail, once the cursor rests")
        title = str(app.screen.query_one("#detail #title").render())
        assert "Timetable application (git)" in title
        strip = str(app.screen.query_one("#detail #periods").render())
        assert strip.endswith("██▁███") and len(strip) == 30
        assert app.screen.query_one("#detail").run_count == 5


async def test_the_strip_shows_a_cancelled_period_as_cancelled_with_its_legend(demo_profile):
    """Issue 17: a period whose only run was cancelled is a gap of its own kind, not a failure."""
    from dse_tui.ui.widgets.detail import PERIOD_CHARS, PERIOD_STYLES

    profile = load_profile(demo_profile)
    record_runs(profile.catalog_path, "timetable-app", "ggcgfg", size=2048)
    assert PERIOD_CHARS["cancelled"] not in (PERIOD_CHARS["failed"], PERIOD_CHARS["missing"])
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down")
        await pilot_until(pilot, lambda: detail_follows_cursor(app), what="the detail, once the cursor rests")
        strip = app.screen.query_one("#detail #periods").content
        assert strip.plain.endswith("██" + PERIOD_CHARS["cancelled"] + "█" + PERIOD_CHARS["failed"] + "█")
        styles = [str(span.style) for span in strip.spans][-6:]
        assert styles == [PERIOD_STYLES[o] for o in ("good", "good", "cancelled", "good", "failed", "good")]
        assert PERIOD_STYLES["cancelled"] != PERIOD_STYLES["failed"]
        legend = app.screen.query_one("#detail #legend").content.plain
        assert f"{PERIOD_CHARS['cancelled']} cancelled" in legend and f"{PERIOD_CHARS['failed']} failed" in legend


async def test_f1_lists_the_keys_and_closes(demo_profile):
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-keys")
        keys = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert {"r", "v", "⏎", "m", "c", "l", "k", "s", "f2", "f1", "q", "ctrl+p"} <= set(keys)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_enter_on_a_repository_opens_its_runs(demo_profile):
    from dse_tui.ui.screens.repo_runs import RepoRunsScreen

    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        await pilot_until(pilot, lambda: detail_follows_cursor(app), what="the first row's detail")
        second = rows(app)[1]
        await pilot.press("down", "enter")
        await pilot_until(pilot, lambda: isinstance(app.screen, RepoRunsScreen), what="the runs screen")
        assert app.screen.repo.id == second


async def test_pending_actions_are_shown_but_disabled(demo_profile):
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE):
        bindings = app.screen.active_bindings
        for key in "cl":
            assert bindings[key].enabled is False
        for key in "kvmr":
            assert bindings[key].enabled is True
        assert app.screen.query_one("#do-copy").disabled is True
        assert app.screen.query_one("#do-verify").disabled is False
        assert app.screen.query_one("#do-run").disabled is False


def palette_choice(app) -> str:
    """The command the palette would run on enter ("" while it is still searching)."""
    from textual.command import CommandList, CommandPalette

    if not isinstance(app.screen, CommandPalette):
        return ""
    commands = app.screen.query_one(CommandList)
    return "" if commands.highlighted is None else str(commands.get_option_at_index(commands.highlighted).prompt)


async def test_command_palette_runs_a_dashboard_command(demo_profile):
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"kind filter")
        await pilot_until(pilot, lambda: "Kind filter" in palette_choice(app), what="the palette's match")
        await pilot.press("enter")
        await pilot_until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="the palette closed")
        await pilot.pause()
        assert rows(app) == ["library-db"]


async def test_broken_profile_shows_the_problems_and_reloads_when_fixed(tmp_path):
    good = (ROOT / "profiles" / "demo.yaml").read_text()
    path = write_profile(tmp_path, good.replace("kind: software", "kind: softwar"))
    app = app_for(path)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, ProblemScreen)
        text = str(app.screen.query_one("#problem-lines").render())
        assert f"{path}:" in text and "repositories[1].kind: 'softwar'" in text and "did you mean 'software'" in text
        path.write_text(good)
        await pilot.press("r")
        assert isinstance(app.screen, DashboardScreen)
        assert rows(app) == DEMO_IDS


async def test_no_profile_says_how_to_get_one(tmp_path):
    app = app_for(tmp_path / "none.yaml")
    async with app.run_test(size=SIZE):
        assert isinstance(app.screen, ProblemScreen)
        intro = str(app.screen.query_one("#problem-intro").render())
        assert "none.yaml" in intro and "dse-tui --demo" in intro


async def test_empty_profile_explains_what_to_add(tmp_path):
    path = write_profile(tmp_path, "site: {id: e, name: Empty}\nstorage: {root: ./b, catalog: ./c.sqlite}\n")
    app = app_for(path)
    async with app.run_test(size=SIZE):
        empty = app.screen.query_one("#empty")
        assert empty.display is True and app.screen.query_one(RepoTable).display is False
        assert "no repositories yet" in str(empty.render()) and "repositories:" in str(empty.render())


async def test_q_quits_from_the_dashboard_and_from_the_problem_screen(demo_profile, tmp_path):
    for profile in (demo_profile, tmp_path / "missing.yaml"):
        app = app_for(profile)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("q")
            await pilot.pause()
            assert app._exit, f"q did not quit on {type(app.screen).__name__}"


async def test_the_sizes_title_counts_its_runs_and_grows_with_them(demo_profile):
    from textual.widgets import Label

    profile = load_profile(demo_profile)
    record_runs(profile.catalog_path, "library-db", "g")
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        await pilot_until(pilot, lambda: detail_follows_cursor(app), what="the first row's detail")
        title = app.screen.query_one("#sizes-title", Label)
        assert str(title.content).startswith("Size of the last good run: "), title.content
        assert "–" not in str(title.content), "one run: its size, not a range from it to itself"
        record_runs(profile.catalog_path, "library-db", "gggggggggggg", now=FIXED_NOW - timedelta(days=1),
                    size=2_400_000_000)
        app.refresh_statuses()
        app.screen.show_detail()
        await pilot_until(pilot, lambda: "last 13 good runs" in str(title.content), what="the new count")
        assert " – " in str(title.content), "sizes that differ: their range"
        await pilot.pause()
        assert title.region.width >= len(str(title.content)), "the title is cut at its old width"
