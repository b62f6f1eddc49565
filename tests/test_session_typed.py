"""What is typed on the session screen (issue 20): each commit of the session's catalog reaches the disk, so
a note or evidence written on every key press, and the step on every cursor move, froze the console. They are
written from a thread once the typing pauses, and at once when the field or the screen is left: nothing typed
is lost."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList

import dse_tui.ui.screens.session_typed as session_typed
from dse_tui.core.catalog import Catalog
from dse_tui.core.catalog.sessions import SessionsMixin, StepRow
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.checklist_view import ChecklistView
from dse_tui.ui.screens.session import SessionScreen
from tests.conftest import Gate, pilot_until
from tests.test_session_screen import SIZE, make_site, session_shown


async def open_session(pilot, app) -> SessionScreen:
    await pilot.press("m")
    assert isinstance(app.screen, ChecklistView)
    await pilot.press("enter")
    await pilot_until(pilot, lambda: session_shown(app), what="the new session's screen")
    return app.screen


def saved(profile, session_id: int, step: str):
    with Catalog(profile.catalog_path) as catalog:
        row = catalog.step_row(session_id, step)
        return row.note if row else None


@pytest.fixture
def no_pause(monkeypatch):
    """The typing never pauses long enough: only leaving the field or the screen writes what was typed."""
    monkeypatch.setattr(session_typed, "SAVE_PAUSE", 3600)


async def test_a_note_typed_then_the_screen_left_at_once_is_kept(tmp_path, no_pause):
    profile = make_site(tmp_path)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_session(pilot, app)
        session_id = screen.session.id
        await pilot.press("o", *"called the dean", "escape")
        await pilot_until(pilot, lambda: not isinstance(app.screen, SessionScreen), what="the screen left")
    assert saved(profile, session_id, "first") == "called the dean"


async def test_a_note_is_written_when_its_field_is_left(tmp_path, no_pause):
    profile = make_site(tmp_path)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_session(pilot, app)
        await pilot.press("o", *"rack B2")
        assert saved(profile, screen.session.id, "first") is None, "not on every key"
        await pilot.press("enter")  # back to the steps
        await pilot_until(pilot, lambda: saved(profile, screen.session.id, "first") == "rack B2",
                          what="the note written")
        await pilot.press("down", "up")
        await pilot_until(pilot, lambda: screen.query_one("#note", Input).value == "rack B2"
                          and screen.selected() == "first", what="the step shown again with its note")


async def test_typing_and_moving_answer_while_the_disk_is_slow(tmp_path, monkeypatch):
    profile = make_site(tmp_path)
    gate = Gate()
    update_step, set_current = SessionsMixin.update_step, SessionsMixin.set_session_current

    def slow_update(self, session_id, step_id, **columns):
        if "note" in columns:
            gate.hold()
        return update_step(self, session_id, step_id, **columns)

    def slow_current(self, session_id, step_id):
        gate.hold()
        return set_current(self, session_id, step_id)

    monkeypatch.setattr(SessionsMixin, "update_step", slow_update)
    monkeypatch.setattr(SessionsMixin, "set_session_current", slow_current)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_session(pilot, app)
        note = screen.query_one("#note", Input)
        await pilot.press("o", *"slow disk")
        await pilot_until(pilot, lambda: gate.entered.is_set(), timeout=60, what="the note to be written")
        assert gate.off_the_ui_thread(), "written on the event loop"
        await pilot.press(*" today")
        await pilot_until(pilot, lambda: note.value == "slow disk today", what="keys typed while it writes")
        await pilot.press("enter", "down")
        await pilot_until(pilot, lambda: screen.selected() == "count", what="the cursor moved while it writes")
        assert not gate.released.is_set()
        gate.released.set()
        await pilot_until(pilot, lambda: saved(profile, screen.session.id, "first") == "slow disk today",
                          what="the whole note written")
        with Catalog(profile.catalog_path) as catalog:
            await pilot_until(pilot, lambda: catalog.session(screen.session.id).current == "count",
                              what="the step the session is at written")
        assert gate.off_the_ui_thread()
        assert screen.query_one("#steps", OptionList).highlighted == 1


def test_what_is_typed_during_a_write_is_written_after_it(tmp_path, monkeypatch):
    """Two flushes (the pause's thread, the screen leaving) never write an older note over a newer one."""
    import threading

    from dse_tui.core.sessions.checklists import repository_checklist, site_checklists
    from dse_tui.core.sessions.machine import start_session
    from dse_tui.core.sessions.pending import PendingWrites

    profile = make_site(tmp_path)
    repo = profile.repositories[0]
    with Catalog(profile.catalog_path) as catalog:
        session_id = start_session(catalog, profile, repo, repository_checklist(profile, repo, site_checklists(profile)),
                                   operator="ana").id
    typed = PendingWrites(profile.catalog_path, session_id, "ana")
    gate, update_step = Gate(), SessionsMixin.update_step

    def slow_update(self, sid, step_id, **columns):
        if columns.get("note") == "rack":
            gate.hold()
        return update_step(self, sid, step_id, **columns)

    monkeypatch.setattr(SessionsMixin, "update_step", slow_update)
    typed.put("note", "first", "rack")
    writer = threading.Thread(target=typed.flush)
    writer.start()
    assert gate.entered.wait(10)
    typed.put("note", "first", "rack B2")
    assert typed.over(StepRow("first")).note == "rack B2", "reads as typed before it is written"
    last = threading.Thread(target=typed.flush)  # waits for the first flush, then writes the newer note
    last.start()
    gate.released.set()
    writer.join(10)
    last.join(10)
    assert not typed and saved(profile, session_id, "first") == "rack B2"
    typed.close()
