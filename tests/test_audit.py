"""The event log as a record: the hash chain catches each kind of tampering and says which event; a copy
of the log travels with every run and catches events deleted from the end."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

from dse_tui.core.records.audit import head_of, verify_chain
from dse_tui.core.catalog import Catalog, event_hash
from dse_tui.core.engine.runner import run_repository
from tests.conftest import pilot_until, shown, text_of
from tests.engine_helpers import profile_with
from tests.catalog_backend import raw_connection
from tests.test_cli import dse


def a_log(tmp_path, n: int = 6) -> Path:
    path = tmp_path / "catalog.sqlite"
    with Catalog(path) as catalog:
        for i in range(n):
            catalog.record_event("run ended", "good", repository="www", operator="jaa", detail={"run_id": i + 1})
    return path


def raw(path: Path) -> sqlite3.Connection:
    return raw_connection(path)  # what someone with the file and sqlite3 (or psql) could do


def test_an_intact_log_verifies(tmp_path):
    with Catalog(a_log(tmp_path)) as catalog:
        assert verify_chain(catalog) == (6, [])


def test_an_edited_event_is_named(tmp_path):
    path = a_log(tmp_path)
    raw(path).execute("UPDATE events SET outcome = 'failed' WHERE id = 3")
    with Catalog(path) as catalog:
        count, breaks = verify_chain(catalog)
    assert [(b.kind, b.event_id) for b in breaks] == [("edited", 3)]


def test_a_deleted_event_is_found(tmp_path):
    path = a_log(tmp_path)
    raw(path).execute("DELETE FROM events WHERE id = 4")
    with Catalog(path) as catalog:
        count, breaks = verify_chain(catalog)
    assert count == 5 and [(b.kind, b.event_id) for b in breaks] == [("deleted", 5)]


def test_an_inserted_event_is_found_even_with_a_correct_hash_of_its_own(tmp_path):
    """The forger computes the inserted event's hash properly; the next event still points past it."""
    path = a_log(tmp_path)
    db = raw(path)
    rows = db.execute("SELECT id, hash FROM events ORDER BY id").fetchall()
    db.execute("UPDATE events SET id = id + 100 WHERE id > 3")
    fields = {"at": "2026-11-20T10:00:00+00:00", "operator": "mallory", "repository": "www", "action": "run ended",
              "outcome": "good", "detail": None}
    forged = event_hash(rows[2][1], fields)
    db.execute("INSERT INTO events(id, at, operator, repository, action, outcome, detail, prev_hash, hash) VALUES "
               "(4, :at, :operator, :repository, :action, :outcome, :detail, :prev, :hash)",
               {**fields, "prev": rows[2][1], "hash": forged})
    with Catalog(path) as catalog:
        count, breaks = verify_chain(catalog)
    assert count == 7 and [(b.kind, b.event_id) for b in breaks] == [("inserted", 4)]


