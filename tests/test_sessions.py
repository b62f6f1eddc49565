"""The session state machine, the command runner and the registration of a manual backup (core, no UI)."""

from __future__ import annotations

import json
import os
import threading

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.sessions.checklists import load_checklists, repository_checklist, site_checklists
from dse_tui.core.sessions.register import register_files
from dse_tui.core.profile.problems import ConfigError
from dse_tui.core.sessions.command import run_step_command
from dse_tui.core.sessions.machine import Session, SessionAlreadyOpen, SessionError, start_session
from tests.conftest import wait_until, write_profile
from tests.engine_helpers import profile_with

CHECKLIST = """\
title: {es: Prueba, en: Test}
kind: config
steps:
  - id: first
    text: {es: Primero, en: First}
    command: "echo hello-from-step; echo oops >&2; exit 3"
  - id: count
    text: {es: Contar, en: Count}
    evidence: {es: Filas, en: Rows}
    evidence_pattern: '[0-9]+'
  - id: optional
    text: {es: Opcional, en: Optional}
    required: false
  - id: make
    text: {es: Hacer, en: Make}
    command: "tar -C {path} -cf {output}/etc.tar ."
"""


def make_site(tmp_path):
    """A `files` repository `etc` on the test checklist above (from the profile's own checklist folder)."""
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "test-config.yaml").write_text(CHECKLIST)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "hosts").write_text("127.0.0.1 localhost\n")
    return profile_with(tmp_path, "{id: etc, kind: config, driver: files, source: {path: ./src}, "
                                  "checklist: test-config, verify: structure}", extra="checklists: ./lists")


def with_command(session, step_id: str, command: str) -> None:
    """The session's step `step_id` with another command (as a site's own checklist might say)."""
    from dataclasses import replace

    session.steps = tuple(replace(step, command=command) if step.id == step_id else step for step in session.steps)


@pytest.fixture
def site(tmp_path):
    profile = make_site(tmp_path)
    checklist = repository_checklist(profile, profile.repositories[0], site_checklists(profile))
    with Catalog(profile.catalog_path) as catalog:
        yield profile, catalog, checklist


def test_a_session_walks_its_steps_and_saves_every_change(site):
    profile, catalog, checklist = site
    s = start_session(catalog, profile, profile.repositories[0], checklist, operator="ana")
    assert s.progress() == (0, 4) and s.current == "first"
    s.tick("first")
    s.set_note("first", "done at 10:02")
    with pytest.raises(SessionError, match="does not match"):
        s.tick("count", evidence="many")
    assert s.state("count").outcome == "pending" and s.state("count").evidence is None
    s.tick("count", evidence=" 1234 ")
    with pytest.raises(SessionError, match="required"):
        s.skip("make", "no time")
    with pytest.raises(SessionError, match="reason"):
        s.skip("optional", "  ")
    s.skip("optional", "no tape drive today")
    s.move_to("make")
    # Another process (a console reopened after a crash) sees exactly this.
    with Catalog(profile.catalog_path) as other:
        again = Session.load(other, s.id)
        assert again.current == "make" and again.progress() == (3, 4)
        assert again.state("count").evidence == "1234" and again.state("first").note == "done at 10:02"
        assert again.state("optional").reason == "no tape drive today"
        assert again.state("first").operator == "ana"
    with pytest.raises(SessionError, match="make"):
        s.finish()
    s.tick("make")
    s.untick("count")
    assert not s.can_finish() and s.state("count").evidence == "1234"  # undone, its evidence kept
    s.tick("count")
    s.finish()
    assert s.row.state == "finished" and s.row.ended_at is not None
    with pytest.raises(SessionError, match="record"):
        s.untick("first")
    actions = [e["action"] for e in catalog.events(100)]
    assert "session started" in actions and "session finished" in actions and actions.count("session step") >= 6


def test_a_second_open_session_for_the_repository_is_refused(site):
    profile, catalog, checklist = site
    first = start_session(catalog, profile, profile.repositories[0], checklist, operator="ana")
    with pytest.raises(SessionAlreadyOpen, match=f"already open \\(session {first.id}, started by ana"):
        start_session(catalog, profile, profile.repositories[0], checklist, operator="bob")
    first.abandon("the server came back")
    second = start_session(catalog, profile, profile.repositories[0], checklist, operator="bob")
    assert second.id != first.id
    assert catalog.session(first.id).reason == "the server came back"


