"""What a run's contents and a path's versions look like (pytest-textual-snapshot; see test_snapshots.py)."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.config import load_profile
from dse_tui.core.profile.demo import init_demo
from dse_tui.core.verification.manifest import write_manifest
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.contents import ContentsScreen
from dse_tui.ui.screens.versions import VersionsScreen
from dse_tui.ui.widgets.contents_tree import ContentsTree
from tests.conftest import FIXED_NOW, fixed_clock, pilot_until, tables_measured
from tests.test_snapshots import SITE, one_at_a_time  # noqa: F401 (the fixed folder, taken in turns)

SIZE = (120, 32)
T0 = 1_790_000_000 * 10**9  # the files' modification times, fixed


def entry(path: str, size: int | None = None, *, mtime: int = 0, digest: str = "a") -> dict:
    e = {"path": path, "mode": "0644" if size is not None else "0755", "mtime": (T0 + mtime) // 10**9,
         "mtime_ns": T0 + mtime, "uid": 33, "gid": 33, "type": "file" if size is not None else "dir"}
    return e | ({"size": size, "sha256": digest * 64} if size is not None else {})


def tree(notes: int) -> list[dict]:
    """The web tree of the demo's www-main; docs/notes.txt as it was `notes` changes ago."""
    return [entry("about.html", 2_300), entry("docs"), entry("docs/guide.pdf", 1_250_000),
            entry("docs/notes.txt", 400 + 100 * notes, mtime=notes * 86_400 * 10**9, digest="abcdef"[notes]),
            entry("img"), entry("img/logo.png", 18_000), entry("img/photos"),
            *[entry(f"img/photos/p{i}.jpg", 310_000 + i) for i in range(3)], entry("index.html", 5_120)]


@pytest.fixture
def runs(one_at_a_time):  # noqa: F811
    shutil.rmtree(SITE, ignore_errors=True)
    path = init_demo(SITE / "demo")
    profile = load_profile(path)
    ids = []
    with Catalog(profile.catalog_path) as catalog:
        for i, notes in enumerate((0, 0, 1, 1, 2)):  # five nightly runs, the page changed twice
            at = FIXED_NOW - timedelta(days=5 - i, hours=9)
            run = catalog.start_run("www-main", at=at)
            folder = SITE / "runs" / f"r{run}"
            folder.mkdir(parents=True)
            write_manifest(folder / "manifest.json", {"format": "dse-tui-manifest/1", "files": tree(notes)})
            catalog.finish_run(run, "good", size=2_000_000, artifact=str(folder), manifest=str(folder / "manifest.json"),
                               at=at + timedelta(seconds=40))
            ids.append(run)
        catalog.mark_pruned(ids[0])
    yield path, profile, ids
    shutil.rmtree(SITE, ignore_errors=True)


def test_contents_tree_with_a_folder_open_and_marks(snap_compare, runs):
    path, profile, ids = runs

    async def settle(pilot):
        app = pilot.app
        with Catalog(profile.catalog_path) as catalog:
            run = catalog.run(ids[-1])
        app.push_screen(ContentsScreen(profile.repository("www-main"), run, "en", at="docs/notes.txt"))
        await pilot_until(pilot, lambda: isinstance(app.screen, ContentsScreen) and app.screen.contents is not None,
                          what="the contents")
        tree = app.screen.query_one(ContentsTree)
        await pilot_until(pilot, lambda: (tree.highlighted() or 0) and tree.highlighted().path == "docs/notes.txt",
                          what="the cursor on docs/notes.txt")
        await pilot.press("space")
        tree.reach("img")
        await pilot_until(pilot, lambda: tree.highlighted().path == "img", what="the cursor on img")
        await pilot.press("space")
        await pilot.pause()

    assert snap_compare(make_app(path, language="en", clock=fixed_clock), terminal_size=SIZE, run_before=settle)


@pytest.mark.parametrize("language", ["en", "es"])
def test_versions_of_a_file(snap_compare, runs, language):
    path, profile, ids = runs

    async def settle(pilot):
        app = pilot.app
        app.push_screen(VersionsScreen(profile.repository("www-main"), "docs/notes.txt", False, language))
        await pilot_until(pilot, lambda: isinstance(app.screen, VersionsScreen) and app.screen.found is not None
                          and tables_measured(app.screen), what="the versions")
        await pilot.pause()

    assert snap_compare(make_app(path, language=language, clock=fixed_clock), terminal_size=SIZE,
                        run_before=settle)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("view", ["contents", "versions"])
def test_contents_and_versions_at_80x24(snap_compare, runs, view, language):
    """Issue 20: at 80×24 the tree, its sizes and the versions' columns are not cut, in either language."""
    path, profile, ids = runs

    async def settle(pilot):
        app = pilot.app
        repo = profile.repository("www-main")
        if view == "versions":
            app.push_screen(VersionsScreen(repo, "docs/notes.txt", False, language))
            await pilot_until(pilot, lambda: isinstance(app.screen, VersionsScreen) and app.screen.found is not None
                              and tables_measured(app.screen), what="the versions")
        else:
            with Catalog(profile.catalog_path) as catalog:
                run = catalog.run(ids[-1])
            app.push_screen(ContentsScreen(repo, run, language, at="docs/notes.txt"))
            await pilot_until(pilot, lambda: isinstance(app.screen, ContentsScreen)
                              and app.screen.contents is not None, what="the contents")
            tree = app.screen.query_one(ContentsTree)
            await pilot_until(pilot, lambda: (tree.highlighted() or 0) and tree.highlighted().path == "docs/notes.txt",
                              what="the cursor on docs/notes.txt")
        await pilot.pause()

    assert snap_compare(make_app(path, language=language, clock=fixed_clock), terminal_size=(80, 24),
                        run_before=settle)