def test_events_deleted_from_the_end_are_caught_by_the_copy_in_a_run(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a").write_text("a")
    profile = profile_with(tmp_path, "{id: docs, kind: config, driver: files, source: {path: ./src}}")
    run_repository(profile, profile.repository("docs"))
    outcome = run_repository(profile, profile.repository("docs"))
    exported = Path(outcome.artifact) / "audit-log.jsonl.zst"
    assert exported.is_file()
    text = subprocess.run(["zstd", "-dc", str(exported)], capture_output=True, check=True).stdout
    events = [json.loads(line) for line in text.splitlines()]
    assert events[-1]["action"] == "run started" and events[0]["prev_hash"] == "0" * 64
    with Catalog(profile.catalog_path) as catalog:
        n = catalog.conn.execute("SELECT count(*) FROM events").fetchone()[0]
        assert verify_chain(catalog, head_of(text)) == (n, [])
    raw(profile.catalog_path).execute("DELETE FROM events WHERE id >= (SELECT max(id) - 6 FROM events)")
    ok = dse("audit", "verify", "--profile", str(profile.file))
    assert ok.returncode == 0, "without a copy, a cut end looks whole: the copy is what catches it"
    caught = dse("audit", "verify", "--against", str(exported), "--profile", str(profile.file))
    assert caught.returncode == 1 and "BROKEN truncated" in caught.stdout


def test_status_prometheus_is_the_textfile_format(demo_profile):
    from prometheus_client.parser import text_string_to_metric_families

    from dse_tui.core.profile.config import load_profile
    from tests.conftest import record_runs

    profile = load_profile(demo_profile)
    record_runs(profile.catalog_path, "library-db", "gg", size=2_400_000)
    result = dse("status", "--prometheus", "--profile", str(demo_profile))
    assert result.returncode in (0, 1, 2), result.stderr
    families = {f.name: f for f in text_string_to_metric_families(result.stdout)}
    size = {s.labels["repository"]: s.value for s in families["dse_tui_last_good_size_bytes"].samples}
    assert size["library-db"] == 2_400_000 and size["timetable-app"] == 0
    states = {(s.labels["repository"], s.labels["state"]): s.value for s in families["dse_tui_state"].samples}
    by_json = {s["id"]: s["state"] for s in json.loads(dse("status", "--json", "--profile", str(demo_profile)).stdout)}
    for repo, state in by_json.items():  # one state each, the same as status --json
        assert states[(repo, state)] == 1 and sum(v for (r, _), v in states.items() if r == repo) == 1
    stamps = {s.labels["repository"]: s.value for s in families["dse_tui_last_good_timestamp_seconds"].samples}
    assert stamps["library-db"] > 1.7e9 and stamps["www-main"] == 0


async def test_the_event_log_screen_filters_and_shows_the_chain(tmp_path):
    from textual.widgets import DataTable, Input, Static

    from dse_tui.ui.app import make_app
    from dse_tui.ui.screens.event_log import EventLogScreen
    from dse_tui.ui.screens.repo_runs import RepoRunsScreen

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a").write_text("a")
    profile = profile_with(tmp_path, "{id: docs, kind: config, driver: files, source: {path: ./src}}")
    run_repository(profile, profile.repository("docs"))
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("e")
        assert isinstance(app.screen, EventLogScreen)
        chain = app.screen.query_one("#chain", Static)
        await pilot_until(pilot, lambda: "Checking" not in text_of(chain), what="the chain's check to end")
        await app.workers.wait_for_complete()
        assert "the hash chain is intact" in str(app.screen.query_one("#chain", Static).render())
        table = app.screen.query_one("#events", DataTable)
        actions = [str(table.get_row_at(i)[4]) for i in range(table.row_count)]
        assert "run started" in actions and "run ended" in actions and "verification" in actions
        # The highlighted event's detail in full, a line per key: what the table's column cuts is all there.
        import json

        ended = actions.index("run ended")
        table.move_cursor(row=ended)
        stored = json.loads(list(app.catalog.events(50))[ended]["detail"])
        await pilot_until(pilot, lambda: all(f"{k}:" in text_of(app.screen.query_one("#detail", Static))
                                             for k in stored), what="the event's detail in the pane")
        pane = text_of(app.screen.query_one("#detail", Static))
        assert all(str(v) in pane.replace("\n", "") for v in stored.values() if isinstance(v, (str, int))), pane
        assert not str(table.get_row_at(ended)[6]).startswith("{"), "the column reads as key: value, not JSON"
        app.screen.query_one("#words", Input).value = "verification"
        await pilot_until(pilot, lambda: table.row_count < len(actions), what="the filter to apply")
        assert {str(table.get_row_at(i)[4]) for i in range(table.row_count)} == {"verification"}
        await pilot.press("escape")
        await pilot.press("v", "h")  # a repository's history, from its runs screen
        await pilot_until(pilot, lambda: shown(app, EventLogScreen), what="the repository's history")
        await pilot.pause()
        assert isinstance(app.screen, EventLogScreen) and app.screen.repository == "docs"
        assert app.screen.query_one("#events", DataTable).row_count >= 3
        await pilot.press("escape")
        assert isinstance(app.screen, RepoRunsScreen)


def test_a_changed_profile_is_an_event(demo_profile):
    from dse_tui.core.records.audit import note_profile
    from dse_tui.core.profile.config import load_profile

    profile = load_profile(demo_profile)
    with Catalog(profile.catalog_path) as catalog:
        assert note_profile(catalog, profile) is True
        assert note_profile(catalog, profile) is False, "the same bytes: nothing new"
        demo_profile.write_text(demo_profile.read_text().replace("grace: 6h", "grace: 8h"))
        assert note_profile(catalog, load_profile(demo_profile)) is True
        changes = [e for e in catalog.events(50) if e["action"] == "profile changed"]
        assert len(changes) == 2 and str(demo_profile) in changes[0]["detail"]


def test_each_run_carries_the_log_since_its_previous_run(tmp_path, monkeypatch):
    """A site's whole history is not copied into every run: a segment, overlapping the previous one."""
    from dse_tui.core.records import audit
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a").write_text("a")
    profile = profile_with(tmp_path, "{id: docs, kind: config, driver: files, source: {path: ./src}}")
    real = audit.segment_start
    monkeypatch.setattr("dse_tui.core.engine.runner.segment_start", lambda catalog, repo_id: real(catalog, repo_id, 5))
    def busy_day(n):
        with Catalog(profile.catalog_path) as catalog:
            for i in range(n):
                catalog.record_event("medium moved", "ok", detail={"n": i})

    busy_day(20)
    first = run_repository(profile, profile.repository("docs"))
    busy_day(30)
    second = run_repository(profile, profile.repository("docs"))

    def segment(outcome):
        data = subprocess.run(["zstd", "-dc", str(Path(outcome.artifact) / "audit-log.jsonl.zst")],
                              capture_output=True, check=True).stdout
        return [json.loads(line)["id"] for line in data.splitlines()], json.loads(open(outcome.manifest).read())

    ids1, m1 = segment(first)
    ids2, m2 = segment(second)
    assert ids1[0] == 1 and ids2[0] > 1, "the second run starts after what the first carried"
    assert ids2[0] <= ids1[-1], "with an overlap: consecutive copies chain"
    assert m2["audit_log"]["first_id"] == ids2[0] and m2["audit_log"]["last_id"] == ids2[-1]


def test_a_deleted_end_then_new_events_leave_a_hole_that_shows(tmp_path):
    """Ids are never given again: deleting the last events and writing new ones cannot hide the deletion."""
    path = a_log(tmp_path)
    raw(path).execute("DELETE FROM events WHERE id >= 5")
    with Catalog(path) as catalog:
        catalog.record_event("run ended", "good", repository="www")  # chains onto event 4, as id 7
        count, breaks = verify_chain(catalog)
    assert [(b.kind, b.event_id) for b in breaks] == [("deleted", 7)]


def test_an_event_changed_and_rehashed_is_named(tmp_path):
    path = a_log(tmp_path)
    db = raw(path)
    prev, = db.execute("SELECT prev_hash FROM events WHERE id = 3").fetchone()
    row = db.execute("SELECT at, operator, repository, action, outcome, detail FROM events WHERE id = 3").fetchone()
    fields = dict(zip(("at", "operator", "repository", "action", "outcome", "detail"), row), outcome="failed")
    db.execute("UPDATE events SET outcome = 'failed', hash = ? WHERE id = 3", (event_hash(prev, fields),))
    with Catalog(path) as catalog:
        count, breaks = verify_chain(catalog)
    assert [(b.kind, b.event_id) for b in breaks] == [("edited", 3)]
