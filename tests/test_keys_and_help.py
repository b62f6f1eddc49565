"""The keys at the operator's hands (issue 20): Tab reaches every field, F1 lists the keys of every screen, a
key refused now says why, and a failing worker (or a stray line from a run's child) never ends the console
nor leaves a row running."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sqlite3
from pathlib import Path

from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Select, Static

import dse_tui.ui.screens
from dse_tui.core.catalog import Catalog
from dse_tui.core.engine.runner import run_repository
from dse_tui.core.profile.config import load_profile
from dse_tui.i18n import LANGUAGES, TEXTS
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.base import Commands
from dse_tui.ui.screens.checklist_view import ChecklistView
from dse_tui.ui.screens.event_log import EventLogScreen
from dse_tui.ui.screens.help import HelpScreen
from dse_tui.ui.screens.label_screen import LabelScreen
from dse_tui.ui.screens.media_screen import MediaScreen
from dse_tui.ui.screens.problem import ProblemScreen
from dse_tui.ui.screens.repo_runs import RepoRunsScreen
from dse_tui.ui.screens.restore_dialog import RestoreDialog
from dse_tui.ui.screens.runlog import RunLogScreen
from dse_tui.ui.screens.session import SessionScreen
from dse_tui.ui.screens.session_list import SessionListScreen
from dse_tui.ui.widgets.repo_table import RepoTable
from dse_tui.ui.widgets.runs import RunsPanel
from tests.conftest import ROOT, fixed_clock, pilot_until

SIZE = (200, 50)
SCREEN_MODULES = [importlib.import_module(f"dse_tui.ui.screens.{m.name}")
                  for m in pkgutil.iter_modules(dse_tui.ui.screens.__path__)]


def app_for(profile, language="en"):
    return make_app(profile, language=language, clock=fixed_clock, poll_seconds=0.05)


async def select(pilot, app, repo: str) -> None:
    table = app.screen.query_one(RepoTable)
    table.move_cursor(row=table.get_row_index(repo))
    # The keys ask the selection when pressed: the detail pane's rest (DETAIL_DELAY) is not waited for.
    await pilot_until(pilot, lambda: app.screen.selected().repository.id == repo)


async def open_screen(pilot, app, kind, *keys):
    await pilot.press(*keys)
    return await pilot_until(pilot, lambda: isinstance(app.screen, kind) and app.screen, timeout=10,
                             what=f"{kind.__name__} after {keys}")


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def f1_lists_the_keys(pilot, app, *expected: str) -> None:
    """F1 on the screen shown opens the help with that screen's keys; Esc goes back to it."""
    screen = app.screen
    await pilot.press("f1")
    help_screen = await pilot_until(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen, timeout=10,
                                    what=f"the help over {type(screen).__name__}")
    table = help_screen.query_one("#help-keys", DataTable)
    keys = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
    assert {*expected, "f1", "tab"} <= keys, (type(screen).__name__, keys)
    assert {c.keys_shown for c in screen.COMMAND_TABLE} <= keys
    await pilot.press("escape")
    await pilot_until(pilot, lambda: app.screen is screen, timeout=10, what="the screen back")


def reason_in_help(app, key: str) -> str:
    """What the help says under a key's action: why it cannot be done now ("" when it can)."""
    table = app.screen.query_one("#help-keys", DataTable)
    row = next(table.get_row_at(i) for i in range(table.row_count) if str(table.get_row_at(i)[0]) == key)
    # The action may wrap over lines; the reason is the line indented under it.
    return " ".join(line.strip() for line in str(row[1]).split("\n") if line.startswith("  "))


async def test_the_help_at_80_columns_wraps_each_action_and_cuts_none(demo_profile):
    app = app_for(demo_profile)
    async with app.run_test(size=(80, 24)) as pilot:
        help_screen = await open_screen(pilot, app, HelpScreen, "f1")
        table = await pilot_until(pilot, lambda: (t := help_screen.query_one("#help-keys", DataTable)).row_count
                                  and t.virtual_size.width and t, what="the help's rows measured")
        box = help_screen.query_one(VerticalScroll)
        assert box.region.right <= 80, "the box runs past the screen"
        assert table.virtual_size.width <= table.scrollable_content_region.width, "a column runs past the box"
        rows = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        command = next(c for c in app.screen.below.COMMAND_TABLE if c.keys_shown == "R")
        whole = f"{TEXTS[command.text]['en']}: {TEXTS[command.text + '.help']['en']}"
        assert "\n" in rows["R"] and " ".join(rows["R"].split()) == " ".join(whole.split())
        # 24 lines hold fewer keys than the dashboard has: the box scrolls to the last of them and its note.
        assert box.max_scroll_y > 0 and app.focused is box
        await pilot.press("end")
        await pilot_until(pilot, lambda: box.scroll_y == box.max_scroll_y, what="the help scrolled to its end")
        await pilot.press("escape")
        await pilot_until(pilot, lambda: not isinstance(app.screen, HelpScreen), what="the help closed")


# ------------------------------------------------------------------ Tab

