"""A big site's dashboard: its first frame on the terminal shows a screenful of rows, the rest comes after."""

from __future__ import annotations

from textual.app import App

from dse_tui.ui.app import make_app
from dse_tui.ui.widgets.repo_table import RepoTable
from tests.conftest import fixed_clock, pilot_until

REPOS = 150


def big_profile(tmp_path):
    lines = ["site: {id: big, name: Big site}", f"storage: {{root: {tmp_path}/backups, catalog: {tmp_path}/c.sqlite}}",
             "repositories:"]
    lines += [f"  - {{id: repo-{i:03d}, name: Repository {i}, kind: web, driver: files, "
              f"source: {{path: {tmp_path}/src}}, periodicity: 1d}}" for i in range(REPOS)]
    path = tmp_path / "profile.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_first_frame_shown_has_a_screenful_and_the_rest_follows(tmp_path, monkeypatch):
    shown_rows = []  # the table's rows in each frame that reaches the terminal (not dropped in a batch)
    display = App._display

    def display_and_note(self, screen, renderable):
        display(self, screen, renderable)
        tables = self.screen.query(RepoTable)
        if renderable is not None and not self._batch_count and tables:
            shown_rows.append(tables.first().row_count)

    monkeypatch.setattr(App, "_display", display_and_note)
    made = []  # the cells made before the first frame shown: a screenful, not every row's
    cells = RepoTable.cells
    monkeypatch.setattr(RepoTable, "cells", lambda self, *a: (made.append(1) if not any(shown_rows) else None)
                        or cells(self, *a))
    added = []  # every row the table was given: a rebuild while rows were still to come gave some twice
    add_row = RepoTable.add_row
    monkeypatch.setattr(RepoTable, "add_row", lambda self, *cells, **kw: added.append(kw["key"]) or add_row(
        self, *cells, **kw))
    app = make_app(big_profile(tmp_path), clock=fixed_clock)
    async with app.run_test(size=(160, 40)) as pilot:
        table = app.screen.query_one(RepoTable)
        await pilot_until(pilot, lambda: table.row_count == REPOS, what="every row")
        assert [row.value for row in table.rows] == [f"repo-{i:03d}" for i in range(REPOS)]
        first = next(n for n in shown_rows if n)
        assert 40 <= first < REPOS, f"the first frame shown had {first} rows"
        assert len(added) == REPOS, "rows were built more than once"
        assert len(made) <= first, f"{len(made)} rows' cells made before the first frame"
        # A refresh of the statuses touches the rows it has, and does not rebuild them.
        app.refresh_statuses()
        await pilot.pause()
        assert table.row_count == REPOS and table.cursor_row == 0 and len(added) == REPOS


async def test_the_first_frame_made_is_the_first_shown_and_waits_for_no_detail(tmp_path, monkeypatch):
    """The dashboard is the app's default screen: it mounts after Textual's start-up batch, so its first
    frame reaches the terminal (pushed from on_mount, it mounted inside the batch and that frame was dropped).
    The detail pane's catalog queries wait for that frame."""
    from dse_tui.core.catalog import Catalog
    from dse_tui.ui.screens.dashboard import DashboardScreen

    frames = []  # (dropped, the table's rows) of each frame the dashboard made
    display = App._display

    def display_and_note(self, screen, renderable):
        display(self, screen, renderable)
        if renderable is not None and isinstance(screen, DashboardScreen):
            frames.append((bool(self._batch_count), screen.query_one(RepoTable).row_count))

    monkeypatch.setattr(App, "_display", display_and_note)
    asked = []  # how many frames had been made when the detail first asked the catalog
    recent_runs = Catalog.recent_runs
    monkeypatch.setattr(Catalog, "recent_runs", lambda self, *a: asked.append(len(frames)) or recent_runs(self, *a))
    app = make_app(big_profile(tmp_path), clock=fixed_clock)
    async with app.run_test(size=(160, 40)) as pilot:
        table = app.screen.query_one(RepoTable)
        await pilot_until(pilot, lambda: table.row_count == REPOS and asked, what="every row and the detail")
        assert isinstance(app.screen_stack[0], DashboardScreen)
        assert frames[0][0] is False, "the first frame was made inside the start-up batch, and dropped"
        assert frames[0][1] > 0
        assert asked[0] >= 1, "the detail asked the catalog before the first frame"