def test_abandon_needs_a_reason(site):
    profile, catalog, checklist = site
    s = start_session(catalog, profile, profile.repositories[0], checklist)
    with pytest.raises(SessionError, match="reason"):
        s.abandon("")
    assert s.is_open


def test_a_step_command_runs_in_the_session_folder_and_its_output_is_recorded(site):
    profile, catalog, checklist = site
    s = start_session(catalog, profile, profile.repositories[0], checklist)
    seen = []
    status = run_step_command(s, "first", profile.repositories[0], on_output=seen.append,
                              storage_root=profile.storage_root)
    assert status == 3
    row = catalog.session(s.id).step_rows["first"]
    assert row.exit_status == 3 and "hello-from-step" in row.output and "oops" in row.output
    assert "hello-from-step" in "".join(seen)
    # Placeholders were filled from the repository: the archive lands in the session's own folder.
    assert run_step_command(s, "make", profile.repositories[0], storage_root=profile.storage_root) == 0
    assert (profile.storage_root / ".manual" / f"etc-s{s.id}" / "etc.tar").stat().st_size > 0


def test_a_running_command_is_cancelled_and_its_output_so_far_kept(site):
    profile, catalog, checklist = site
    repo = profile.repositories[0]
    s = start_session(catalog, profile, repo, checklist)
    with_command(s, "first", "echo begun; sleep 300")  # a step's command that would run for minutes
    cancel = threading.Event()
    result = {}
    t = threading.Thread(target=lambda: result.update(status=run_step_command(s, "first", repo, cancel=cancel,
                                                                            storage_root=profile.storage_root)))
    t.start()

    def saved() -> bool:  # the output so far is saved while the command runs, seen from another connection
        with Catalog(profile.catalog_path) as other:
            row = other.session(s.id).step_rows.get("first")
            return row is not None and "begun" in (row.output or "")

    wait_until(saved, what="the output to be saved while the command runs")
    assert t.is_alive()
    cancel.set()
    t.join(120)
    assert not t.is_alive(), "cancelled, not left to sleep its 300 s"
    assert result["status"] < 0
    assert "cancelled by the operator" in catalog.session(s.id).step_rows["first"].output


def test_a_cancelled_command_that_stops_cleanly_is_told_so_in_order(site):
    profile, catalog, checklist = site
    repo = profile.repositories[0]
    s = start_session(catalog, profile, repo, checklist)
    with_command(s, "first", "trap 'echo tidied; exit 7' TERM; echo begun; sleep 300 & wait")
    cancel = threading.Event()
    seen: list[str] = []
    result = {}
    t = threading.Thread(target=lambda: result.update(status=run_step_command(
        s, "first", repo, cancel=cancel, storage_root=profile.storage_root, on_output=seen.append)))
    t.start()
    wait_until(lambda: "begun" in "".join(seen), what="the command to begin")
    cancel.set()
    t.join(120)
    assert not t.is_alive()
    assert result["status"] == 7, "its trap ended it: SIGTERM came first, and the grace let it finish"
    output = catalog.session(s.id).step_rows["first"].output.split("\n", 1)[1]  # after the command's line
    assert output.index("[cancelled by the operator]") < output.index("tidied") < output.index("[exit status 7]")


def test_what_a_command_leaves_running_ends_with_it(site, tmp_path):
    profile, catalog, checklist = site
    repo = profile.repositories[0]
    s = start_session(catalog, profile, repo, checklist)
    told = tmp_path / "background.pid"
    with_command(s, "first", f"sleep 300 >/dev/null 2>&1 & echo $! > {told}")
    assert run_step_command(s, "first", repo, storage_root=profile.storage_root) == 0
    background = int(told.read_text())
    try:
        stat = open(f"/proc/{background}/stat").read()
    except FileNotFoundError:
        stat = None
    if stat is not None and stat[stat.rindex(")") + 2] != "Z":
        os.kill(background, 9)
        pytest.fail("the command's background job outlived it")


