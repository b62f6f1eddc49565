"""A session's step commands (run, cancelled, their output and what they leave running) and the registration
of its manual backup (core, no UI)."""

from __future__ import annotations

import json
import os
import threading

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.sessions.checklists import load_checklists, repository_checklist
from dse_tui.core.sessions.register import register_files
from dse_tui.core.sessions.command import run_step_command
from dse_tui.core.sessions.machine import Session, SessionError, start_session
from tests.conftest import wait_until
from tests.engine_helpers import profile_with
from tests.session_helpers import site  # noqa: F401 (a fixture)


def with_command(session, step_id: str, command: str) -> None:
    """The session's step `step_id` with another command (as a site's own checklist might say)."""
    from dataclasses import replace

    session.steps = tuple(replace(step, command=command) if step.id == step_id else step for step in session.steps)


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
