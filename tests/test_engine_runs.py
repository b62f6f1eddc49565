"""The backup engine's runs on local sources: failures anywhere in the pipeline, one run per repository at a
time, cancel, progress, timeouts, a killed run, a full disk, parallel runs and the `run` command."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.drivers.base import BackupContext, BackupError
from dse_tui.core.engine.locks import RepoLock
from dse_tui.core.engine.runner import run_repository
from dse_tui.core.engine.pipeline import Stage
from dse_tui.core.engine.locks import lock_holder
from tests.conftest import ROOT, wait_until
from tests.engine_helpers import make_tree, profile_with, slow_profile


def test_missing_source_is_reported_and_the_other_repositories_go_on(tmp_path):
    make_tree(tmp_path / "www")
    body = ("{id: gone, kind: web, driver: files, source: {path: ./nowhere}}\n"
            "  - {id: here, kind: web, driver: files, source: {path: ./www}}")
    profile = profile_with(tmp_path, body)
    from dse_tui.core.engine.batch import run_many

    gone, here = run_many(profile, list(profile.repositories))
    assert gone.state == "failed" and "does not exist" in gone.message
    assert here.state == "good"


def test_any_non_zero_exit_in_the_pipeline_fails_the_part(tmp_path):
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: .}}")
    ctx = BackupContext(profile, profile.repository("w"), tmp_path, threading.Event())
    with pytest.raises(BackupError, match="sh exited with status 3: half a dump"):
        ctx.part("x.zst", [Stage(["sh", "-c", "echo data; echo half a dump >&2; exit 3"])])
    with pytest.raises(BackupError, match="the dump is empty where data was expected"):
        ctx.part("y.zst", [Stage(["true"])])


def test_first_stage_failing_makes_a_failed_run_with_its_stderr_kept(tmp_path):
    profile = profile_with(tmp_path, "{id: p, kind: database, driver: postgresql, source: "
                                     "{host: 127.0.0.1, port: 1, databases: [x], globals: false}}")
    outcome = run_repository(profile, profile.repository("p"))
    assert outcome.state == "failed" and outcome.message.startswith("x.pgdump.zst: psql exited with status 2")
    with Catalog(profile.catalog_path) as catalog:
        run = catalog.run(outcome.run_id)
        assert run.state == "failed" and run.artifact is None
        assert "psql (exit 2)" in catalog.run_log(outcome.run_id)
    assert list((tmp_path / "backups" / "p").iterdir()) == []


def test_a_second_run_of_the_same_repository_is_refused(tmp_path):
    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    with RepoLock(profile.storage_root, "w"):
        outcome = run_repository(profile, profile.repository("w"))
        assert outcome.state == "already-running" and "already running" in outcome.message
        result = subprocess.run([sys.executable, "-m", "dse_tui", "run", "w", "--profile", str(profile.file)],
                                capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 1 and "already running" in result.stdout
    assert run_repository(profile, profile.repository("w")).state == "good"


def test_cancel_stops_the_pipeline_and_records_cancelled(tmp_path):
    profile = slow_profile(tmp_path)
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    outcome = run_repository(profile, profile.repository("big"), cancel=cancel)
    assert outcome.state == "cancelled" and time.monotonic() - started < 10
    assert list((tmp_path / "backups" / "big").iterdir()) == []
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.run(outcome.run_id).state == "cancelled"


def test_progress_reports_bytes_and_the_size_to_expect(tmp_path):
    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    first, second = [], []
    done = run_repository(profile, profile.repository("w"), on_progress=first.append)
    run_repository(profile, profile.repository("w"), on_progress=second.append)
    assert first[-1].written == done.size and first[-1].expected is None
    assert second[-1].expected == done.size  # the last good run's size gives the ETA


def test_timeout_fails_the_run(tmp_path):
    profile = slow_profile(tmp_path, timeout="1s")
    outcome = run_repository(profile, profile.repository("big"))
    assert outcome.state == "failed" and outcome.message.startswith("timed out after 0:00:01")


def test_a_killed_run_leaves_nothing_that_looks_good(tmp_path):
    profile = slow_profile(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "dse_tui", "run", "big", "--profile", str(profile.file)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    repo_dir = tmp_path / "backups" / "big"
    # Killed while its part is being written (bytes on disk under the temporary name).
    wait_until(lambda: any(f.stat().st_size > 0 for f in repo_dir.glob(".tmp-*/*.zst")), what="the part to grow")
    proc.kill()
    proc.wait()
    leftovers = [p.name for p in repo_dir.iterdir()]
    assert leftovers and all(name.startswith(".tmp-") for name in leftovers), leftovers
    with Catalog(profile.catalog_path) as catalog:
        (run,) = catalog.recent_runs("big")
        assert run.state == "running"
    # The next run cleans up: the stale temporary goes, the dead run is marked failed, never good.
    (tmp_path / "big" / "sparse.img").unlink()
    (tmp_path / "big" / "small.txt").write_text("small")
    outcome = run_repository(profile, profile.repository("big"))
    assert outcome.state == "good"
    assert [p.name for p in repo_dir.iterdir()] == [Path(outcome.artifact).name]
    with Catalog(profile.catalog_path) as catalog:
        states = [r.state for r in catalog.recent_runs("big")]
        assert states == ["good", "failed"]
        assert "interrupted" in catalog.recent_runs("big")[1].message


def test_run_json_and_exit_status(tmp_path):
    make_tree(tmp_path / "www")
    body = ("{id: ok, kind: web, driver: files, source: {path: ./www}}\n"
            "  - {id: bad, kind: web, driver: files, source: {path: ./nowhere}}")
    profile = profile_with(tmp_path, body)
    result = subprocess.run([sys.executable, "-m", "dse_tui", "run", "--all", "--json", "--profile",
                             str(profile.file)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    rows = json.loads(result.stdout)
    assert [r["repository"] for r in rows] == ["ok", "bad"]
    good = rows[0]
    assert good["state"] == "good" and Path(good["artifact"]).is_dir() and Path(good["manifest"]).is_file()
    assert good["sha256"] == hashlib.sha256(Path(good["manifest"]).read_bytes()).hexdigest()
    parts = json.loads(Path(good["manifest"]).read_text())["parts"]
    assert good["size"] == sum(p["size"] for p in parts if p["file"] != "audit-log.jsonl.zst"), "the data's size"
    assert rows[1]["state"] == "failed" and rows[1]["artifact"] is None
    only_good = subprocess.run([sys.executable, "-m", "dse_tui", "run", "ok", "--json", "--profile",
                                str(profile.file)], capture_output=True, text=True, cwd=ROOT)
    # Good, but on none of the two distinct devices asked for: cron gets a code of its own to alert on.
    assert only_good.returncode == 4 and [r["stored"] for r in json.loads(only_good.stdout)] == [False]
    assert "not stored on enough distinct devices" in only_good.stderr
    stored = profile_with(tmp_path, "{id: ok, kind: web, driver: files, source: {path: ./www}, copies: 1, "
                                    "destinations: [shelf]}", "destinations:\n  - {id: shelf, kind: directory, "
                                    "path: ./shelf}")
    (tmp_path / "shelf").mkdir()
    result = subprocess.run([sys.executable, "-m", "dse_tui", "run", "ok", "--json", "--profile", str(stored.file)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and [r["stored"] for r in json.loads(result.stdout)] == [True], result.stderr


def test_run_without_arguments_runs_what_is_pending(tmp_path):
    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    first = subprocess.run([sys.executable, "-m", "dse_tui", "run", "--json", "--profile", str(profile.file)],
                           capture_output=True, text=True, cwd=ROOT)
    assert [r["repository"] for r in json.loads(first.stdout)] == ["w"]
    second = subprocess.run([sys.executable, "-m", "dse_tui", "run", "--due", "--json", "--profile",
                             str(profile.file)], capture_output=True, text=True, cwd=ROOT)
    assert second.returncode == 0 and json.loads(second.stdout) == []


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs: a real full disk for the storage root."""
    mount = tmp_path / "small"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)])


