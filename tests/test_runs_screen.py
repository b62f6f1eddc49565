"""The runs screen of a repository, driven with Pilot: verify with each check's outcome, cancel, restore
through the dialog (the live source only with the typed id), accept a held-back run, and the
manual-backup hand-off from the dashboard."""

from __future__ import annotations

import json
import os
from pathlib import Path

from textual.widgets import DataTable, Input, Static

from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.config import load_profile
from dse_tui.core.engine.runner import run_repository
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.checklist_view import ChecklistView
from dse_tui.ui.screens.dashboard import DashboardScreen
from dse_tui.ui.screens.repo_runs import RepoRunsScreen
from dse_tui.ui.screens.restore_dialog import AcceptDialog, RestoreDialog
from dse_tui.ui.widgets.repo_table import RepoTable
from tests.conftest import Gate, detail_follows_cursor, dismissed, pilot_until
from tests.engine_helpers import profile_with

SIZE = (200, 50)


async def select(pilot, app, key: str) -> None:
    table = app.screen.query_one(RepoTable)
    table.move_cursor(row=table.get_row_index(key))
    await pilot_until(pilot, lambda: detail_follows_cursor(app), what=f"{key} selected")


def checks_text(app) -> str:
    return str(app.screen.query_one("#checks", Static).render())


async def test_verify_a_run_and_see_each_check(demo_profile):
    profile = load_profile(demo_profile)
    first = run_repository(profile, profile.repository("www-main"))
    second = run_repository(profile, profile.repository("www-main"))
    app = make_app(demo_profile, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "www-main")
        await pilot.press("v")
        assert isinstance(app.screen, RepoRunsScreen)
        table = app.screen.query_one("#runs", DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == [f"r{second.run_id}", f"r{first.run_id}"]
        assert "structure" in checks_text(app), "the run's own verification is shown"
        assert "after the run" in checks_text(app), "its trigger in words"
        await pilot.press("n")  # structure -> restore
        assert app.screen.level == "restore"
        await pilot.press("v")
        await app.workers.wait_for_complete()  # its outcome reached the screen before the worker ended
        await pilot.pause()
        text = checks_text(app)
        assert "trial restore" in text and "files www-main.tar.zst" in text and "✗" not in text
        assert any(f"Run {second.run_id} passed the trial restore verification" in n.message for n in app._notifications)
        with Catalog(profile.catalog_path) as catalog:
            assert catalog.verifications(second.run_id)[0].trigger == "console"


async def test_a_damaged_run_shows_the_failed_check_and_the_hand_off(demo_profile):
    profile = load_profile(demo_profile)
    outcome = run_repository(profile, profile.repository("www-main"))
    part = Path(outcome.artifact) / "www-main.tar.zst"
    part.write_bytes(part.read_bytes()[:-3])
    app = make_app(demo_profile, language="es", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "www-main")
        await pilot.press("v", "v")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "✗ suma de control www-main.tar.zst" in checks_text(app), "its name in Spanish too"
        assert "· consola, por " in checks_text(app), "the verification's trigger and operator in the console's language"
        handoff = app.screen.query_one("#handoff", Static)
        assert handoff.display and "Pulse m" in str(handoff.render())
        await pilot.press("m")
        assert isinstance(app.screen, ChecklistView)
        await pilot.press("escape", "escape")
        await pilot_until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="back on the dashboard")
        await pilot.pause()
        assert app.screen.query_one(RepoTable).get_cell("www-main", "state").plain == "manual requerido"
        await pilot.press("m")
        assert isinstance(app.screen, ChecklistView)
        shown = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert f"Se requiere un respaldo manual: la ejecución {outcome.run_id} no superó la verificación (structure)" \
            in shown, "why, in the language the console verified it in"
        assert "Respaldo manual" in shown, "the checklist of the repository's kind, in Spanish"


async def test_cancel_a_verification(tmp_path):
    (tmp_path / "big").mkdir()
    with open(tmp_path / "big" / "zeros.img", "wb") as f:
        f.truncate(1 << 30)
    profile = profile_with(tmp_path, "{id: big, kind: config, driver: files, source: {path: ./big}}")
    outcome = run_repository(profile, profile.repository("big"))
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "n")  # restore level: extract and hash a GiB
        # Pilot's press() waits for the whole process to be idle, which a verification is not: start it
        # directly, then the key that cancels it reaches the screen while it works.
        app.screen.action_verify()
        assert app.screen.busy == "verify"
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.busy is None
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.verifications(outcome.run_id)[0].outcome == "cancelled"
    assert not any((profile.storage_root / ".scratch").iterdir())


