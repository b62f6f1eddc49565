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
        # A refresh of the statuses touches the rows it has, and does not rebuild them.
        app.refresh_statuses()
        await pilot.pause()
        assert table.row_count == REPOS and table.cursor_row == 0 and len(added) == REPOS


OPEN_FROM_CACHE = """
import sys
from dse_tui.ui.app import make_app
app = make_app(sys.argv[1])
assert app._open() is None and len(app.profile.repositories) == int(sys.argv[2])
print(sorted(m for m in sys.modules if m == "dse_tui.core.profile.config"))
"""


def test_a_profile_from_the_cache_does_not_import_its_validation(tmp_path):
    """The console's start on a profile validated before skips the validating code (tens of ms)."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    profile = big_profile(tmp_path)
    run = [sys.executable, "-c", OPEN_FROM_CACHE, str(profile), str(REPOS)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.run(run, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "['dse_tui.core.profile.config']"  # a miss: parsed and checked
    again = subprocess.run(run, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "[]"
