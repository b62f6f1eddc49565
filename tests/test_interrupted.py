"""Steps whose process was killed: `kill -9` of `dse-tui verify`, `copy` and `restore` (real processes of
the CLI, stopped in the middle of their work), and of a session's command. Each leaves its record running;
the next step, or the console, marks it interrupted with an event, and removes its scratch folder, found by
its lock and not by the pid in its name."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.destinations.copies import copy_pending
from dse_tui.core.restore.run import plan, restore
from tests.conftest import ROOT, fixed_clock
from tests.engine_helpers import profile_with, verify
from tests.copy_helpers import site
from tests.catalog_backend import sqlite_only

INTERRUPTED = "interrupted: the process stopped before it finished"
WAIT = 120.0  # seconds a condition may take on a loaded machine before the test gives up
# A stuck tool that still ends with the dse-tui that ran it (in its own process group, it outlives a kill -9
# of its parent, as a real tool would until its pipe breaks): no process is left behind by the tests.
UNTIL_PARENT_DIES = "while kill -0 $PPID 2>/dev/null; do sleep 0.1; done\n"


def files_run(tmp_path: Path):
    from dse_tui.core.engine.runner import run_repository

    (tmp_path / "www").mkdir()
    for i in range(20):
        (tmp_path / "www" / f"page{i}.html").write_text(f"<p>page {i}</p>\n" * 50)
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    outcome = run_repository(profile, profile.repository("w"))
    assert outcome.state == "good", outcome.message
    return profile, outcome.run_id


def stuck_tool(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A fake `name` first on PATH that says it started, then never ends: the step that calls it is
    caught in the middle of its work, however slow or fast the machine is."""
    tools = tmp_path / "stuck-tools"
    tools.mkdir(exist_ok=True)
    started = tmp_path / f"{name}.started"
    script = tools / name
    script.write_text(f"#!/bin/sh\n: > '{started}'\n{UNTIL_PARENT_DIES}")
    script.chmod(0o755)
    return tools, started


