"""Opening a run's contents in the console (targets: the index and the first paint of the tree <= 300 ms, a
search by name <= 50 ms), on a real files run of 100,000 files in 1,000 folders; and marks (a folder's
mark on screen <= 100 ms, whatever it holds).

Each round opens the contents screen in a headless console: the time from the screen pushed to the first
refresh after its tree got the run's top folders, the contents read in between from the run's index
(contents_index.py), or from the manifest when the index is not made yet; the reading alone; and searches
for names, the first of which also lowers the paths once. Then a folder of 10,000 files marked with all
its folders open (10,110 nodes made), from the key to the next refresh, a file in it unmarked (the rest
kept marked) and marked again; and the marks alone (core/restore/marks.py) on a folder of 50,000 files, with the sums the detail line shows.
Medians of the rounds, with the load average before and after.

    python bench/restore_browse.py [--files 100000] [--rounds 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Bench  # noqa: E402


def make_tree(root: Path, files: int) -> None:
    per = max(1, files // 1000)
    for n in range(files):
        folder = root / f"section-{n // (per * 10):03}" / f"dept-{(n // per) % 10}"
        if n % per == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"page-{n:06}.html").write_bytes(b"<p>%d</p>\n" % n * (1 + n % 40))


def backed_up(where: Path, files: int):
    from dse_tui.core.catalog import Catalog
    from dse_tui.core.engine.runner import run_repository
    from dse_tui.core.profile.config import load_profile

    profile_path = where / "profile.yaml"
    if not profile_path.exists():
        make_tree(where / "www", files)
        profile_path.write_text("site: {id: b, name: Bench}\nstorage: {root: ./backups, catalog: ./catalog.sqlite}\n"
                                "repositories:\n  - {id: www, kind: web, driver: files, source: {path: ./www}}\n")
        profile = load_profile(profile_path)
        outcome = run_repository(profile, profile.repository("www"))
        assert outcome.state == "good", outcome.message
    profile = load_profile(profile_path)
    with Catalog(profile.catalog_path) as catalog:
        run = catalog.latest_kept_run("www")
    return profile_path, profile, run


async def first_paints(profile_path: Path, profile, run, before_each) -> list[float]:
    """Seconds from the contents screen pushed to the first refresh after its tree was filled, once for each
    of `before_each` (called first) in one console: the first also loads the widgets' styles, once a session."""
    from dse_tui.ui.app import make_app
    from dse_tui.ui.screens.contents import ContentsScreen

    painted = asyncio.Event()

    class Timed(ContentsScreen):
        def _loaded(self, contents, error) -> None:
            super()._loaded(contents, error)
            self.call_after_refresh(painted.set)

    took = []
    app = make_app(profile_path, language="en")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        for before in before_each:
            before()
            painted.clear()
            t = time.perf_counter()
            app.push_screen(Timed(profile.repository("www"), run, "en"))
            await painted.wait()
            took.append(time.perf_counter() - t)
            assert app.screen.contents is not None and len(app.screen.contents) > 0
            app.pop_screen()
            await pilot.pause()
    return took


async def mark_paints(profile_path: Path, profile, run, rounds: int) -> dict[str, list[float]]:
    """Seconds of the mark key's action, and from it to the next refresh of the tree: a folder marked, a
    file in it unmarked, marked again (the folder whole once more), the folder unmarked."""
    from dse_tui.ui.app import make_app
    from dse_tui.ui.screens.contents import ContentsScreen
    from dse_tui.ui.widgets.contents_tree import ContentsTree

    took: dict[str, list[float]] = {"mark": [], "unmark one": [], "mark it again": [], "unmark": []}
    worked: dict[str, list[float]] = {what: [] for what in took}  # the key's own work, in the handler
    app = make_app(profile_path, language="en")
    async with app.run_test(size=(160, 50)) as pilot:
        app.push_screen(ContentsScreen(profile.repository("www"), run, "en"))
        while app.screen.contents is None if isinstance(app.screen, ContentsScreen) else True:
            await pilot.pause(0.01)
        screen = app.screen
        tree = screen.query_one(ContentsTree)
        folder = "section-000"
        for dept in range(10):
            tree.reach(f"{folder}/dept-{dept}")
            tree._open(tree.nodes[f"{folder}/dept-{dept}"])
        page = next(p for p in tree.nodes if p.startswith(f"{folder}/dept-0/"))

        async def timed(path: str, what: str) -> None:
            tree.reach(path)
            while (tree.highlighted() or 0) == 0 or tree.highlighted().path != path:
                await pilot.pause(0.01)
            painted = asyncio.Event()
            t = time.perf_counter()
            screen.action_mark()
            worked[what].append(time.perf_counter() - t)
            tree.call_after_refresh(painted.set)
            await painted.wait()
            took[what].append(time.perf_counter() - t)

        for _ in range(rounds):
            await timed(folder, "mark")
            await timed(page, "unmark one")
            await timed(page, "mark it again")
            await timed(folder, "unmark")
    return {what: list(zip(worked[what], took[what])) for what in took}