def test_a_full_disk_fails_the_run_with_what_to_do_and_leaves_nothing(tmp_path, small_disk):
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "noise.bin").write_bytes(os.urandom(4 * 1024 * 1024))
    body = f"""\
site: {{id: t, name: Test}}
storage: {{root: {small_disk}, catalog: {tmp_path}/catalog.sqlite, parallel: 1}}
repositories:
  - {{id: w, kind: web, driver: files, source: {{path: {tmp_path}/www}}}}
  - {{id: small, kind: config, driver: files, source: {{path: {tmp_path}/tiny}}}}
"""
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "a.conf").write_text("a = 1\n")
    from dse_tui.core.engine.batch import run_many
    from tests.conftest import write_profile
    from dse_tui.core.profile.config import load_profile

    profile = load_profile(write_profile(tmp_path / "p", body))
    big, small = run_many(profile, list(profile.repositories))
    assert big.state == "failed"
    assert big.message == f"the disk under {small_disk} is full: free space or move storage.root"
    assert small.state == "good"  # the rest goes on
    assert [p.name for p in (small_disk / "w").iterdir()] == []


def test_runs_of_different_repositories_go_in_parallel_up_to_the_limit(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        with open(tmp_path / name / "sparse.img", "wb") as f:
            f.truncate(1024**3)
    repos = "\n".join(f"  - {{id: {n}, kind: config, driver: files, source: {{path: ./{n}}}}}" for n in "abc")
    from dse_tui.core.engine.batch import run_many
    from tests.conftest import write_profile
    from dse_tui.core.profile.config import load_profile

    profile = load_profile(write_profile(tmp_path, "site: {id: t, name: T}\nstorage: {root: ./backups, "
                                                   "catalog: ./c.sqlite, parallel: 2}\nrepositories:\n" + repos))
    outcomes = run_many(profile, list(profile.repositories))
    assert [o.state for o in outcomes] == ["good"] * 3
    with Catalog(profile.catalog_path) as catalog:
        spans = sorted((r.started_at, r.ended_at) for n in "abc" for r in catalog.recent_runs(n))
    overlapping = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert overlapping == 2


def test_a_run_killed_after_its_rename_is_not_left_as_an_orphan(tmp_path):
    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    with Catalog(profile.catalog_path) as catalog:  # as if killed between the rename and the catalog update
        dead = catalog.start_run("w")
    orphan = tmp_path / "backups" / "w" / f"20260101T000000Z-r{dead}"
    orphan.mkdir(parents=True)
    (orphan / "manifest.json").write_text("{}")
    outcome = run_repository(profile, profile.repository("w"))
    assert outcome.state == "good" and not orphan.exists()
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.run(dead).state == "failed"


def test_a_catalog_that_fails_mid_run_gives_a_failed_outcome_not_an_exception(tmp_path, monkeypatch):
    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Catalog, "finish_run", full)
    outcome = run_repository(profile, profile.repository("w"))
    assert outcome.state == "failed" and "database or disk is full" in outcome.message


