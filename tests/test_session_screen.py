"""A whole manual-backup session driven with Pilot: start it from the hand-off, tick, evidence refused then
accepted, a required step that cannot be skipped, an optional one skipped with a reason, a command run with
its output, the console closed mid-session and reopened where it was, finish, register, state cleared."""

from __future__ import annotations

from textual.widgets import Input, Label, Log, OptionList, Static

from dse_tui.core.catalog import Catalog
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.checklist_view import ChecklistView
from dse_tui.ui.screens.session import SessionScreen
from dse_tui.ui.screens.session_dialogs import FilesDialog, ReasonDialog, ResumeDialog
from dse_tui.ui.widgets.repo_table import RepoTable
from tests.conftest import Notices, dismissed, pilot_until, shown
from tests.session_helpers import make_site as make_site_with_checklist

SIZE = (160, 45)


def make_site(tmp_path):
    profile = make_site_with_checklist(tmp_path)
    with Catalog(profile.catalog_path) as catalog:
        catalog.ensure_repositories(["etc"])
        catalog.set_manual_required("etc", "run 3 failed: the disk under /backups is full")
    return profile


def current(app) -> str:
    screen = app.screen
    return screen.session.steps[screen.query_one("#steps", OptionList).highlighted].id


def outcome(app, step: str) -> str:
    return app.screen.session.state(step).outcome


async def goto(pilot, app, step: str) -> None:
    ids = [s.id for s in app.screen.session.steps]
    app.screen.query_one("#steps", OptionList).highlighted = ids.index(step)
    # The screen moves the session there as it shows the step.
    await pilot_until(pilot, lambda: app.screen.session.current == step, what=f"the session at {step}")


def session_shown(app) -> bool:
    """The session screen is up, its session loaded (on_mount has run)."""
    return shown(app, SessionScreen) and app.screen.session is not None