def planned_for(app, target) -> bool:
    """The restore dialog has read the target typed and planned for it."""
    plan = app.screen.plan
    return plan is not None and plan.target == str(target)


async def test_restore_through_the_dialog_and_the_live_source_needs_the_id(demo_profile, tmp_path):
    profile = load_profile(demo_profile)
    outcome = run_repository(profile, profile.repository("www-main"))
    source = profile.repository("www-main").source["path"]
    app = make_app(demo_profile, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "www-main")
        await pilot.press("v", "t")
        assert isinstance(app.screen, RestoreDialog)
        target = app.screen.query_one("#target", Input)
        target.value = str(source)
        await pilot_until(pilot, lambda: planned_for(app, source), what="the dialog's plan for the live source")
        assert app.screen.query_one("#confirm", Input).display, "the live source asks for the typed id"
        await pilot.press("enter")
        assert isinstance(app.screen, RestoreDialog), "not without the id"
        target.value = str(tmp_path / "restored")
        await pilot_until(pilot, lambda: planned_for(app, tmp_path / "restored"), what="the plan for the new folder")
        assert not app.screen.query_one("#confirm", Input).display
        target.focus()
        await pilot.press("enter")
        await dismissed(pilot, RestoreDialog)  # once the target was asked about, in a thread
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RepoRunsScreen)
        assert (tmp_path / "restored" / "index.html").read_bytes() == (source / "index.html").read_bytes()
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.restores(outcome.run_id)[0].outcome == "done"


async def test_the_restore_dialog_answers_while_the_server_is_asked(demo_profile, tmp_path, monkeypatch):
    """Issue 20: whether the target exists was asked of the database server on the event loop (up to
    15 s of a frozen console)."""
    from dataclasses import replace

    import dse_tui.core.drivers as drivers

    profile = load_profile(demo_profile)
    run_repository(profile, profile.repository("www-main"))
    gate, get = Gate(), drivers.get

    def held(name: str):
        driver = get(name)

        def plan_restore(repo, run_id, manifest, target, database, check_exists):
            if check_exists:
                gate.hold()
            return driver.plan_restore(repo, run_id, manifest, target, database, check_exists)

        return replace(driver, plan_restore=plan_restore)

    monkeypatch.setattr(drivers, "get", held)
    app = make_app(demo_profile, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "www-main")
        await pilot.press("v", "t")
        dialog = app.screen
        assert isinstance(dialog, RestoreDialog)
        target = dialog.query_one("#target", Input)
        target.value = str(tmp_path / "restored")
        await pilot_until(pilot, lambda: planned_for(app, tmp_path / "restored"), what="the plan for the new folder")
        target.focus()
        await pilot.press("enter")
        await pilot_until(pilot, lambda: gate.entered.is_set(), timeout=60, what="the server to be asked")
        assert gate.off_the_ui_thread(), "the server was asked on the event loop"
        await pilot_until(pilot, lambda: "Asking the server" in str(dialog.query_one("#plan", Static).render()),
                          what="the dialog to say it is asking")
        dialog.query_one("#force").focus()
        await pilot.press("space")
        await pilot_until(pilot, lambda: dialog.query_one("#force").value, what="a key pressed while it asks")
        assert app.screen is dialog and not gate.released.is_set()
        gate.released.set()
        await dismissed(pilot, RestoreDialog)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RepoRunsScreen)
    with Catalog(profile.catalog_path) as catalog:
        (restore,) = catalog.restores(catalog.recent_runs("www-main", 1)[0].id)
        assert restore.outcome == "done" and restore.target == str(tmp_path / "restored")


async def test_accept_a_shrunk_run_with_a_reason(tmp_path):
    (tmp_path / "www").mkdir()
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    for _ in range(3):
        (tmp_path / "www" / "data.bin").write_bytes(os.urandom(100_000))
        run_repository(profile, profile.repository("w"))
    (tmp_path / "www" / "data.bin").write_bytes(os.urandom(1000))
    held = run_repository(profile, profile.repository("w"))
    assert held.state == "failed"
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        assert app.screen.check_action("accept", ()) is True
        await pilot.press("a")
        assert isinstance(app.screen, AcceptDialog)
        await pilot.press("enter")
        assert isinstance(app.screen, AcceptDialog), "a reason is required"
        await pilot.press(*"files moved to the archive")
        await pilot.press("enter")
        await pilot_until(pilot, lambda: not isinstance(app.screen, AcceptDialog), what="the dialog to close")
        await pilot.pause()
        assert isinstance(app.screen, RepoRunsScreen)
        assert app.screen.check_action("accept", ()) is None
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.run(held.run_id).state == "good"
        assert catalog.acknowledged(held.run_id) == "files moved to the archive"


