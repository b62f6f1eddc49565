"""The dashboard's filters: its first frame shows stand-ins that look as the Selects do, and the Selects
replace them once that frame is on the terminal; the keys that change the filters work through the swap."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Select

from dse_tui.ui.app import make_app
from dse_tui.ui.screens.dashboard import DashboardScreen
from dse_tui.ui.widgets.filters import FilterStandIn
from tests.conftest import fixed_clock, pilot_until
from tests.test_dashboard_first_paint import big_profile

MOUNT_FILTERS = DashboardScreen._mount_filters

TOOLBAR = 1  # the toolbar's line on the screen


def look(strip) -> list[tuple[str, object]]:
    """Each character of a line with its style, less the mouse's metadata (which names the widget)."""
    return [(char, segment.style.clear_meta_and_links() if segment.style else None)
            for segment in strip for char in segment.text]


def selects_in(app) -> bool:
    return isinstance(app.screen, DashboardScreen) and bool(app.screen.query("#kind-filter"))


@pytest.mark.parametrize("size", [(160, 40), (100, 30)])  # -wide, -narrow (the filters are narrower)
async def test_the_first_frame_shows_stand_ins_that_look_as_the_selects(tmp_path, monkeypatch, size):
    first = []  # the toolbar of the first frame that reaches the terminal, and the widgets it had
    display = App._display

    def display_and_note(self, screen, renderable):
        display(self, screen, renderable)
        if renderable is not None and not self._batch_count and isinstance(screen, DashboardScreen) and not first:
            first.append((screen._compositor.render_strips()[TOOLBAR], len(screen.query(FilterStandIn)),
                          len(screen.query(Select))))

    monkeypatch.setattr(App, "_display", display_and_note)
    app = make_app(big_profile(tmp_path), clock=fixed_clock)
    async with app.run_test(size=size) as pilot:
        await pilot_until(pilot, lambda: first and selects_in(app) and not app.screen.query(FilterStandIn),
                          what="the Selects in place of the stand-ins")
        await pilot.pause()
        strip, stand_ins, selects = first[0]
        assert (stand_ins, selects) == (2, 0), "the first frame had the Selects"
        assert look(strip) == look(app.screen._compositor.render_strips()[TOOLBAR])
        assert app.screen.query_one("#kind-filter", Select).value == "*"


def hold_the_selects(monkeypatch) -> list:
    """The Selects wait for release(held) before they replace the stand-ins (the screen meanwhile runs)."""
    held = []
    monkeypatch.setattr(DashboardScreen, "_mount_filters", lambda self: held.append(self))
    return held


def release(held: list) -> None:
    held[0].call_later(MOUNT_FILTERS, held[0])


@pytest.mark.parametrize("size", [(160, 40), (100, 30)])  # -wide, -narrow (the filters are narrower)
async def test_the_stand_ins_take_the_selects_place(tmp_path, monkeypatch, size):
    held = hold_the_selects(monkeypatch)
    app = make_app(big_profile(tmp_path), clock=fixed_clock)
    async with app.run_test(size=size) as pilot:
        await pilot_until(pilot, lambda: held, what="the first frame")
        await pilot.pause()
        regions = [w.region for w in app.screen.query(FilterStandIn)]
        release(held)
        await pilot_until(pilot, lambda: selects_in(app) and not app.screen.query(FilterStandIn), what="the Selects")
        await pilot.pause()
        assert [w.region for w in app.screen.query(Select)] == regions


async def test_keys_pressed_before_the_selects_come_are_kept(tmp_path, monkeypatch):
    """k, s and the language while the stand-ins are shown: the stand-ins show them, and the Selects come
    with them (their own Changed on mounting does not undo them)."""
    held = hold_the_selects(monkeypatch)
    app = make_app(big_profile(tmp_path), clock=fixed_clock, language="en")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot_until(pilot, lambda: held, what="the first frame")
        await pilot.press("k", "s", "f2")
        screen = app.screen
        assert (screen.kind_filter, screen.state_filter) == ("database", "attention")
        labels = [str(s._label.render()) for s in screen.query(FilterStandIn)]
        assert labels == ["base de datos", "Requiere atención"], labels
        release(held)
        await pilot_until(pilot, lambda: selects_in(app) and not screen.query(FilterStandIn), what="the Selects")
        await pilot.pause()
        assert screen.query_one("#kind-filter", Select).value == "database"
        assert screen.query_one("#state-filter", Select).value == "attention"
        assert (screen.kind_filter, screen.state_filter) == ("database", "attention")
        assert "base de datos" in str(screen.query_one("#kind-filter Static#label").render())
        await pilot.press("k")  # on to the next kind, from the Select's value
        assert screen.kind_filter != "database"
        assert screen.query_one("#kind-filter", Select).value == screen.kind_filter