def test_registering_the_manual_backup_makes_a_good_manual_run_and_clears_manual_required(site, tmp_path):
    profile, catalog, checklist = site
    repo = profile.repositories[0]
    catalog.set_manual_required(repo.id, "run 1 failed: disk full")
    s = start_session(catalog, profile, repo, checklist)
    with pytest.raises(SessionError, match="finish"):
        register_files(profile, catalog, s.id, ["/etc/hostname"])
    assert run_step_command(s, "make", repo, storage_root=profile.storage_root) == 0
    for step in ("first", "make"):
        s.tick(step)
    s.tick("count", "5")
    s.finish()
    archive = profile.storage_root / ".manual" / f"etc-s{s.id}" / "etc.tar"
    with pytest.raises(SessionError, match="does not exist"):
        register_files(profile, catalog, s.id, [str(tmp_path / "nothing.tar")])
    outcome = register_files(profile, catalog, s.id, [str(archive)], operator="ana")
    assert outcome.state == "good", outcome.message
    run = catalog.run(outcome.run_id)
    assert run.trigger == "manual" and catalog.run_session(run.id) == s.id
    assert [r.id for r in catalog.session_runs(s.id)] == [run.id]
    manifest = json.loads(open(run.manifest).read())
    assert manifest["session_id"] == s.id and manifest["manual"]["files"][0]["path"] == str(archive)
    assert catalog.manual_required_since(repo.id) is None
    assert catalog.last_verifications([run.id])[run.id].outcome == "passed"


def test_a_damaged_manual_file_is_not_a_good_run_and_the_state_stays(site, tmp_path):
    profile, catalog, checklist = site
    repo = profile.repositories[0]
    catalog.set_manual_required(repo.id, "run 1 failed")
    s = start_session(catalog, profile, repo, checklist)
    for step in ("first", "make"):
        s.tick(step)
    s.tick("count", "5")
    s.finish()
    bogus = tmp_path / "etc.tar"
    bogus.write_bytes(b"this is not a tar archive at all\n" * 50)
    outcome = register_files(profile, catalog, s.id, [str(bogus)])
    assert outcome.state == "failed" and "tar" in outcome.message
    assert catalog.manual_required_since(repo.id) is not None


def test_profile_extra_steps_are_put_in_place(tmp_path):
    (tmp_path / "src").mkdir()
    profile = profile_with(tmp_path, """{id: db, kind: database, driver: postgresql, source: {databases: [x]},
      checklist_steps: [{id: tell-dean, text: {es: Avisar al decano, en: Tell the dean}, after: announce},
                        {id: last, text: Last, required: false}]}""")
    steps = [s.id for s in repository_checklist(profile, profile.repositories[0], load_checklists()).steps]
    assert steps[:2] == ["announce", "tell-dean"] and steps[-1] == "last"


def test_profile_extra_step_after_an_unknown_step_names_the_profile_and_key(tmp_path):
    profile = profile_with(tmp_path, """{id: db, kind: database, driver: postgresql, source: {databases: [x]},
      checklist_steps: [{id: extra, text: Extra, after: no-such-step}]}""")
    with pytest.raises(ConfigError) as err:
        repository_checklist(profile, profile.repositories[0], load_checklists())
    text = str(err.value)
    assert str(profile.file) in text and "checklist_steps.extra.after" in text and "no-such-step" in text


def test_a_broken_site_checklist_names_file_line_and_key(tmp_path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "mine.yaml").write_text(
        "title: T\nkind: config\nsteps:\n  - id: a\n    text: A\n    evidence_pattern: '[0-9'\n")
    body = ("site: {id: t, name: T}\nstorage: {root: ./b}\nchecklists: ./lists\nrepositories: []\n")
    from dse_tui.core.profile.config import load_profile

    profile = load_profile(write_profile(tmp_path, body))
    with pytest.raises(ConfigError) as err:
        site_checklists(profile)
    assert "mine.yaml:6" in str(err.value) and "evidence_pattern" in str(err.value)


def test_a_postgresql_manual_backup_made_with_the_shipped_checklist_registers_and_restores(tmp_path, postgres_db):
    """The shipped checklist's own commands, filled from the repository, against the real server."""
    from tests.test_engine_databases import psql

    db = postgres_db["database"]
    psql(db, "CREATE TABLE grades (id int); INSERT INTO grades SELECT generate_series(1, 250);")
    profile = profile_with(tmp_path, f"{{id: pg, kind: database, driver: postgresql, verify: restore, source: "
                                     f"{{host: 127.0.0.1, port: 5432, user: postgres, databases: [{db}]}}}}")
    repo = profile.repositories[0]
    with Catalog(profile.catalog_path) as catalog:
        catalog.set_manual_required("pg", "run 7 failed: pg_dump: connection refused")
        s = start_session(catalog, profile, repo, repository_checklist(profile, repo, load_checklists()))
        for step in ("server-up", "globals", "dump", "list"):
            assert run_step_command(s, step, repo, storage_root=profile.storage_root) == 0, s.state(step).output
        dump = profile.storage_root / ".manual" / f"pg-s{s.id}" / f"{db}.dump"
        for step in s.steps:
            if step.required:
                s.tick(step.id, evidence=str(dump.stat().st_size) if step.evidence else None)
        s.finish()
        outcome = register_files(profile, catalog, s.id, [str(dump), str(dump.parent / "globals.sql")])
        assert outcome.state == "good", outcome.message
        checks = catalog.last_verifications([outcome.run_id])[outcome.run_id].checks
        assert any(c["name"] == f"restore {db}" and c["ok"] for c in checks), checks
        assert catalog.manual_required_since("pg") is None


