"""Marks in a run's contents on screen: a folder marked marks everything under it and unmarked unmarks it,
a folder part marked shows ◐, a folder's mark follows its children's, and a folder of fifty thousand files
is marked by its path (the lines on screen drawn anew, not a label set on each node)."""

from __future__ import annotations

from textual.widgets import Input, OptionList

from dse_tui.core.catalog import Catalog
from dse_tui.core.engine.runner import run_repository
from dse_tui.core.verification.manifest import write_manifest
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.contents import ContentsScreen
from dse_tui.ui.widgets.contents_tree import ContentsTree
from tests.conftest import pilot_until
from tests.engine_helpers import make_tree, profile_with

SIZE = (120, 40)


def tree_of(app) -> ContentsTree:
    return app.screen.query_one(ContentsTree)


def line(tree: ContentsTree, path: str) -> str:
    """The line of `path` as the tree draws it now on screen."""
    node = tree.nodes[path]
    return tree.render_line(node.line - int(tree.scroll_offset.y)).text


def mark_on(tree: ContentsTree, path: str) -> str:
    text = line(tree, path)
    return next(c for c in text if c in "■◐□")


async def contents_of(pilot, app, profile, run_id: int) -> ContentsTree:
    with Catalog(profile.catalog_path) as catalog:
        run = catalog.run(run_id)
    app.push_screen(ContentsScreen(profile.repository("w"), run, "en"))
    await pilot_until(pilot, lambda: isinstance(app.screen, ContentsScreen) and app.screen.contents is not None,
                      what="the run's contents")
    return tree_of(app)


async def on(pilot, tree: ContentsTree, path: str) -> None:
    tree.reach(path)
    await pilot_until(pilot, lambda: (tree.highlighted() or 0) and tree.highlighted().path == path,
                      what=f"the cursor on {path}")


async def test_a_folder_marks_and_unmarks_all_under_it_and_follows_its_children(tmp_path):
    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    run_id = run_repository(profile, profile.repository("w")).run_id
    app = make_app(tmp_path / "profile.yaml", language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        tree = await contents_of(pilot, app, profile, run_id)
        await on(pilot, tree, "docs/deep/big.bin")  # every folder on the way open: each line on screen
        await on(pilot, tree, "docs")
        await pilot.press("space")
        shown = ("docs", "docs/deep", "docs/deep/big.bin", "docs/notes.txt", "cache")
        await pilot_until(pilot, lambda: [mark_on(tree, p) for p in shown] == ["■", "■", "■", "■", "□"],
                          what="docs and all under it marked")
        await on(pilot, tree, "docs/deep/big.bin")
        await pilot.press("space")  # one file inside the marked folder unmarked: the rest stays marked
        await pilot_until(pilot, lambda: [mark_on(tree, p) for p in shown] == ["◐", "□", "□", "■", "□"],
                          what="docs part marked")
        assert set(tree.marks) == {"docs/notes.txt"}
        app.screen.query_one("#search", Input).value = "docs"
        results = app.screen.query_one("#results", OptionList)
        await pilot_until(pilot, lambda: results.option_count > 0, what="the results for docs")
        prompts = {results.get_option_at_index(i).id: str(results.get_option_at_index(i).prompt)
                   for i in range(results.option_count)}
        assert "◐" in prompts["docs"] and "■" in prompts["docs/notes.txt"] and "□" in prompts["docs/deep"]
        app.screen.query_one("#search", Input).value = ""
        tree.focus()
        assert "Marked: 1 (1 files" in str(app.screen.query_one("#detail").render())
        await pilot.press("space")  # marked again: deep whole, and docs whole with it
        await pilot_until(pilot, lambda: [mark_on(tree, p) for p in shown] == ["■", "■", "■", "■", "□"],
                          what="docs marked again through its children")
        assert set(tree.marks) == {"docs"}
        await on(pilot, tree, "docs")
        await pilot.press("space")
        await pilot_until(pilot, lambda: [mark_on(tree, p) for p in shown] == ["□"] * 5, what="all unmarked")
        assert not tree.marks


def entry(path: str, size: int | None = None) -> dict:
    e = {"path": path, "mode": "0644", "mtime": 0, "mtime_ns": 0, "uid": 0, "gid": 0,
         "type": "file" if size is not None else "dir"}
    return e | ({"size": size, "sha256": "a" * 64} if size is not None else {})


async def test_a_folder_of_fifty_thousand_files_is_marked_by_its_path(tmp_path):
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    folder = tmp_path / "run"
    folder.mkdir()
    files = [entry("big")] + [entry(f"big/page-{i:05}.html", 100) for i in range(50_000)] + [entry("z.txt", 1)]
    write_manifest(folder / "manifest.json", {"format": "dse-tui-manifest/1", "files": files})
    with Catalog(profile.catalog_path) as catalog:
        run_id = catalog.start_run("w")
        catalog.finish_run(run_id, "good", size=1, artifact=str(folder), manifest=str(folder / "manifest.json"))
    app = make_app(tmp_path / "profile.yaml", language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        tree = await contents_of(pilot, app, profile, run_id)
        await on(pilot, tree, "big/page-00003.html")
        await on(pilot, tree, "big")
        made = {p: n._updates for p, n in tree.nodes.items() if p.startswith("big/")}  # 2,000 made of 50,000
        await pilot.press("space")
        await pilot_until(pilot, lambda: mark_on(tree, "big") == "■" and mark_on(tree, "big/page-00003.html") == "■",
                          what="the folder and the files on screen marked")
        assert list(tree.marks) == ["big"] and tree.marks.summary()[1] == 50_000
        assert {p: n._updates for p, n in tree.nodes.items() if p.startswith("big/")} == made, \
            "no file's label set, one by one"
        await on(pilot, tree, "big/page-00003.html")
        await pilot.press("space")
        await pilot_until(pilot, lambda: mark_on(tree, "big") == "◐", what="the folder part marked")
        assert len(tree.marks) == 49_999 and mark_on(tree, "big/page-00004.html") == "■"