def marks_alone(rounds: int) -> dict[str, list[float]]:
    from dse_tui.core.restore.contents import Contents
    from dse_tui.core.restore.marks import Marks

    paths = ["big"] + [f"big/page-{i:05}.html" for i in range(50_000)]
    contents = Contents(paths, [b"dir"] + [b"file"] * 50_000, [0] + [100] * 50_000)
    took: dict[str, list[float]] = {"mark": [], "unmark one": [], "mark it again": []}
    for _ in range(rounds):
        marks = Marks(contents)
        steps = (("mark", lambda: marks.mark("big")), ("unmark one", lambda: marks.unmark("big/page-00007.html")),
                 ("mark it again", lambda: marks.mark("big/page-00007.html")))
        for what, do in steps:
            t = time.perf_counter()
            do()
            marks.summary()  # what the detail line shows after every change
            took[what].append(time.perf_counter() - t)
        assert list(marks) == ["big"]
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="a folder to build the run in once and reuse")
    parser.add_argument("--marks-only", action="store_true", help="the marks alone, not the opening")
    args = parser.parse_args()
    where = args.keep or Path(tempfile.mkdtemp(prefix="dse-browse-"))
    where.mkdir(parents=True, exist_ok=True)
    print(f"building a run of {args.files} files in {where} (once)…", flush=True)
    profile_path, profile, run = backed_up(where, args.files)
    from dse_tui.core.restore.contents import open_contents
    from dse_tui.core.restore.contents_index import run_contents

    manifest_mib = os.path.getsize(run.manifest) / 2**20
    session_first, unindexed, paint, index, indexed, first_search, search = [], [], [], [], [], [], []
    indexes = profile.storage_root / ".contents"

    def no_index() -> None:
        shutil.rmtree(indexes, ignore_errors=True)

    def keep() -> None:
        pass

    with Bench(f"contents of a run of {args.files} files (manifest {manifest_mib:.1f} MiB)"):
        for i in range(0 if args.marks_only else args.rounds):
            first, cold, warm = asyncio.run(first_paints(profile_path, profile, run, (no_index, no_index, keep)))
            session_first.append(first)
            unindexed.append(cold)
            paint.append(warm)
            t = time.perf_counter()
            contents = open_contents(run.manifest)
            index.append(time.perf_counter() - t)
            t = time.perf_counter()
            contents = run_contents(profile.storage_root, run)
            indexed.append(time.perf_counter() - t)
            times = []
            for k in range(6):
                name = f"page-{(i * 7919 + k * 104_729) % args.files:06}"
                t = time.perf_counter()
                hits, total = contents.search(name)
                times.append(time.perf_counter() - t)
                assert total >= 1 and hits[0].name.startswith(name), (name, hits[:1])
            first_search.append(times[0])
            search.extend(times[1:])
            print(f"  round {i + 1}: open {paint[-1] * 1000:6.1f} ms, without its index {cold * 1000:6.1f} "
                  f"(the first of a session {first * 1000:6.1f})  index {index[-1] * 1000:6.1f} ms  "
                  f"search {times[0] * 1000:5.1f} ms first, {statistics.median(times[1:]) * 1000:5.1f} ms after",
                  flush=True)
        if not args.marks_only:
            print(f"  open (index + first paint of the tree)  median {statistics.median(paint) * 1000:6.1f} ms "
                  f"(min {min(paint) * 1000:.1f}, max {max(paint) * 1000:.1f})  target 300 ms")
            print(f"  the same, its index not made yet        median {statistics.median(unindexed) * 1000:6.1f} ms "
                  "(the runs screen makes it once the cursor rests on the run)")
            print(f"  the same, the first of a session        median {statistics.median(session_first) * 1000:6.1f} ms "
                  "(no index either; the widgets' styles loaded)")
            print(f"  reading the manifest (no index)         median {statistics.median(index) * 1000:6.1f} ms")
            print(f"  reading the index                       median {statistics.median(indexed) * 1000:6.1f} ms")
            print(f"  search for a name                       median {statistics.median(search) * 1000:6.1f} ms "
                  f"(max {max(search) * 1000:.1f}); the first of a screen {statistics.median(first_search) * 1000:.1f} ms"
                  "  target 50 ms")
        on_screen = asyncio.run(mark_paints(profile_path, profile, run, args.rounds))
        for what, pairs in on_screen.items():
            work, times = [w for w, _ in pairs], [t for _, t in pairs]
            print(f"  a folder of 10,000 files, {what:13}   median {statistics.median(times) * 1000:6.1f} ms "
                  f"(max {max(times) * 1000:.1f}) to the next refresh, of which the key's work "
                  f"{statistics.median(work) * 1000:.1f} ms  target 100 ms")
        try:
            alone = marks_alone(args.rounds)
        except ImportError:
            alone = {}
        for what, times in alone.items():
            print(f"  marks alone, 50,000 files, {what:13} median {statistics.median(times) * 1000:6.1f} ms "
                  f"(max {max(times) * 1000:.1f})")


if __name__ == "__main__":
    main()