def test_a_compressed_manual_archive_is_checked_for_what_is_inside(tmp_path):
    """The shipped config checklist writes `tar | zstd`: the part holds the tar, so the tar is checked."""
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "fstab").write_text("/dev/sda1 / ext4 defaults 0 1\n")
    profile = profile_with(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./etc}, verify: restore}")
    repo = profile.repositories[0]
    with Catalog(profile.catalog_path) as catalog:
        s = start_session(catalog, profile, repo, repository_checklist(profile, repo, load_checklists()))
        assert run_step_command(s, "etc", repo, storage_root=profile.storage_root) == 0, s.state("etc").output
        for step in s.steps:
            s.tick(step.id, evidence="x" if step.evidence else None)
        s.finish()
        made = profile.storage_root / ".manual" / f"cfg-s{s.id}" / "cfg.tar.zst"
        outcome = register_files(profile, catalog, s.id, [str(made)])
        assert outcome.state == "good", outcome.message
        assert [p["file"] for p in json.loads(open(outcome.manifest).read())["parts"]] == ["cfg.tar.zst",
                                                                                              "audit-log.jsonl.zst"]
        checks = catalog.last_verifications([outcome.run_id])[outcome.run_id].checks
        assert any(c["name"] == "archive cfg.tar.zst" and c["ok"] for c in checks), checks


def test_every_kind_of_manual_file_gets_the_checks_that_fit_what_it_holds(tmp_path):
    """A config session's several files: the tar is checked as an archive, plain text by checksum only,
    and a SQLite file, a git bundle and a pg_dump are named so their drivers' checks apply."""
    import sqlite3
    import subprocess

    from dse_tui.core.sessions.register import part_name

    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a").write_text("a")
    subprocess.run(["tar", "-C", str(tmp_path), "-cf", str(tmp_path / "etc-backup.tar"), "tree"], check=True)
    (tmp_path / "packages.txt").write_text("bash install\n")
    sqlite3.connect(tmp_path / "app.db").execute("create table t (x)").connection.commit()
    subprocess.run(["git", "init", "-q", str(tmp_path / "g")], check=True)
    subprocess.run(["git", "-C", str(tmp_path / "g"), "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q",
                    "--allow-empty", "-m", "x"], check=True)
    subprocess.run(["git", "-C", str(tmp_path / "g"), "bundle", "create", "-q", str(tmp_path / "g.pack"), "--all"],
                   check=True)
    (tmp_path / "db.dump").write_bytes(b"PGDMP\x01\x0e\x00" + b"\0" * 600)
    names = {f: part_name("files", tmp_path / f) for f in ("etc-backup.tar", "packages.txt", "app.db", "g.pack",
                                                            "db.dump", "tree")}
    assert names == {"etc-backup.tar": "etc-backup.tar.zst", "packages.txt": "packages.txt.zst",
                     "app.db": "app.sqlite.zst", "g.pack": "g.bundle.zst", "db.dump": "db.pgdump.zst",
                     "tree": "tree.tar.zst"}
    profile = profile_with(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./tree}, verify: restore}")
    repo = profile.repositories[0]
    with Catalog(profile.catalog_path) as catalog:
        s = start_session(catalog, profile, repo, repository_checklist(profile, repo, load_checklists()))
        for step in s.steps:
            s.tick(step.id, evidence="x" if step.evidence else None)
        s.finish()
        outcome = register_files(profile, catalog, s.id, [str(tmp_path / "etc-backup.tar"),
                                                          str(tmp_path / "packages.txt")])
        assert outcome.state == "good", outcome.message
        checks = [c["name"] for c in catalog.last_verifications([outcome.run_id])[outcome.run_id].checks]
        assert "archive etc-backup.tar.zst" in checks and not any("packages.txt" in c and "archive" in c
                                                                   for c in checks)