def test_ctrl_c_cancels_the_cli_run(tmp_path):
    import signal

    profile = slow_profile(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "dse_tui", "run", "big", "--json", "--profile",
                             str(profile.file)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    # Once the run holds its repository's lock it is under way (a loaded machine may take seconds to get there).
    wait_until(lambda: lock_holder(profile.storage_root, "big") == proc.pid or proc.poll() is not None)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 1 and json.loads(out)[0]["state"] == "cancelled", "3 GiB were not read to the end"


@pytest.mark.parametrize("when", ["the driver's last bytes", "the read-back"])
def test_a_cancel_between_the_phases_cancels_the_run(tmp_path, when):
    """A ^C that comes as the driver finishes, or while its parts are read back (not stopped half way), is
    still a cancel: the run is recorded cancelled and leaves nothing, not a good run found by a verification
    that had nothing to stream and so never looked at the cancel."""
    from dse_tui.core import drivers
    from dse_tui.core.engine.outcome import READ_BACK

    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: www, kind: web, driver: files, source: {path: ./www}}")
    repo = profile.repository("www")
    cancel = threading.Event()

    def then_cancelled(ctx):
        drivers.get("files").backup(ctx)
        if when == "the driver's last bytes":
            cancel.set()

    def progress(p):
        if when == "the read-back" and p.phase == READ_BACK:
            cancel.set()

    outcome = run_repository(profile, repo, cancel=cancel, producer=then_cancelled, on_progress=progress)
    assert outcome.state == "cancelled" and outcome.artifact is None
    assert not [p for p in (profile.storage_root / "www").iterdir() if p.name != "locks"], "a cancelled run left files"
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.run(outcome.run_id).state == "cancelled"
