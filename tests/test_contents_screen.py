"""A run's contents in the console: opened from the runs screen, searched, marked, restored in part; a
path's versions, one of them opened at that path."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, OptionList

from dse_tui.core.catalog import Catalog
from dse_tui.core.engine.runner import run_repository
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.contents import ContentsScreen
from dse_tui.ui.screens.repo_runs import RepoRunsScreen
from dse_tui.ui.screens.restore_dialog import RestoreDialog
from dse_tui.ui.screens.versions import VersionsScreen
from dse_tui.ui.widgets.contents_tree import ContentsTree
from tests.conftest import dismissed, pilot_until, shown
from tests.engine_helpers import make_tree, profile_with
from tests.test_runs_screen import select

SIZE = (160, 45)


def files_site(tmp_path):
    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    return profile, tmp_path / "profile.yaml"


def read(app) -> bool:
    return shown(app, ContentsScreen) and app.screen.contents is not None


def tree_of(app) -> ContentsTree:
    return app.screen.query_one(ContentsTree)


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir()}


async def search(pilot, app, query: str) -> None:
    await pilot.press("slash")
    app.screen.query_one("#search", Input).value = query
    await pilot_until(pilot, lambda: app.screen.query_one("#results", OptionList).option_count > 0,
                      what=f"results for {query}")


async def test_search_mark_a_file_and_a_folder_and_restore_them_into_a_new_folder(tmp_path):
    profile, path = files_site(tmp_path)
    outcome = run_repository(profile, profile.repository("w"))
    www, out = tmp_path / "www", tmp_path / "out"
    app = make_app(path, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "w")
        await pilot.press("v")
        await pilot_until(pilot, lambda: shown(app, RepoRunsScreen), what="the runs screen")
        await pilot.press("b")
        await pilot_until(pilot, lambda: read(app), what="the run's contents")
        assert "docs" in tree_of(app).nodes and "docs/notes.txt" not in tree_of(app).nodes, "children when opened"
        await search(pilot, app, "notes")
        await pilot.press("enter")  # into the results
        assert app.screen.query_one("#results", OptionList).has_focus
        await pilot.press("enter")  # to the first found, in the tree
        await pilot_until(pilot, lambda: (tree_of(app).highlighted() or 0) and tree_of(app).highlighted().path
                          == "docs/notes.txt", what="the cursor on docs/notes.txt")
        await pilot.press("space")
        await search(pilot, app, "deep")
        await pilot.press("enter", "space")  # the folder, marked from the results
        assert set(tree_of(app).marks) == {"docs"}, "all that docs holds marked: docs marked"
        await pilot.press("escape", "t")
        assert isinstance(app.screen, RestoreDialog) and app.screen.parts == ("docs",), "the folder, once"
        target = app.screen.query_one("#target", Input)
        target.value = str(out)
        await pilot_until(pilot, lambda: app.screen.plan is not None and app.screen.plan.target == str(out),
                          what="the plan for the new folder")
        target.focus()
        await pilot.press("enter")
        await dismissed(pilot, RestoreDialog)
        assert isinstance(app.screen, ContentsScreen)
        await pilot_until(pilot, lambda: app.screen.busy is None, what="the restore to end")
    assert files_under(out) == {"docs/notes.txt", "docs/deep/big.bin"}, "the marked, and nothing else"
    for name in files_under(out):
        assert (out / name).read_bytes() == (www / name).read_bytes()
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.restores(outcome.run_id)[0].outcome == "done"
        assert catalog.restores(outcome.run_id)[0].parts == ("docs",)


async def test_a_files_versions_and_one_of_them_opened_at_that_path(tmp_path):
    profile, path = files_site(tmp_path)
    page = tmp_path / "www" / "docs" / "notes.txt"
    ids = []
    for i in range(3):
        if i == 1:
            page.write_text("Tuesday")
        ids.append(run_repository(profile, profile.repository("w")).run_id)
    app = make_app(path, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "w")
        await pilot.press("v")
        await pilot_until(pilot, lambda: shown(app, RepoRunsScreen), what="the runs screen")
        await pilot.press("b")
        await pilot_until(pilot, lambda: read(app), what="the newest run's contents")
        assert app.screen.run.id == ids[2]
        await search(pilot, app, "notes.txt")
        await pilot.press("enter", "v")
        await pilot_until(pilot, lambda: shown(app, VersionsScreen) and app.screen.found is not None,
                          what="the versions")
        assert [v.run.id for v in app.screen.found] == [ids[1], ids[0]]
        await pilot.press("down", "enter")  # the first version: the run before Tuesday's change
        await pilot_until(pilot, lambda: read(app) and app.screen.run.id == ids[0], what="the oldest run's contents")
        await pilot_until(pilot, lambda: (tree_of(app).highlighted() or 0) and tree_of(app).highlighted().path
                          == "docs/notes.txt", what="the cursor on the path")


async def test_a_marked_file_back_to_its_place_needs_the_typed_repository_id(tmp_path):
    profile, path = files_site(tmp_path)
    run_repository(profile, profile.repository("w"))
    www = tmp_path / "www"
    (www / "docs" / "notes.txt").write_text("defaced")
    (www / "index.html").write_text("changed since, and kept")
    app = make_app(path, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "w")
        await pilot.press("v")
        await pilot_until(pilot, lambda: shown(app, RepoRunsScreen), what="the runs screen")
        await pilot.press("b")
        await pilot_until(pilot, lambda: read(app), what="the run's contents")
        await search(pilot, app, "notes.txt")
        await pilot.press("enter", "space", "escape", "t")
        assert isinstance(app.screen, RestoreDialog)
        await pilot.click("#in-place")
        await pilot_until(pilot, lambda: app.screen.plan is not None and app.screen.plan.live, what="the live plan")
        confirm = app.screen.query_one("#confirm", Input)
        assert confirm.display and confirm.has_focus
        await pilot.press("enter")
        assert isinstance(app.screen, RestoreDialog), "not without the id"
        await pilot.press("w", "enter")
        await dismissed(pilot, RestoreDialog)
        await pilot_until(pilot, lambda: app.screen.busy is None, what="the restore to end")
    assert (www / "docs" / "notes.txt").read_text() == "ñandú " * 1000
    assert (www / "index.html").read_text() == "changed since, and kept"
