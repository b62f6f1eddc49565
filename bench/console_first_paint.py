"""The console's first paint: from the process's start to the first frame written to the terminal that shows
repository rows, on a site of 1,000 repositories and 1,000,000 runs (bench/catalog_scale.py builds it),
against an empty Textual app's first frame (target <= 1.5x).

The two are started in alternation (empty, dse-tui, empty, dse-tui …) and the ratio is the median of the
pairs', so a load that drifts weighs on both. A frame counts only if it reaches the terminal: one rendered
while Textual's start-up batch is open is thrown away, and the user never sees it. Not a test: run it by hand.

    python bench/console_first_paint.py [--repos 1000] [--runs 1000000] [--rounds 15] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Bench, Sample, measured, median_of, spread  # noqa: E402

FIRST_PAINT = """
import os, sys
from textual.app import App

# The first frame written to the terminal that shows what the user came for ends the measure: for the
# empty app any frame, for dse-tui the dashboard with rows in its table.
def painted(app):
    if sys.argv[1] == "empty":
        return True
    from textual.widgets import DataTable
    tables = app.screen.query(DataTable)
    return bool(tables) and tables.first().row_count > 0

# App._display is where a frame goes to the terminal (headless: where it would go), and where a frame made
# during a batch is dropped. Private API, so re-check it when Textual is upgraded.
display = App._display
def display_and_check(self, screen, renderable):
    display(self, screen, renderable)
    if renderable is not None and not self._batch_count and painted(self):
        os._exit(0)
App._display = display_and_check

if sys.argv[1] == "bare":  # an interpreter that imports Textual's App and nothing else
    os._exit(0)
if sys.argv[1] == "data":  # what the dashboard's rows need, without any of Textual's work: ui/app.py's _open
    from pathlib import Path
    from dse_tui.core.catalog import open_catalog
    from dse_tui.core.common.timeutil import utcnow
    from dse_tui.core.engine.hosts import interrupt_dead_runs
    from dse_tui.core.engine.schedule import statuses
    from dse_tui.core.profile.cache import load_cached
    from dse_tui.core.records.audit import note_profile
    from dse_tui.i18n import tr  # noqa: F401 (the texts, which the rows are written in)

    profile = load_cached(Path(sys.argv[2]))
    catalog = open_catalog(profile)
    note_profile(catalog, profile)
    catalog.interrupt_dead_steps()
    interrupt_dead_runs(catalog)
    assert len(statuses(profile, catalog, utcnow())) == len(profile.repositories)
    os._exit(0)
if sys.argv[1] == "empty":
    app = App()
elif sys.argv[1] == "minimal":
    # The floor of any dashboard: Textual's own Header, a DataTable of four rows and a Footer.
    from textual.widgets import DataTable, Footer, Header

    class Minimal(App):
        BINDINGS = [(key, "quit", key) for key in "rvmclksq"]

        def compose(self):
            yield Header()
            yield DataTable()
            yield Footer()

        def on_mount(self):
            table = self.query_one(DataTable)
            table.add_columns(*"abcdefgh")
            for i in range(4):
                table.add_row(*[str(i)] * 8)

    app = Minimal()
else:
    from dse_tui.ui.app import make_app
    app = make_app(sys.argv[2])
app.run(headless=True, size=(200, 50))
os._exit(1)  # the app ended without painting: not a measure
"""


def start(args: list[str], bytecode: Path) -> Callable[[], Sample]:
    """A fresh interpreter up to its first frame: wall time, and the CPU time it used. Bytecode is cached in
    `bytecode` (the first start fills it), as an installed package has it: with PYTHONDONTWRITEBYTECODE set
    (this machine's environment) dse-tui's ~75 modules were compiled at every start, ~50 ms, while
    Textual's came compiled from site-packages."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(bytecode)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return measured(lambda: subprocess.run([sys.executable, "-c", FIRST_PAINT, *args], check=True, cwd=ROOT,
                                           env=env))


def main() -> None:
    from catalog_scale import fill, write_profile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--keep", type=Path, help="build the site here, or use the one built there before")
    args = parser.parse_args()
    random.seed(7)
    directory = args.keep or Path(tempfile.mkdtemp(prefix="dse-bench-paint-"))
    directory.mkdir(parents=True, exist_ok=True)
    profile = directory / "profile.yaml"
    if not (directory / "catalog.sqlite").exists():
        write_profile(directory, args.repos)
        fill(directory / "catalog.sqlite", args.repos, args.runs)
    bytecode = Path(tempfile.mkdtemp(prefix="dse-bench-pyc-"))
    with Bench(f"console first paint, {args.repos:,} repositories, {args.runs:,} runs") as b:
        # The profile cache filled, the catalog in the page cache, every module's bytecode cached.
        for warm in (["dse", str(profile)], ["minimal"]):
            start(warm, bytecode)()
        samples = b.alternate({"empty Textual app": start(["empty"], bytecode),
                               "dse-tui": start(["dse", str(profile)], bytecode),
                               "Header + DataTable + Footer": start(["minimal"], bytecode),
                               "the rows' data alone": start(["data", str(profile)], bytecode),
                               "an interpreter with Textual's App imported": start(["bare"], bytecode)},
                              rounds=args.rounds)
        print(f"  medians: empty Textual app {median_of(samples['empty Textual app']) * 1000:.0f} ms, "
              f"dse-tui {median_of(samples['dse-tui']) * 1000:.0f} ms")
        b.ratio("first paint, dse-tui / empty Textual app", samples["dse-tui"], samples["empty Textual app"],
                target="<= 1.5x")
        b.ratio("its CPU time, dse-tui / empty Textual app", samples["dse-tui"], samples["empty Textual app"],
                key="cpu")
        b.ratio("for scale: Header + 4-row DataTable + Footer alone / empty app",
                samples["Header + DataTable + Footer"], samples["empty Textual app"])
        # The floor of a dashboard that waits for its rows: Textual's least screen of a table, plus the rows'
        # data (imports, profile, catalog, statuses) made one after the other in the same process, as they are.
        data = [d.wall - bare.wall for d, bare in zip(samples["the rows' data alone"],
                                                      samples["an interpreter with Textual's App imported"])]
        floors = [(m.wall + d) / e.wall for m, d, e in zip(samples["Header + DataTable + Footer"], data,
                                                           samples["empty Textual app"])]
        print(f"  the rows' data alone, beyond the interpreter: {statistics.median(data) * 1000:.0f} ms; "
              f"Header + DataTable + Footer with it, the floor: {spread(floors)}")
    import shutil

    shutil.rmtree(bytecode)
    if not args.keep:
        shutil.rmtree(directory)


if __name__ == "__main__":
    main()