def test_a_note_written_while_the_command_runs_is_kept(site):
    """The running command saves its output every second; the operator's note on that step must survive it."""
    profile, catalog, checklist = site
    repo = profile.repositories[0]
    s = start_session(catalog, profile, repo, checklist)
    go = profile.storage_root.parent / f"go-{s.id}"  # the command goes on only once the note is written
    with_command(s, "first", f"echo at-work; while [ ! -e {go} ]; do sleep 0.05; done; echo b")
    t = threading.Thread(target=run_step_command, args=(s, "first", repo),
                         kwargs={"storage_root": profile.storage_root})
    t.start()

    def saving() -> bool:
        with Catalog(profile.catalog_path) as other:
            row = other.session(s.id).step_rows.get("first")
            return row is not None and "at-work\n" in (row.output or "")

    wait_until(saving, what="the command's first output to be saved")
    with Catalog(profile.catalog_path) as other:  # the console's own connection
        console = Session.load(other, s.id)
        console.set_note("first", "tape DSE007L6 in drive 2")
        console.set_evidence("count", "77")
    go.touch()
    t.join(120)
    row = catalog.session(s.id).step_rows
    assert row["first"].note == "tape DSE007L6 in drive 2" and "b" in row["first"].output
    assert row["first"].exit_status == 0 and row["count"].evidence == "77"


def test_a_session_ended_by_another_console_refuses_changes_and_no_false_event(site):
    profile, catalog, checklist = site
    s = start_session(catalog, profile, profile.repositories[0], checklist)
    s.tick("first")
    with Catalog(profile.catalog_path) as other:
        Session.load(other, s.id).abandon("taken over by the night shift")
    with pytest.raises(SessionError, match="meanwhile"):
        s.tick("make")
    assert s.row.state == "abandoned"
    with pytest.raises(SessionError):
        s.finish()
    assert catalog.session(s.id).step_rows.get("make") is None
    assert not any(e["action"] == "session finished" for e in catalog.events(100))


def test_a_step_undone_elsewhere_is_seen_before_finishing(site):
    profile, catalog, checklist = site
    s = start_session(catalog, profile, profile.repositories[0], checklist)
    for step in ("first", "make"):
        s.tick(step)
    s.tick("count", "3")
    with Catalog(profile.catalog_path) as other:
        Session.load(other, s.id).untick("make")
    with pytest.raises(SessionError, match="make"):
        s.finish()


def test_the_command_record_is_completed_when_the_screen_is_gone(site):
    """The console quit while the command ran: showing the output fails, the record must not."""
    profile, catalog, checklist = site
    repo = profile.repositories[0]
    s = start_session(catalog, profile, repo, checklist)
    calls = []

    def gone(text):
        calls.append(text)
        raise RuntimeError("App is not running")

    assert run_step_command(s, "first", repo, on_output=gone, storage_root=profile.storage_root) == 3
    row = catalog.session(s.id).step_rows["first"]
    assert row.exit_status == 3 and "hello-from-step" in row.output and len(calls) > 1


def test_a_manual_backup_without_a_backup_of_the_drivers_kind_is_refused(site, tmp_path):
    profile, catalog, checklist = site
    s = start_session(catalog, profile, profile.repositories[0], checklist)
    for step in ("first", "make"):
        s.tick(step)
    s.tick("count", "3")
    s.finish()
    notes = tmp_path / "notes.txt"
    notes.write_text("the server was down, no archive made\n")
    with pytest.raises(SessionError, match="none of these is a tar archive"):
        register_files(profile, catalog, s.id, [str(notes)])
    assert catalog.session_runs(s.id) == []


def test_a_command_with_a_lone_brace_or_an_unknown_placeholder_is_a_checklist_error(tmp_path):
    from dse_tui.core.sessions.checklists import load_checklist

    bad = tmp_path / "bad.yaml"
    bad.write_text("title: T\nkind: config\nsteps:\n  - id: a\n    text: A\n"
                   "    command: find {path} -name '*.conf' -exec ls {} \\;\n"
                   "  - id: b\n    text: B\n    command: ls {folder}\n")
    with pytest.raises(ConfigError) as err:
        load_checklist(bad)
    text = str(err.value)
    assert "bad.yaml:6" in text and "literal brace" in text
    assert "bad.yaml:9" in text and "unknown placeholder {folder}" in text