async def test_a_whole_session_with_a_resume_in_the_middle(tmp_path):
    profile = make_site(tmp_path)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        assert app.screen.query_one(RepoTable).get_cell("etc", "state").plain == "manual required"
        await pilot.press("m")
        assert isinstance(app.screen, ChecklistView)
        await pilot.press("enter")
        await pilot_until(pilot, lambda: session_shown(app), what="the new session's screen")
        assert isinstance(app.screen, SessionScreen)
        assert "disk under /backups is full" in str(app.screen.query_one("#reason", Static).render())
        assert current(app) == "first"

        await pilot.press("space")  # tick: done, and on to the next step
        assert outcome(app, "first") == "done" and current(app) == "count"

        await pilot.press("space")  # evidence is asked for first: said, and the keys stay commands
        assert outcome(app, "count") == "pending"
        assert app.focused is app.screen.query_one("#steps")
        await pilot.press("e", *"many", "enter")
        assert "does not match" in str(app.screen.query_one("#evidence-problem", Label).render())
        assert app.screen.session.state("count").evidence is None
        app.screen.query_one("#evidence", Input).value = ""
        await pilot.press(*"1234", "enter")
        assert app.screen.session.state("count").evidence == "1234"
        await pilot.press("space")
        assert outcome(app, "count") == "done" and current(app) == "optional"

        await pilot.press("o", *"called the dean", "enter")
        await pilot.press("s")
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press(*"no tape today", "enter")
        await dismissed(pilot, ReasonDialog)
        assert outcome(app, "optional") == "skipped"

        await goto(pilot, app, "make")
        assert app.screen.check_action("skip", ()) is None  # a required step cannot be skipped
        await pilot.press("s")
        assert isinstance(app.screen, SessionScreen) and outcome(app, "make") == "pending"
        assert app.screen.check_action("finish", ()) is None

        await goto(pilot, app, "first")
        app.screen.action_run()
        await app.workers.wait_for_complete()  # its output and end reached the screen before the worker ended
        await pilot.pause()
        log = "\n".join(app.screen.query_one("#output", Log).lines)
        assert "hello-from-step" in log and "oops" in log and "exit status 3" in log
        assert any("exit status 3" in n.message for n in app._notifications)
        session_id = app.screen.session.id
    # The console is gone mid-session (as when the terminal closes): everything is in the catalog.

    app = make_app(profile.file, language="en", poll_seconds=0.05)
    notices = Notices()
    async with app.run_test(size=SIZE, message_hook=notices.hook) as pilot:
        # The dialog comes once the catalog is read, and is ready once its buttons are there (a loaded
        # machine takes its time for both).
        await pilot_until(pilot, lambda: isinstance(app.screen, ResumeDialog) and app.screen.query("#resume"),
                          what="the resume dialog")
        assert f"Session {session_id} of etc" in str(app.screen.query(Static)[1].render())
        await pilot.press("enter")
        await pilot_until(pilot, lambda: session_shown(app), what="the session screen")
        assert app.screen.session.id == session_id
        assert current(app) == "first", "resumed at the step it was left at"
        assert "hello-from-step" in "\n".join(app.screen.query_one("#output", Log).lines)
        assert [outcome(app, s) for s in ("first", "count", "optional", "make")] == \
            ["done", "done", "skipped", "pending"]
        assert app.screen.session.state("optional").note == "called the dean"
        assert "3/4" in str(app.screen.query_one("#heading", Static).render())

        await goto(pilot, app, "make")
        app.screen.action_run()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("space")
        assert app.screen.check_action("finish", ()) is True
        await pilot.press("f")
        assert isinstance(app.screen, FilesDialog)
        produced = profile.storage_root / ".manual" / f"etc-s{session_id}" / "etc.tar"
        assert str(produced) in app.screen.query_one("#files").text
        await pilot.click("#go")
        # Finished, then the registration's worker: it ends by saying so.
        await pilot_until(pilot, lambda: any("registered as run" in m for m in notices),
                          what="the registration's outcome")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.session.row.state == "finished"
        assert any("registered as run" in n.message and ": good" in n.message for n in app._notifications), \
            [n.message for n in app._notifications]
        await pilot.press("escape")
        await dismissed(pilot, SessionScreen)
        assert app.screen.query_one(RepoTable).get_cell("etc", "state").plain == "ok"
    with Catalog(profile.catalog_path) as catalog:
        (run,) = catalog.session_runs(session_id)
        assert run.trigger == "manual" and run.state == "good"
        assert catalog.manual_required_since("etc") is None


async def test_a_second_console_cannot_start_another_session_and_an_ended_one_is_a_record(tmp_path):
    from dse_tui.core.sessions.checklists import repository_checklist, site_checklists
    from dse_tui.core.sessions.machine import start_session

    profile = make_site(tmp_path)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        assert isinstance(app.screen, ChecklistView)
        # While this console shows the checklist, another one starts a session on the same repository.
        repo = profile.repositories[0]
        with Catalog(profile.catalog_path) as other:
            first = start_session(other, profile, repo, repository_checklist(profile, repo, site_checklists(profile)),
                                  operator="bob").id
        await pilot.press("enter")
        await dismissed(pilot, ChecklistView)
        assert not isinstance(app.screen, SessionScreen)
        assert any(f"already open (session {first}, started by bob" in n.message for n in app._notifications)
        await pilot.press("m")  # now m resumes that one
        await pilot_until(pilot, lambda: session_shown(app), what="the open session's screen")
        assert isinstance(app.screen, SessionScreen) and app.screen.session.id == first
        await pilot.press("a")
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press("enter")  # no reason: refused
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press(*"server replaced", "enter")
        await dismissed(pilot, ReasonDialog)
        assert app.screen.session.row.state == "abandoned"
        for action in ("tick", "run", "skip", "finish", "note"):
            assert app.screen.check_action(action, ()) is None, action
        assert "record" in str(app.screen.query_one("#reason", Static).render())
