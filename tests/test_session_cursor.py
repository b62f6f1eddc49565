"""The checklist cursor (issue 20): it stops at the last step instead of wrapping to the first, a tick moves
on only to a step below, a key refused for the step under the cursor says why and leaves the focus on the
steps, and the runs screen behind a session shows what the session changed once it is back."""

from __future__ import annotations

from dse_tui.core.engine.runner import run_repository
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.checklist_view import ChecklistView
from dse_tui.ui.screens.help import HelpScreen
from dse_tui.ui.screens.repo_runs import RepoRunsScreen
from dse_tui.ui.screens.session import SessionScreen
from dse_tui.ui.screens.session_steps import step_line
from tests.conftest import Notices, dismissed, pilot_until, shown
from tests.test_session_screen import SIZE, current, goto, make_site, outcome, session_shown


async def _open_session(pilot, app):
    await pilot.press("m")
    assert isinstance(app.screen, ChecklistView)
    await pilot.press("enter")
    await pilot_until(pilot, lambda: session_shown(app), what="the new session's screen")


async def test_down_on_the_last_step_stays_there_and_space_changes_only_that_step(tmp_path):
    app = make_app(make_site(tmp_path).file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await _open_session(pilot, app)
        await pilot.press("space")  # step 1 done, on to step 2
        assert outcome(app, "first") == "done" and current(app) == "count"
        await goto(pilot, app, "make")
        await pilot.press("down")
        assert current(app) == "make", "Down on the last step wrapped to the first"
        await pilot.press("space")
        assert outcome(app, "make") == "done"
        assert current(app) == "make", "a tick went back up the list to a step still pending"
        await pilot.press("down", "space")  # still the last step: the same box, unticked
        assert outcome(app, "make") == "pending" and outcome(app, "first") == "done"
        assert [outcome(app, s) for s in ("count", "optional")] == ["pending", "pending"]
        await goto(pilot, app, "first")
        await pilot.press("up")
        assert current(app) == "first"


async def test_a_key_refused_for_this_step_says_why_and_the_focus_stays_on_the_steps(tmp_path):
    app = make_app(make_site(tmp_path).file, language="en", poll_seconds=0.05)
    notices = Notices()
    async with app.run_test(size=SIZE, message_hook=notices.hook) as pilot:
        await _open_session(pilot, app)
        steps = app.screen.query_one("#steps")
        footer_keys = app.screen.shown_why_not("evidence"), app.screen.shown_why_not("skip")
        await pilot.press("e")  # "first" asks for no evidence
        await pilot_until(pilot, lambda: any("asks for no evidence" in m for m in notices), what="the refusal")
        assert app.focused is steps
        await pilot.press("s")  # "first" is required
        await pilot_until(pilot, lambda: any("cannot be skipped" in m for m in notices), what="the refusal")
        assert isinstance(app.screen, SessionScreen) and app.focused is steps
        await goto(pilot, app, "count")
        await pilot.press("space")  # evidence first: said, and `e` after it is a command, not typed text
        await pilot_until(pilot, lambda: any("asks for evidence first" in m for m in notices), what="the refusal")
        assert app.focused is steps
        await pilot.press("e")
        assert app.focused is app.screen.query_one("#evidence")
        assert app.screen.query_one("#evidence").value == ""
        # The footer did not change with the step: its keys are the same on "first" and on "count".
        assert (app.screen.shown_why_not("evidence"), app.screen.shown_why_not("skip")) == footer_keys == (None, None)


def test_a_long_step_wraps_under_its_text_not_under_its_box():
    from rich.console import Console

    console = Console(width=30, record=True, color_system=None)
    console.print(step_line(7, "Copy the dump onto the external disk and check its size", box="☐"))
    lines = console.export_text().rstrip("\n").split("\n")
    assert lines[0].startswith("☐  7. Copy"), lines
    indent = lines[0].index("Copy")
    assert len(lines) > 1 and all(line[:indent].strip() == "" and line[indent] != " " for line in lines[1:]), lines


async def test_the_runs_screen_shows_what_changed_while_another_screen_was_over_it(tmp_path):
    profile = make_site(tmp_path)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        await pilot_until(pilot, lambda: shown(app, RepoRunsScreen), what="the runs screen")
        runs = app.screen
        before = len(runs.runs)
        await pilot.press("f1")
        await pilot_until(pilot, lambda: shown(app, HelpScreen), what="the help")
        assert run_repository(profile, profile.repository("etc")).state == "good"  # another connection
        await pilot.press("escape")
        await dismissed(pilot, HelpScreen)
        await pilot_until(pilot, lambda: len(runs.runs) == before + 1, what="the new run on the runs screen")
        assert runs.query_one("#runs").row_count == before + 1
