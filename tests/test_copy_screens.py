"""The copy action and the media screen, driven with Pilot."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from dse_tui.core.catalog import Catalog
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.copy_screen import CopyScreen
from dse_tui.ui.screens.media_screen import MediaScreen
from dse_tui.ui.screens.reason_dialog import ReasonDialog
from dse_tui.ui.widgets.repo_table import RepoTable
from tests.conftest import dismissed, media_listed, pilot_until
from tests.copy_helpers import site

SIZE = (160, 45)


async def copy_lines(pilot, app) -> str:
    """`c` on the dashboard, and what the copy screen says once it has done what it could."""
    await pilot.press("c")
    assert isinstance(app.screen, CopyScreen)
    await pilot_until(pilot, lambda: not app.screen.busy, what="the copies to end")
    await app.workers.wait_for_complete()
    await pilot.pause()
    return str(app.screen.query_one("#lines", Static).render())


async def test_copy_from_the_dashboard_then_find_the_disc_in_the_inventory(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: shelf, kind: directory, path: ./shelf}\n"
                                     "  - {id: discs, kind: optical, path: ./discs, disc: cd}", "shelf, discs")
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        assert app.screen.query_one(RepoTable).get_cell("docs", "copies").plain == "0/2 not stored"
        lines = await copy_lines(pilot, app)
        assert "shelf" in lines and "discs" in lines and lines.count("copied and read back") == 2, lines
        assert any("Copies done" in n.message for n in app._notifications)
        await pilot.press("escape")
        await dismissed(pilot, CopyScreen)
        assert app.screen.query_one(RepoTable).get_cell("docs", "copies").plain == "2/2"

        await pilot.press("i")
        assert isinstance(app.screen, MediaScreen)
        await pilot_until(pilot, lambda: media_listed(app), what="the inventory read")
        table = app.screen.query_one("#media", DataTable)
        assert table.row_count == 1
        code = str(table.get_row_at(0)[0])
        assert f"r{run_id}" in str(table.get_row_at(0)[4])
        await pilot.press("n")  # in use -> full
        with Catalog(profile.catalog_path) as catalog:
            assert catalog.medium(code).state == "full"
        await pilot.press("w")
        assert isinstance(app.screen, ReasonDialog)
        field = app.screen.query_one("#reason")
        assert "Safe, room" in field.placeholder and "reason" not in field.placeholder, "it asks for a place"
        await pilot.press("enter")
        assert "Say where it is" in str(app.screen.query_one("#problem").render())
        await pilot.press(*"safe B", "enter")
        await dismissed(pilot, ReasonDialog)
        with Catalog(profile.catalog_path) as catalog:
            assert catalog.medium(code).location == "safe B"
        await pilot.press("slash", *"NOPE")
        await pilot_until(pilot, lambda: app.screen.query_one("#media", DataTable).row_count == 0,
                          what="the search to leave no medium listed")


async def test_retiring_the_only_copy_is_refused_on_screen(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, disc: cd}", "discs", copies=1)
    from dse_tui.core.destinations.copies import copy_pending

    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await pilot_until(pilot, lambda: media_listed(app), what="the inventory read")
        await pilot.press("d")
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press(*"cracked", "enter")
        await dismissed(pilot, ReasonDialog)
        assert any("only verified copy" in n.message for n in app._notifications)
        with Catalog(profile.catalog_path) as catalog:
            assert catalog.medium(outcome.media[0]).state == "in-use"


async def test_the_media_screen_shows_which_known_disks_are_plugged_in(tmp_path, monkeypatch):
    from pathlib import Path

    import dse_tui.core.destinations.devices as devices_mod
    from dse_tui.core.destinations.devices import parse_lsblk

    text = (Path(__file__).parent / "fixtures" / "lsblk-usb-stick.json").read_text()
    monkeypatch.setattr(devices_mod, "block_devices", lambda: parse_lsblk(text))
    profile, _ = site(tmp_path, "  - {id: stick, kind: removable, label: DSE-USB-01}\n"
                                "  - {id: offsite, kind: removable, uuid: a7c9e2d4-51f0-4b3a-8c61-0d2e4f9b7a35}\n"
                                "  - {id: rotation, kind: removable, label: DSE-ROTATION}", "stick")
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await pilot_until(pilot, lambda: media_listed(app), what="the inventory read")
        await app.workers.wait_for_complete()  # lsblk's answer reached the screen before its worker ended
        text = str(app.screen.query_one("#plugged", Static).render())
        assert "stick (DSE-USB-01): /media/jaa/DSE-USB-01" in text
        assert "offsite (a7c9e2d4-51f0-4b3a-8c61-0d2e4f9b7a35): plugged in, not mounted" in text
        assert "rotation (DSE-ROTATION): not plugged in" in text


async def test_the_state_key_never_erases_a_disc(tmp_path):
    """Issue 17: `n` cycled a disc holding a run into blank without asking."""
    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, disc: cd}", "discs", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        from dse_tui.core.destinations.copies import copy_pending

        (outcome,) = copy_pending(profile, catalog)
        (code,) = outcome.media
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        assert isinstance(app.screen, MediaScreen)
        await pilot_until(pilot, lambda: media_listed(app), what="the inventory read")
        seen = []

        def state() -> str:
            with Catalog(profile.catalog_path) as catalog:
                return catalog.medium(code).state
        for _ in range(6):
            before = state()
            await pilot.press("n")
            seen.append(await pilot_until(pilot, lambda: (now := state()) != before and now,
                                          what=f"the disc to leave {before}"))
        assert seen == ["full", "offsite", "in-use"] * 2


async def test_the_media_screen_answers_while_it_reads_and_its_search_asks_nothing(tmp_path, monkeypatch):
    """Issue 20: lsblk and each medium's queries ran on the event loop, and the queries again on every key
    typed in the search."""
    from pathlib import Path

    import dse_tui.core.destinations.devices as devices_mod
    import dse_tui.core.destinations.media as media_mod
    from dse_tui.core.destinations.copies import copy_pending
    from dse_tui.core.destinations.devices import parse_lsblk
    from textual.widgets import Input

    from tests.conftest import Gate

    profile, _ = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, disc: cd}\n"
                                "  - {id: stick, kind: removable, label: DSE-USB-01}", "discs", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
        (code,) = outcome.media
    lsblk, reading, read = Gate(), Gate(), []
    fixture = (Path(__file__).parent / "fixtures" / "lsblk-usb-stick.json").read_text()
    item = media_mod.inventory_item

    def slow_lsblk():
        lsblk.hold()
        return parse_lsblk(fixture)

    def slow_item(catalog, medium, now=None):
        reading.hold()
        read.append(medium.code)
        return item(catalog, medium, now)

    monkeypatch.setattr(devices_mod, "block_devices", slow_lsblk)
    monkeypatch.setattr(media_mod, "inventory_item", slow_item)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await pilot_until(pilot, lambda: lsblk.entered.is_set() and reading.entered.is_set(), timeout=60,
                          what="lsblk and the inventory to be read")
        assert lsblk.off_the_ui_thread() and reading.off_the_ui_thread(), "read on the event loop"
        await pilot.press("slash", *"NOPE")
        search = app.screen.query_one("#search", Input)
        await pilot_until(pilot, lambda: search.value == "NOPE", what="the search typed while the screen reads")
        assert not media_listed(app)
        reading.released.set()
        await pilot_until(pilot, lambda: media_listed(app), what="the inventory read")
        table = app.screen.query_one("#media", DataTable)
        assert table.row_count == 0, "what was typed meanwhile filters what was read"
        assert read == [code]
        search.value = ""
        await pilot_until(pilot, lambda: table.row_count == 1, what="the search cleared")
        await pilot.press(*code[:3])
        await pilot_until(pilot, lambda: search.value == code[:3], what="the search typed")
        assert table.row_count == 1 and read == [code], "the search filters what was read, asking nothing"
        plugged = app.screen.query_one("#plugged", Static)
        assert "DSE-USB-01" not in str(plugged.render()), "lsblk has not answered yet"
        lsblk.released.set()
        await pilot_until(pilot, lambda: "stick (DSE-USB-01): /media/jaa/DSE-USB-01" in str(plugged.render()),
                          what="the plugged-in disks")


async def test_a_repository_whose_good_runs_were_all_pruned_is_not_said_to_have_none_yet(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: shelf, kind: directory, path: ./shelf}", "shelf")
    with Catalog(profile.catalog_path) as catalog:
        catalog.mark_pruned(run_id)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        lines = await copy_lines(pilot, app)
        assert "has its files on this machine any more" in lines and "yet" not in lines, lines