OPEN_FROM_CACHE = """
import sys
from dse_tui.ui.app import make_app
app = make_app(sys.argv[1])
assert app._open() is None and len(app.profile.repositories) == int(sys.argv[2])
print(sorted(m for m in sys.modules if m in ("dse_tui.core.profile.config", "dse_tui.core.profile.schema", "yaml")))
"""


def test_a_profile_from_the_cache_does_not_import_its_validation(tmp_path):
    """The console's start on a profile validated before skips the validating code (tens of ms): neither
    the YAML parser nor the schemas are imported (the profile's Notify lives with the other dataclasses)."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    profile = big_profile(tmp_path)
    run = [sys.executable, "-c", OPEN_FROM_CACHE, str(profile), str(REPOS)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.run(run, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert first.returncode == 0, first.stderr
    # A miss: parsed and checked.
    assert first.stdout.strip() == "['dse_tui.core.profile.config', 'dse_tui.core.profile.schema', 'yaml']"
    again = subprocess.run(run, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "[]"


async def test_the_detail_panes_parts_wait_for_the_first_repository_shown(tmp_path, monkeypatch):
    """The first frame shown holds the detail pane's title alone; its other widgets come with the first
    repository it shows (after that frame), and then show it."""
    from dse_tui.ui.screens.dashboard import DashboardScreen
    from dse_tui.ui.widgets.detail import RepoDetail

    in_first = []  # the detail pane's widgets in the first frame that reaches the terminal
    display = App._display

    def display_and_note(self, screen, renderable):
        display(self, screen, renderable)
        if renderable is not None and isinstance(screen, DashboardScreen) and not self._batch_count and not in_first:
            in_first.append(len(screen.query_one(RepoDetail).query("*")))

    monkeypatch.setattr(App, "_display", display_and_note)
    app = make_app(big_profile(tmp_path), clock=fixed_clock)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot_until(pilot, lambda: in_first, what="the first frame")
        detail = app.screen.query_one(RepoDetail)
        await pilot_until(pilot, lambda: "Repository 0" in str(detail.query_one("#title").render())
                          and detail.query("#settings") and "repo-000" in str(detail.query_one("#settings").render()),
                          what="the first repository in the detail")
        assert in_first == [1], f"{in_first[0]} widgets of the detail pane in the first frame"


async def test_what_was_imported_is_out_of_the_collectors_sight_before_the_start_builds(tmp_path, monkeypatch):
    """The profile, the statuses and the widgets are built with the imported modules frozen (gc.freeze):
    their allocations then set off no full collection over every object Textual and the project made."""
    import gc

    import dse_tui.ui.app as app_module

    frozen = []  # the collector's frozen objects when the profile is read
    load_cached = app_module.load_cached
    monkeypatch.setattr(app_module, "load_cached", lambda path: frozen.append(gc.get_freeze_count())
                        or load_cached(path))
    gc.unfreeze()  # an earlier test's console froze what it had
    app = make_app(big_profile(tmp_path), clock=fixed_clock)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot_until(pilot, lambda: frozen, what="the profile read")
        assert frozen[0] > 10_000, f"{frozen[0]} objects frozen when the profile was read"


async def test_the_first_frame_is_laid_out_for_the_terminals_width(tmp_path, monkeypatch):
    """The breakpoint classes are on the dashboard before its first frame (Textual sets them on the first
    Resize, which came after it): on a narrow terminal that frame has no detail pane, as every later one."""
    from dse_tui.ui.screens.dashboard import DashboardScreen
    from dse_tui.ui.widgets.detail import RepoDetail

    first = []  # the screen's classes and whether the detail pane was shown, in the first frame shown
    display = App._display

    def display_and_note(self, screen, renderable):
        display(self, screen, renderable)
        if renderable is not None and isinstance(screen, DashboardScreen) and not self._batch_count and not first:
            first.append((set(screen.classes), screen.query_one(RepoDetail).region.width))

    monkeypatch.setattr(App, "_display", display_and_note)
    app = make_app(big_profile(tmp_path), clock=fixed_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot_until(pilot, lambda: first, what="the first frame")
        classes, detail_width = first[0]
        assert {"-narrow", "-tall"} <= classes
        assert detail_width == 0, "the detail pane was in the first frame of a narrow terminal"
        await pilot.pause()
        assert set(app.screen.classes) == classes