async def test_tab_reaches_every_field_of_the_label_screen(demo_profile):
    profile = load_profile(demo_profile)
    with Catalog(profile.catalog_path) as catalog:
        catalog.create_medium("TEST-0001", "removable", destination="shelf-disk", volume="5E2B-9C41")
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        await open_screen(pilot, app, MediaScreen, "i")
        await open_screen(pilot, app, LabelScreen, "p")
        seen = []
        for _ in range(5):
            seen.append(app.focused.id)
            await pilot.press("tab")
        assert seen == ["stock", "printer", "start", "copies", "previews-box"]  # the previews scroll
        assert app.focused.id == "stock", "round again"
        await pilot.press("shift+tab", "shift+tab")
        assert app.focused.id == "copies"


async def test_tab_reaches_the_repository_filter_of_the_event_log(demo_profile):
    profile = load_profile(demo_profile)
    with Catalog(profile.catalog_path) as catalog:
        for repo in ("library-db", "library-db", "www-main"):
            catalog.record_event("run started", "ok", repository=repo)
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, app, EventLogScreen, "e")
        assert app.focused.id == "events"
        await pilot.press("tab")
        assert app.focused.id == "repo"
        await pilot.press("enter", "down", "enter")  # open the filter, the first repository, chosen
        chosen = screen.query_one("#repo", Select).value
        assert chosen == "library-db"
        table = screen.query_one("#events", DataTable)
        column = list(table.columns).index("repository")
        assert table.row_count and {str(table.get_row_at(i)[column]) for i in range(table.row_count)} == {chosen}


# ------------------------------------------------------------------ F1

async def test_f1_lists_the_keys_of_every_screen(demo_profile):
    profile = load_profile(demo_profile)
    run_repository(profile, profile.repository("www-main"))
    with Catalog(profile.catalog_path) as catalog:
        catalog.create_medium("TEST-0001", "removable", destination="shelf-disk", volume="5E2B-9C41")
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        await f1_lists_the_keys(pilot, app, "r", "v", "c", "q")
        await open_screen(pilot, app, EventLogScreen, "e")
        await f1_lists_the_keys(pilot, app, "/", "escape")
        await pilot.press("escape")
        await open_screen(pilot, app, MediaScreen, "i")
        await f1_lists_the_keys(pilot, app, "/", "w", "n", "d", "p")
        await open_screen(pilot, app, LabelScreen, "p")
        await f1_lists_the_keys(pilot, app, "p", "escape")
        await pilot.press("escape", "escape")
        await select(pilot, app, "www-main")
        await open_screen(pilot, app, RunLogScreen, "o")
        await f1_lists_the_keys(pilot, app, "escape, o, q")
        await pilot.press("escape")
        await open_screen(pilot, app, RepoRunsScreen, "v")
        await f1_lists_the_keys(pilot, app, "v", "n", "t", "a", "m", "s", "h")
        await open_screen(pilot, app, RestoreDialog, "t")
        await f1_lists_the_keys(pilot, app, "escape")
        await pilot.press("escape")
        await open_screen(pilot, app, SessionListScreen, "s")
        await f1_lists_the_keys(pilot, app, "escape", "enter")
        await pilot.press("escape")
        await open_screen(pilot, app, ChecklistView, "m")
        await f1_lists_the_keys(pilot, app, "escape, q", "enter")
        await open_screen(pilot, app, SessionScreen, "enter")
        await f1_lists_the_keys(pilot, app, "space", "r", "e", "o", "s", "f", "g", "a")


async def test_f1_on_the_problem_screen(tmp_path):
    app = app_for(tmp_path / "missing.yaml", language="es")
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, ProblemScreen)
        assert app.screen.active_bindings["r"].binding.description == "Releer"
        await f1_lists_the_keys(pilot, app, "r", "f2", "q")


async def test_the_palette_runs_the_commands_of_the_screen_it_opens_on(demo_profile):
    profile = load_profile(demo_profile)
    run_repository(profile, profile.repository("www-main"))
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "www-main")
        screen = await open_screen(pilot, app, RepoRunsScreen, "v")
        level = screen.level
        await pilot.press("ctrl+p", *"next verification level")
        found = app.screen.query_one("CommandList")
        await pilot_until(pilot, lambda: found.option_count and "level" in str(found.get_option_at_index(0).prompt),
                          timeout=10, what="the palette to find the command")
        await pilot.press("enter")
        await pilot_until(pilot, lambda: screen.level != level, timeout=10, what="the level to change")


def test_every_screen_has_a_command_table_with_its_texts():
    """Every screen but the help itself is a command screen (so F1, Tab and the refusals work on it), and every
    command has its name and its help in both languages."""
    screens = {cls for module in SCREEN_MODULES for cls in vars(module).values()
               if isinstance(cls, type) and issubclass(cls, Screen) and cls.__module__ == module.__name__
               and module.__name__ not in ("dse_tui.ui.screens.base", "dse_tui.ui.screens.help")}
    assert screens and all(issubclass(cls, Commands) for cls in screens), \
        [cls.__name__ for cls in screens if not issubclass(cls, Commands)]
    for cls in screens:
        assert any("f1" in c.key.split(",") for c in cls.COMMAND_TABLE), cls.__name__
        for c in cls.COMMAND_TABLE:
            for key in (c.text, f"{c.text}.help"):
                assert key in TEXTS and set(LANGUAGES) <= set(TEXTS[key]), f"{cls.__name__}: {key}"