async def test_the_run_detail_lists_what_the_run_did_not_store(tmp_path):
    from tests.tree_helpers import fidelity_tree, make_socket

    fidelity_tree(tmp_path / "srv")
    (tmp_path / "srv" / "sockets").mkdir()
    for i in range(2):
        make_socket(tmp_path / "srv" / "sockets" / f"s{i}.sock")
    profile = profile_with(tmp_path, "{id: t, kind: config, driver: files, source: {path: ./srv}}")
    outcome = run_repository(profile, profile.repository("t"))
    assert outcome.state == "good" and len(outcome.not_archived) == 3
    app = make_app(profile.file, language="es", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        text = await pilot_until(pilot, lambda: "No archivado" in checks_text(app) and checks_text(app),
                                 what="the run's paths not archived on screen")
        assert "No archivado tal como está en disco (3)" in text
        for path in ("app.sock", "sockets/s0.sock", "sockets/s1.sock"):
            assert f"! {path}: un socket: tar no puede guardarlo" in text


async def test_the_runs_screen_reads_a_hundred_runs_in_a_few_queries(demo_profile):
    """Issue 20: a reload read each row's pruning and session apart (about 600 queries for 200 runs), and
    the keys' checks asked the catalog every time the footer was drawn."""
    from tests.conftest import record_runs

    profile = load_profile(demo_profile)
    ids = record_runs(profile.catalog_path, "www-main", "gfgcg" * 20)
    with Catalog(profile.catalog_path) as catalog:
        for run_id in ids[::7]:
            v = catalog.start_verification(run_id, "checksum", trigger="cli", operator="jaa")
            catalog.finish_verification(v, "passed", [])
    app = make_app(demo_profile, language="en", poll_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, app, "www-main")
        await pilot.press("v")
        screen = await pilot_until(pilot, lambda: isinstance(app.screen, RepoRunsScreen) and app.screen.is_mounted
                                   and app.screen, what="the runs screen")
        assert len(screen.runs) == 100
        statements = []
        app.catalog.conn.set_trace_callback(statements.append)
        try:
            screen.reload()
            reload_queries = len(statements)
            statements.clear()
            for row in range(0, 100, 9):  # each key's availability, on runs of every kind
                screen.query_one("#runs", DataTable).move_cursor(row=row)
                for command in screen.COMMAND_TABLE:
                    screen.check_action(command.action_name, ())
        finally:
            app.catalog.conn.set_trace_callback(None)
        assert reload_queries <= 8, reload_queries
        assert statements == [], "the keys' checks read what the reload read"
        table = screen.query_one("#runs", DataTable)
        assert table.row_count == 100
        verified = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[4]) for i in range(table.row_count)}
        assert verified[f"r{ids[7]}"] == "passed · checksum" and verified[f"r{ids[1]}"] == "-"

        # None of these runs kept anything: every key is as it was from one row to the next, and the footer
        # (built anew on each refresh, a tenth of a second) is left as it is.
        refreshed = []
        signal = screen.bindings_updated_signal
        signal.subscribe(screen, refreshed.append)
        try:
            table.move_cursor(row=0)
            for _ in range(5):
                await pilot.press("down")
            await pilot_until(pilot, lambda: screen.selected_run() is screen.runs[5], what="the cursor moved")
            await pilot.pause()
        finally:
            signal.unsubscribe(screen)
        assert refreshed == []
        await pilot.press("n")
        assert screen.level == "restore" and "Level: trial restore" in str(screen.query_one("#heading", Static).render())


async def test_the_verification_bar_shows_a_percentage_of_the_run_size(tmp_path):
    from textual.widgets import ProgressBar

    (tmp_path / "big").mkdir()
    with open(tmp_path / "big" / "zeros.img", "wb") as f:
        f.truncate(1 << 30)
    profile = profile_with(tmp_path, "{id: big, kind: config, driver: files, source: {path: ./big}}")
    run_repository(profile, profile.repository("big"))
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v", "n")  # restore level: the artifact read, then its GiB of content
        app.screen.action_verify()  # not press(): it waits for an idle process, which a verification is not
        bar = app.screen.query_one("#work-progress", ProgressBar)
        await pilot_until(pilot, lambda: bar.total is not None and 0 < bar.percentage < 1,
                          what="a percentage of the run's size")
        run = app.screen.selected_run()
        manifest = json.loads(Path(run.manifest).read_text())
        assert bar.total >= manifest["size"] + manifest["data_size"], "the artifact and its content, both read"
        await pilot.press("x")
        await app.workers.wait_for_complete()
