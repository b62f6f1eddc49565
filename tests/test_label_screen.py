"""The label screen, driven with Pilot: offered after copies make new media, a preview of each label,
stock / printer / start position / copies, printed through the real CUPS queue; a reprint from the media
screen."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select, Static

from dse_tui.core.catalog import Catalog
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.copy_screen import CopyScreen
from dse_tui.ui.screens.dashboard import DashboardScreen
from dse_tui.ui.screens.label_screen import LabelScreen
from dse_tui.ui.screens.media_screen import MediaScreen
from tests.conftest import media_listed, pilot_until, shown, text_of
from tests.copy_helpers import site

SIZE = (170, 45)


def previewed(app) -> bool:
    """The label screen is up with a preview of each of its media."""
    screen = app.screen
    return shown(app, LabelScreen) and all(code in text_of(screen.query_one("#previews")) for code in screen.codes)


async def test_label_the_new_media_after_copying_then_reprint_one(tmp_path, cups_queue):
    queue, _ = cups_queue
    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, capacity: 6M}", "discs",
                           size=5_000_000, copies=1)
    text = profile.file.read_text() + f"labels:\n  printers: [{{id: office, queue: {queue}, stock: avery-5160}}]\n"
    profile.file.write_text(text)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot_until(pilot, lambda: isinstance(app.screen, CopyScreen) and not app.screen.busy,
                          what="the copies to end")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, CopyScreen) and len(app.screen.new_media) == 3
        assert any("press l to label" in n.message for n in app._notifications)
        await pilot.press("l")
        await pilot_until(pilot, lambda: previewed(app), what="the label screen's previews")
        screen = app.screen
        assert isinstance(screen, LabelScreen)
        previews = str(screen.query_one("#previews", Static).render())
        for code in screen.codes:
            assert code in previews
        assert "1 of 3" in previews and "3 of 3" in previews and "[QR DSE-TUI MEDIUM" in previews
        assert screen.query_one("#printer", Select).value == "office"
        assert screen.query_one("#stock", Select).value == "avery-5160", "the printer's stock"
        screen.query_one("#start", Input).value = "29"
        await pilot.press("p")
        await app.workers.wait_for_complete()  # what it printed reached the screen before the worker ended
        await pilot.pause()
        assert any(f"Printed: job {queue}-" in n.message for n in app._notifications), \
            [n.message for n in app._notifications]
        with Catalog(profile.catalog_path) as catalog:
            event = next(e for e in catalog.events(30) if e["action"] == "label printed")
            assert all(code in event["detail"] for code in screen.codes) and '"start": 29' in event["detail"]
        await pilot.press("escape", "escape")
        await pilot_until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="back on the dashboard")
        await pilot.pause()

        await pilot.press("i")
        assert isinstance(app.screen, MediaScreen)
        await pilot_until(pilot, lambda: media_listed(app), what="the inventory read")
        await pilot.press("p")  # a lost label: one key
        await pilot_until(pilot, lambda: previewed(app), what="the label screen for the one medium")
        assert isinstance(app.screen, LabelScreen) and len(app.screen.codes) == 1
        app.screen.query_one("#printer", Select).value = "-"
        await pilot.pause()  # the screen reads the change
        await pilot.press("p")
        await app.workers.wait_for_complete()
        await pilot.pause()
        saved = next(n.message for n in app._notifications if n.message.startswith("Saved: "))
        assert Path(saved.removeprefix("Saved: ")).read_bytes().startswith(b"%PDF")


async def test_the_dashboard_label_key_says_when_there_is_no_medium(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: shelf, kind: directory, path: ./shelf}", "shelf", copies=1)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        await pilot.pause()
        assert not isinstance(app.screen, LabelScreen)
        assert any("on no medium yet" in n.message for n in app._notifications)


async def test_the_printer_list_offers_the_queues_cups_has(tmp_path, cups_queue):
    """A profile naming no printer: the label screen still offers CUPS's own queues (asked in a worker), and
    printing to one goes through CUPS; the choice shown at first stays the PDF alone."""
    from dse_tui.core.destinations.copies import copy_pending

    queue, _ = cups_queue
    profile, _ = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, disc: cd}", "discs", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(LabelScreen(list(outcome.media), "en"))
        await pilot_until(pilot, lambda: previewed(app), what="the label screen's previews")
        printer = app.screen.query_one("#printer", Select)
        await pilot_until(pilot, lambda: any(value == queue for _, value in printer._options),
                          what=f"the CUPS queue {queue} among the printers")
        assert printer.value == "-", "the first choice is not changed under the operator"
        assert any(f"{queue} (CUPS" in str(label) for label, value in printer._options if value == queue)
        printer.value = queue
        await pilot.pause()
        await pilot.press("p")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any(f"Printed: job {queue}-" in n.message for n in app._notifications), \
            [n.message for n in app._notifications]