# ------------------------------------------------------------------ refused keys say why

async def test_a_refused_key_says_why(demo_profile):
    profile = load_profile(demo_profile)
    good = run_repository(profile, profile.repository("www-main"))
    with Catalog(profile.catalog_path) as catalog:  # then a failed run: it kept nothing
        failed = catalog.start_run("www-main")
        catalog.finish_run(failed, "failed", message="tar exited with status 2")
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "www-main")
        assert app.screen.active_bindings["x"].enabled is False, "shown dimmed"
        await pilot.press("x")
        assert any("has no backup running" in m for m in messages(app))

        screen = await open_screen(pilot, app, RepoRunsScreen, "v")
        assert screen.selected_run().id == failed
        why = f"Run {failed} is failed: it kept nothing to verify or restore"
        assert why in str(screen.query_one("#checks", Static).render()), "the pane does not say 'press v'"
        assert screen.active_bindings["v"].enabled is False
        await pilot.press("v")
        assert why in messages(app) and screen.busy is None
        await pilot.press("t")
        assert messages(app).count(why) == 2 and app.screen is screen

        await pilot.press("down")  # the good run
        await pilot_until(pilot, lambda: screen.selected_run().id == good.run_id)
        await pilot.press("a")
        assert f"Run {good.run_id} is good: there is nothing to accept" in messages(app)
        await pilot.press("f1")
        assert reason_in_help(app, "a") == f"Run {good.run_id} is good: there is nothing to accept"
        assert reason_in_help(app, "v") == "", "the good run can be verified"
        assert "Not available yet" not in " ".join(reason_in_help(app, c.keys_shown) for c in screen.COMMAND_TABLE)


async def test_a_refused_key_says_why_in_spanish(demo_profile):
    app = app_for(demo_profile, language="es")
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "library-db")
        await pilot.press("c")
        assert "Library catalogue database aún no tiene un respaldo correcto: r lo respalda" in messages(app)


# ------------------------------------------------------------------ worker failures

async def test_a_worker_that_raises_is_said_and_the_console_goes_on(demo_profile, monkeypatch):
    from dse_tui.core.verification import runs

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    profile = load_profile(demo_profile)
    run_repository(profile, profile.repository("www-main"))
    monkeypatch.setattr(runs, "verify_run", locked)
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "www-main")
        screen = await open_screen(pilot, app, RepoRunsScreen, "v")
        await pilot.press("v")
        await pilot_until(pilot, lambda: any("database is locked" in m for m in messages(app)), timeout=30,
                          what="the worker's error said")
        await pilot_until(pilot, lambda: screen.busy is None, timeout=10, what="the screen settled")
        assert app.is_running and not app._exit
        assert not screen.query_one("#work").display
        await pilot.press("escape")  # not held back by a verification that is no longer running
        await pilot_until(pilot, lambda: app.screen is not screen, timeout=10, what="back to the dashboard")


def test_every_worker_of_the_console_is_made_not_to_end_it():
    """exit_on_error=True (Textual's default) ends the app on a worker's error: ui/workers.py says it instead."""
    bare = []
    for path in sorted((ROOT / "dse_tui" / "ui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "work":
                kept = {k.arg: k.value for k in node.keywords}
                if not (isinstance(kept.get("exit_on_error"), ast.Constant) and kept["exit_on_error"].value is False):
                    bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == []


STRAY = 'import sys\nsys.stdout.write("a stray line from a library\\n42\\n")\nsys.stdout.flush()\n'


async def test_a_stray_line_from_the_run_child_leaves_the_row_settled(demo_profile, tmp_path, monkeypatch):
    """The run's child prints something that is not its JSON (a library at import time): kept in the run's
    log, and the run ends in the console as it ended."""
    site = tmp_path / "site"
    site.mkdir()
    # Imported at the start of every Python child, in place of the one that gives it the test's catalog.
    harness = Path(__file__).parent / "pg_children" / "sitecustomize.py"
    (site / "sitecustomize.py").write_text(STRAY + harness.read_text())
    monkeypatch.setenv("PYTHONPATH", f"{site}:{ROOT}")
    app = app_for(demo_profile)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "library-db")
        await pilot.press("r")
        panel = app.screen.query_one(RunsPanel)
        await pilot_until(pilot, lambda: any("backup good" in m for m in messages(app)) and not panel.query("RunRow"),
                          timeout=60, what="the run to end as it ended, its row gone")
        assert not panel.active
        await pilot_until(pilot, lambda: app.screen.query_one(RepoTable).get_cell("library-db", "state").plain == "ok")
        assert "a stray line from a library" in panel.logs["library-db"]