def start_cli(profile, *args: str, tools: Path) -> subprocess.Popen:
    # The PYTHONPATH it had kept after ROOT: under DSE_TEST_CATALOG=postgresql it gives the child the test's catalog.
    env = {**os.environ, "PATH": f"{tools}:{os.environ['PATH']}",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-m", "dse_tui", *args, "--profile", str(profile.file)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


@contextmanager
def cli_stuck_in(tmp_path: Path, tool: str, profile, *args: str):
    """`dse-tui ARGS` at work, caught in `tool`; every process of it killed on the way out."""
    tools, started = stuck_tool(tmp_path, tool)
    proc = start_cli(profile, *args, tools=tools)
    try:
        wait_for(started.exists, f"dse-tui {args[0]} reaching {tool}", proc)
        yield proc
    finally:
        kill_group(proc)


def wait_for(condition, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the process ended (status {proc.returncode}) before {what}: {proc.stderr.read().decode()}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen in {WAIT} s")
        time.sleep(0.02)


def kill_9(proc: subprocess.Popen) -> None:
    """SIGKILL to the command alone, as `kill -9 PID` does; its stuck tool goes after the test."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    proc.stderr.close()


def interrupted_events(profile, action: str) -> list[dict]:
    with Catalog(profile.catalog_path) as catalog:
        return [json.loads(e["detail"]) for e in catalog.events(action=action) if e["outcome"] == "interrupted"]


def scratch_folders(profile) -> list[Path]:
    root = profile.storage_root / ".scratch"
    return [p for p in root.iterdir() if p.is_dir()] if root.is_dir() else []


# ------------------------------------------------------------------ kill -9 of the commands

def test_kill_9_of_verify_is_marked_interrupted_by_the_next_verification_of_the_run(tmp_path):
    profile, run_id = files_run(tmp_path)
    with cli_stuck_in(tmp_path, "zstd", profile, "verify", "w", "--level", "structure") as proc:
        kill_9(proc)  # reading the archive (through zstd) for the structure level
    with Catalog(profile.catalog_path) as catalog:
        (killed,) = [v for v in catalog.verifications(run_id) if v.trigger == "cli"]
        assert killed.outcome == "running", "the kill left it running"
    (abandoned,) = scratch_folders(profile)

    later = verify(profile, run_id, "checksum")
    assert later.outcome == "passed", later.checks
    with Catalog(profile.catalog_path) as catalog:
        now = next(v for v in catalog.verifications(run_id) if v.id == killed.id)
    assert (now.outcome, now.message) == ("interrupted", INTERRUPTED)
    assert now.ended_at is not None
    (event,) = interrupted_events(profile, "verification")
    assert event["verification_id"] == killed.id and event["run_id"] == run_id and event["message"] == INTERRUPTED
    assert not abandoned.exists(), "its scratch folder goes with the next verification"
    # Neither passed nor failed: the run stays good, nothing asks for a manual backup.
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.run(run_id).state == "good" and catalog.manual_required_since("w") is None


def test_kill_9_of_copy_is_marked_interrupted_by_the_next_copy(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, disc: cd}", "discs", copies=1)
    with cli_stuck_in(tmp_path, "xorriso", profile, "copy", "docs") as proc:
        kill_9(proc)  # making its disc image
    with Catalog(profile.catalog_path) as catalog:
        (killed,) = catalog.copies_of(run_id)
        assert killed.state == "copying", "the kill left it copying"

    with Catalog(profile.catalog_path) as catalog:
        (again,) = copy_pending(profile, catalog)
        assert again.state == "verified", again.message
        now = catalog.copy(killed.id)
        assert (now.state, now.message) == ("failed", INTERRUPTED)
        assert catalog.verified_copies([run_id]) == {run_id: 1}
    (event,) = interrupted_events(profile, "copy")
    assert event["copy_id"] == killed.id and event["destination"] == "discs" and event["message"] == INTERRUPTED


def test_kill_9_of_restore_is_marked_interrupted_by_the_next_restore(tmp_path):
    profile, run_id = files_run(tmp_path)
    with cli_stuck_in(tmp_path, "zstd", profile, "restore", str(run_id), "--to", str(tmp_path / "first")) as proc:
        kill_9(proc)  # reading the archive
    with Catalog(profile.catalog_path) as catalog:
        (killed,) = catalog.restores(run_id)
        assert killed.outcome == "running", "the kill left it running"

    with Catalog(profile.catalog_path) as catalog:
        done = restore(profile, catalog, plan(profile, catalog.run(run_id), str(tmp_path / "second")))
        assert done.outcome == "done", done.message
        now = next(r for r in catalog.restores(run_id) if r.id == killed.id)
    assert (now.outcome, now.message) == ("interrupted", INTERRUPTED) and now.ended_at is not None
    (event,) = interrupted_events(profile, "restore")
    assert event["restore_id"] == killed.id and event["target"] == str(tmp_path / "first")
    assert scratch_folders(profile) == []


def test_kill_9_of_a_session_command_is_marked_interrupted_in_its_output(tmp_path):
    """The console ran a checklist step's command and was killed: the step's record says so at its end."""
    from dse_tui.core.sessions.checklists import load_checklists, repository_checklist
    from dse_tui.core.sessions.machine import start_session

    profile, _ = files_run(tmp_path)
    repo = profile.repository("w")
    with Catalog(profile.catalog_path) as catalog:
        session = start_session(catalog, profile, repo, repository_checklist(profile, repo, load_checklists()))
        step = session.steps[0]  # its command, in the console's process, never ends
    started, pid_file = tmp_path / "command.started", tmp_path / "command.pid"
    program = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from dataclasses import replace
from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.config import load_profile
from dse_tui.core.sessions.command import run_step_command
from dse_tui.core.sessions.machine import Session
profile = load_profile({str(profile.file)!r})
with Catalog(profile.catalog_path) as catalog:
    session = Session.load(catalog, {session.id})
    session.steps = tuple(replace(s, command={f"echo $$ > {pid_file}; : > {started}; exec sleep 3600"!r})
                          if s.id == {step.id!r} else s for s in session.steps)
    run_step_command(session, {step.id!r}, profile.repository("w"), storage_root=profile.storage_root)
"""
    proc = subprocess.Popen([sys.executable, "-c", program], cwd=ROOT, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        wait_for(lambda: started.exists() and pid_file.exists() and pid_file.read_text().strip(),
                 "the command running", proc)
        kill_9(proc)
    finally:
        kill_group(proc)
        if pid_file.exists():  # the command is in a session of its own, as the console starts it
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
    with Catalog(profile.catalog_path) as catalog:
        before = catalog.step_row(session.id, step.id)
        assert before.exit_status is None and INTERRUPTED not in (before.output or "")
        (found,) = catalog.interrupt_dead_steps()  # what the console does when it loads
        after = catalog.step_row(session.id, step.id)
        assert catalog.interrupt_dead_steps() == [], "once"
    assert found.action == "session command" and found.repository == "w"
    assert after.output.endswith(f"[{INTERRUPTED}]\n") and after.exit_status is None
    (event,) = interrupted_events(profile, "session command")
    assert event == {"session_id": session.id, "step": step.id, "message": INTERRUPTED}


# ------------------------------------------------------------------ scratch found by lock

def test_a_dead_steps_scratch_goes_even_when_its_pid_is_alive_again(tmp_path):
    """A killed verification's scratch folder named by a pid that now belongs to a live process (here, this
    test's) is removed by the next verification; that of a verification still at work is not."""
    profile, run_id = files_run(tmp_path)
    with cli_stuck_in(tmp_path, "zstd", profile, "verify", "w", "--level", "structure"):
        (theirs,) = scratch_folders(profile)
        reused = profile.storage_root / ".scratch" / f"verify-r{run_id}-{os.getpid()}-0a1b2c"
        reused.mkdir()
        (reused / "decompressed.tar").write_bytes(b"left by a process killed mid-verification")
        assert verify(profile, run_id, "restore").outcome == "passed"
        assert not reused.exists()
        assert theirs.is_dir(), "the folder of a verification at work is never taken"


# ------------------------------------------------------------------ the rule

def step_row(profile, lock: str | None) -> tuple[int, int]:
    with Catalog(profile.catalog_path) as catalog:
        run_id = catalog.recent_runs("w", 1)[0].id
        marked = {"lock": lock} if lock else {}  # as a version without locks wrote them, when there is none
        return run_id, catalog.start_verification(run_id, "checksum", trigger="test", operator="jaa", **marked)


def outcome_of(profile, run_id: int, verification_id: int) -> str:
    with Catalog(profile.catalog_path) as catalog:
        return next(v.outcome for v in catalog.verifications(run_id) if v.id == verification_id)


def test_only_steps_surely_dead_on_this_host_are_interrupted(tmp_path):
    from dse_tui.core.engine.locks import _MINE, StepLock

    profile, _ = files_run(tmp_path)
    live = StepLock(profile.storage_root)
    dead = StepLock(profile.storage_root)
    dead_mark = dead.mark
    os.close(dead.fd)  # its process died: the kernel dropped the flock, the file stays
    dead.fd = None
    _MINE.discard(str(dead.path))  # and with the process, its memory of holding it
    gone = StepLock(profile.storage_root)
    gone_mark = gone.mark
    gone.release()  # died after its lock file went (or it was cleaned away)
    rows = {
        "live": step_row(profile, live.mark),
        "dead": step_row(profile, dead_mark),
        "gone": step_row(profile, gone_mark),
        "from before locks": step_row(profile, None),
        "another host": step_row(profile, f"not-{socket.gethostname()}:{dead_mark.partition(':')[2]}"),
        "storage not mounted": step_row(profile, f"{socket.gethostname()}:{tmp_path}/elsewhere/.locks/steps/x.lock"),
    }
    with Catalog(profile.catalog_path) as catalog:
        found = catalog.interrupt_dead_steps()
    try:
        assert {name: outcome_of(profile, *row) for name, row in rows.items()} == {
            "live": "running", "dead": "interrupted", "gone": "interrupted", "from before locks": "interrupted",
            "another host": "running", "storage not mounted": "running"}
        assert sorted(s.detail["verification_id"] for s in found) == sorted(
            rows[n][1] for n in ("dead", "gone", "from before locks"))
        assert not Path(dead_mark.partition(":")[2]).exists(), "a dead step's lock file is removed"
    finally:
        live.release()
    assert outcome_of(profile, *rows["live"]) == "running"
    with Catalog(profile.catalog_path) as catalog:
        catalog.interrupt_dead_steps()
    assert outcome_of(profile, *rows["live"]) == "interrupted", "once its process let go of the lock"


async def test_the_console_marks_a_dead_step_interrupted_when_it_loads(tmp_path):
    from dse_tui.ui.app import make_app

    profile, _ = files_run(tmp_path)
    run_id, verification_id = step_row(profile, None)
    app = make_app(profile.file, clock=fixed_clock)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        assert outcome_of(profile, run_id, verification_id) == "interrupted"


@sqlite_only  # builds a catalog of an old version by hand, as an SQLite file
def test_steps_left_running_before_the_upgrade_are_interrupted_after_it(tmp_path):
    """A catalog of the version before steps held locks, with one of each kind still running when the old
    version was killed: migrated, every record kept, and each interrupted once."""
    import sqlite3

    from dse_tui.core.catalog.backend import split_sql as _split_sql
    from dse_tui.core.catalog.migrations import MIGRATIONS

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    for version, script in enumerate(MIGRATIONS[:11], 1):
        for statement in _split_sql(script):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {version}")
    db.executescript("""
        INSERT INTO repositories(id, key) VALUES (1, 'w');
        INSERT INTO runs(id, repository_id, started_at, state) VALUES (1, 1, '2026-11-24T10:00:00Z', 'good');
        INSERT INTO verifications(id, run_id, level, started_at, outcome, operator)
            VALUES (1, 1, 'restore', '2026-11-24T10:01:00Z', 'running', 'jaa'),
                   (2, 1, 'checksum', '2026-11-24T09:00:00Z', 'passed', 'jaa');
        INSERT INTO restores(id, run_id, target, started_at, outcome) VALUES (1, 1, '/srv/x', '2026-11-24T11:00:00Z',
                                                                             'running');
        INSERT INTO copies(id, run_id, destination, copied_at, state) VALUES (1, 1, 'usb', '2026-11-24T12:00:00Z',
                                                                              'copying');
        INSERT INTO sessions(id, repository_id, checklist, operator, started_at, state)
            VALUES (1, 1, 'web', 'jaa', '2026-11-24T13:00:00Z', 'open');
        INSERT INTO session_steps(session_id, step_id, outcome, at, output, exit_status)
            VALUES (1, 'dump', 'pending', '2026-11-24T13:01:00Z', '$ pg_dump\n', NULL),
                   (1, 'list', 'done', '2026-11-24T13:02:00Z', '$ ls\n[exit status 0]\n', 0);
    """)
    db.close()
    with Catalog(path) as catalog:
        assert catalog.schema_version == len(MIGRATIONS)
        found = catalog.interrupt_dead_steps()
        assert sorted(s.action for s in found) == ["copy", "restore", "session command", "verification"]
        assert catalog.interrupt_dead_steps() == []
        assert [(v.id, v.outcome) for v in catalog.verifications(1)] == [(1, "interrupted"), (2, "passed")]
        assert catalog.restores(1)[0].outcome == "interrupted" and catalog.copy(1).state == "failed"
        assert catalog.step_row(1, "dump").output == f"$ pg_dump\n\n[{INTERRUPTED}]\n"
        assert catalog.step_row(1, "list").output == "$ ls\n[exit status 0]\n"


@pytest.mark.server
def test_kill_9_during_a_trial_restore_leaves_no_scratch_database_once_the_next_verification_comes(
        tmp_path, postgres_db):
    """The scratch database of a killed restore-level verification (gigabytes, on the production server)
    is dropped by the next verification, found through its dead owner's scratch folder."""
    from dse_tui.core.engine.runner import run_repository
    from tests.test_engine_databases import psql

    db = postgres_db["database"]
    psql(db, "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 1000);")
    profile = profile_with(tmp_path, f"{{id: pg, kind: database, driver: postgresql, verify: structure, source: "
                                     f"{{host: 127.0.0.1, port: 5432, user: postgres, databases: [{db}]}}}}")
    outcome = run_repository(profile, profile.repository("pg"))
    assert outcome.state == "good", outcome.message
    tools = tmp_path / "stuck-tools"
    tools.mkdir()
    started = tmp_path / "pg_restore.started"
    real = subprocess.run(["sh", "-c", "command -v pg_restore"], capture_output=True, text=True).stdout.strip()
    # pg_restore --list (the structure level) works; the trial restore into the scratch database never ends.
    (tools / "pg_restore").write_text(f"#!/bin/sh\ncase \"$*\" in *--list*) exec '{real}' \"$@\";; esac\n"
                                      f": > '{started}'\n{UNTIL_PARENT_DIES}")
    (tools / "pg_restore").chmod(0o755)

    def scratch_dbs() -> set[str]:
        return set(psql("postgres", f"SELECT datname FROM pg_database WHERE datname LIKE "
                                    f"'dse\\_verify\\_r{outcome.run_id}\\_%'").split())

    proc = start_cli(profile, "verify", "--run", str(outcome.run_id), "--level", "restore", tools=tools)
    try:
        wait_for(started.exists, "the trial restore to be under way", proc)
        left = scratch_dbs()
        assert len(left) == 1
    finally:
        kill_group(proc)
    try:
        assert scratch_dbs() == left, "killed: nothing dropped it"
        result = verify(profile, outcome.run_id, "restore")
        assert result.outcome == "passed"
        assert scratch_dbs() == set(), "the dead verification's scratch database was dropped"
    finally:  # whatever happened, the server is left as it was
        for name in scratch_dbs():
            psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_process_never_probes_its_own_step_locks(tmp_path, monkeypatch):
    """On NFS flock is emulated with POSIX locks, which belong to the process: a probe of our own lock would
    find it free (and, closing its fd, drop it), so the console would call its own live step interrupted."""
    from dse_tui.core.engine.locks import StepLock, lock_state, owner_gone

    lock = StepLock(tmp_path)
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda path, *a, **k: opened.append(str(path)) or real_open(path, *a, **k))
    assert lock_state(lock.path) == "held" and not owner_gone(lock.mark)
    assert str(lock.path) not in opened, "its own lock is known held, never opened to look"
    lock.release()
