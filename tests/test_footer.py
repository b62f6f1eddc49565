"""The console's footer (ui/widgets/footer.py): built again only when the keys it shows change. Textual's own
is built anew each time a screen's bindings are looked at again (a screen shown again, focus moved), a
widget and a style pass per key: a screen pushed and left cost ~30% more before (bench/tui_latency.py)."""

from __future__ import annotations

from textual.widgets._footer import FooterKey

from dse_tui.ui.app import make_app
from dse_tui.ui.screens.repo_runs import RepoRunsScreen
from dse_tui.ui.widgets.footer import ConsoleFooter
from tests.conftest import pilot_until, shown


async def test_the_footer_is_built_again_only_when_its_keys_change(demo_profile):
    app = make_app(demo_profile, language="en", poll_seconds=0.05)
    async with app.run_test(size=(200, 50)) as pilot:
        footer = app.screen.query_one(ConsoleFooter)
        await pilot_until(pilot, lambda: footer.query(FooterKey), what="the dashboard's footer")
        await pilot.pause()
        drawn = list(footer.query(FooterKey))
        for _ in range(3):  # another screen over it and back, and the bindings looked at again
            await pilot.press("v")
            await pilot_until(pilot, lambda: shown(app, RepoRunsScreen), what="the runs screen")
            await pilot.press("escape")
            app.screen.refresh_bindings()
            await pilot.pause()
        assert list(footer.query(FooterKey)) == drawn, "the same keys, not built again"
        await pilot.press("f2")  # the keys' descriptions change: now it is built again
        await pilot_until(pilot, lambda: any(k.description == "Respaldar" for k in footer.query(FooterKey)),
                          what="the footer in Spanish")
        assert [k.key for k in footer.query(FooterKey)] == [k.key for k in drawn]
        palette = footer.query_one("FooterKey.-command-palette", FooterKey)
        assert palette.description == "paleta", "the command palette's key in the console's language"


async def test_keys_changed_twice_before_the_footer_is_built_build_it_once(demo_profile, monkeypatch):
    """A screen starting changes its keys more than once before the next refresh (its language, then a row
    to act on): the footer is built once, with the keys of then (it was built once for each change)."""
    built = []
    recompose = ConsoleFooter.recompose
    monkeypatch.setattr(ConsoleFooter, "recompose", lambda self: built.append(self) or recompose(self))
    app = make_app(demo_profile, language="en", poll_seconds=0.05)
    async with app.run_test(size=(200, 50)) as pilot:
        footer = app.screen.query_one(ConsoleFooter)
        await pilot_until(pilot, lambda: footer.query(FooterKey), what="the dashboard's footer")
        await pilot.pause()
        built.clear()
        for _ in range(2):
            footer._shown = None  # the keys look changed to it
            footer.bindings_changed(app.screen)
        await pilot.pause()
        assert len(built) == 1
        assert footer._shown == footer._keys()


async def test_a_narrow_footer_shows_whole_keys_only(demo_profile):
    """At 80 columns not every key fits: those shown are whole, none runs under help, quit and the palette
    on the right (a key cut in the middle, "l Lab", read as another key), and they are the first ones."""
    app = make_app(demo_profile, language="en", poll_seconds=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        footer = app.screen.query_one(ConsoleFooter)
        kept = await pilot_until(pilot, lambda: footer.query("#kept") and footer.query_one("#kept"),
                                 what="the narrow footer's kept keys")
        await pilot.pause()
        others = [k for k in footer.query(FooterKey) if k.parent is not kept]
        assert others, "some keys besides help and quit"
        for key in others:
            assert key.region.right <= kept.region.x, f"{key.key} runs under the kept keys"
        every = [k[0] for k in footer._keys()[0] if k[0] not in ("f1", "q", "escape")]
        assert [k.key for k in others] == every[:len(others)]
