"""What verification means for a repository: manual-required set and cleared, the shrink rule held
until an operator accepts the run, site rules, and scheduled re-verification."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.config import load_profile
from dse_tui.core.engine.runner import run_repository
from dse_tui.core.engine.schedule import statuses
from dse_tui.core.common.timeutil import utcnow
from dse_tui.core.verification.runs import AcceptError, accept_run, due_runs
from tests.conftest import write_profile
from tests.engine_helpers import verify

import pytest


def site(tmp_path: Path, extra: str = "") -> object:
    (tmp_path / "www").mkdir(exist_ok=True)
    return load_profile(write_profile(tmp_path, f"""\
site: {{id: t, name: Test}}
storage: {{root: ./backups, catalog: ./catalog.sqlite}}
repositories:
  - id: w
    kind: web
    driver: files
    source: {{path: ./www}}
{extra}"""))


def state(profile) -> tuple[str, str | None]:
    with Catalog(profile.catalog_path) as catalog:
        s = statuses(profile, catalog, utcnow())[0]
    return s.state, s.reason


def fill(tmp_path: Path, size: int) -> None:
    (tmp_path / "www" / "data.bin").write_bytes(os.urandom(size))


def test_a_failed_verification_requires_a_manual_backup_until_a_later_run_verifies(tmp_path):
    profile = site(tmp_path)
    fill(tmp_path, 100_000)
    first = run_repository(profile, profile.repository("w"))
    assert state(profile)[0] == "ok"
    part = Path(first.artifact) / "w.tar.zst"
    part.write_bytes(part.read_bytes()[:-10])
    assert verify(profile, first.run_id, "checksum").outcome == "failed"
    current, reason = state(profile)
    assert current == "manual-required" and f"run {first.run_id} failed verification" in reason
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.run(first.run_id).state == "failed", "a damaged run stops counting as a backup"
    # Re-reading an older run proves nothing: only a later run clears the state.
    second = run_repository(profile, profile.repository("w"))
    assert second.state == "good" and state(profile) == ("ok", None)


def test_a_failed_run_requires_a_manual_backup(tmp_path):
    profile = site(tmp_path)
    (tmp_path / "www").rmdir()
    outcome = run_repository(profile, profile.repository("w"))
    assert outcome.state == "failed"
    current, reason = state(profile)
    assert current == "manual-required" and "does not exist" in reason


def test_a_shrunk_run_is_held_until_accepted_with_a_reason(tmp_path):
    profile = site(tmp_path)
    for _ in range(3):
        fill(tmp_path, 200_000)
        assert run_repository(profile, profile.repository("w")).state == "good"
    fill(tmp_path, 20_000)
    held = run_repository(profile, profile.repository("w"))
    assert held.state == "failed" and "shrink" in held.message and "under 50% of the median" in held.message
    assert Path(held.artifact).is_dir(), "the held run is kept, to be accepted"
    assert state(profile)[0] == "manual-required"
    with Catalog(profile.catalog_path) as catalog:
        run = catalog.run(held.run_id)
        with pytest.raises(AcceptError, match="reason is required"):
            accept_run(catalog, run, "  ")
        accept_run(catalog, run, "old files archived to the library on purpose")
        assert catalog.run(held.run_id).state == "good"
        assert catalog.acknowledged(held.run_id).startswith("old files archived")
        events = [e["action"] for e in catalog.events()]
    assert "run accepted" in events
    assert state(profile) == ("ok", None)
    # Re-verified later, the accepted run passes the rule it was accepted under.
    result = verify(profile, held.run_id, "checksum")
    assert result.outcome == "passed"
    assert "accepted: old files archived" in next(c.detail for c in result.checks if c.name == "shrink")


def test_a_damaged_run_cannot_be_accepted(tmp_path):
    profile = site(tmp_path)
    fill(tmp_path, 10_000)
    outcome = run_repository(profile, profile.repository("w"))
    (Path(outcome.artifact) / "w.tar.zst").write_bytes(b"x")
    verify(profile, outcome.run_id, "checksum")
    with Catalog(profile.catalog_path) as catalog:
        with pytest.raises(AcceptError, match="not held back by the shrink rule"):
            accept_run(catalog, catalog.run(outcome.run_id), "looks fine to me")


def test_site_rules_min_size_and_required_names(tmp_path):
    profile = site(tmp_path, "    rules: {min_size: 1M, require: [data.bin, 'docs/*.pdf']}\n")
    fill(tmp_path, 10_000)
    outcome = run_repository(profile, profile.repository("w"))
    assert outcome.state == "failed"
    with Catalog(profile.catalog_path) as catalog:
        checks = {c["name"]: c for c in catalog.verifications(outcome.run_id)[0].checks}
    assert not checks["min_size"]["ok"] and "at least 1.0 MiB required" in checks["min_size"]["detail"]
    assert not checks["require"]["ok"] and checks["require"]["detail"] == "missing: docs/*.pdf"


def test_scheduled_reverification_is_due_after_verify_every(tmp_path):
    profile = site(tmp_path, "    verify_every: 1w\n")
    fill(tmp_path, 10_000)
    outcome = run_repository(profile, profile.repository("w"))
    with Catalog(profile.catalog_path) as catalog:
        assert due_runs(profile, catalog, utcnow() + timedelta(days=6)) == []
        due = due_runs(profile, catalog, utcnow() + timedelta(days=7, minutes=1))
        assert [r.id for r in due] == [outcome.run_id]


def test_restore_level_after_every_run_when_the_profile_asks(tmp_path):
    profile = site(tmp_path, "    verify: restore\n")
    fill(tmp_path, 10_000)
    outcome = run_repository(profile, profile.repository("w"))
    assert outcome.state == "good"
    with Catalog(profile.catalog_path) as catalog:
        names = [c["name"] for c in catalog.verifications(outcome.run_id)[0].checks]
    assert "files w.tar.zst" in names and "listing w.tar.zst" in names


def test_verify_cli_exit_status_and_json(tmp_path, capsys):
    import json

    from dse_tui.cli import main

    profile = site(tmp_path)
    fill(tmp_path, 10_000)
    outcome = run_repository(profile, profile.repository("w"))
    assert main(["verify", "w", "--level", "structure", "--json", "--profile", str(profile.file)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["outcome"] == "passed" and out[0]["run_id"] == outcome.run_id and out[0]["level"] == "structure"
    (Path(outcome.artifact) / "w.tar.zst").write_bytes(b"broken")
    assert main(["verify", "--run", str(outcome.run_id), "--profile", str(profile.file)]) == 1
    captured = capsys.readouterr()
    assert "FAIL checksum w.tar.zst" in captured.out and "did not pass" in captured.err
    assert main(["verify", "--profile", str(profile.file)]) == 0
    assert "nothing is due" in capsys.readouterr().out
    assert main(["verify", "nope", "--profile", str(profile.file)]) == 3


def test_a_held_run_is_pruned_once_a_later_run_is_good(tmp_path):
    profile = site(tmp_path, "    rules: {min_size: 50K}\n")
    fill(tmp_path, 1_000)
    held = run_repository(profile, profile.repository("w"))
    assert held.state == "failed" and Path(held.artifact).is_dir()
    fill(tmp_path, 100_000)
    assert run_repository(profile, profile.repository("w")).state == "good"
    assert not Path(held.artifact).exists(), "retention removes the held run once a later run is good"
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.is_pruned(held.run_id)
        assert catalog.verifications(held.run_id)[0].outcome == "failed", "its record stays"


def test_a_second_failure_keeps_the_time_the_state_was_first_set(tmp_path):
    from datetime import datetime, timezone

    profile = site(tmp_path)
    first = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with Catalog(profile.catalog_path) as catalog:
        catalog.set_manual_required("w", "run 1 failed", at=first)
        catalog.set_manual_required("w", "run 2 failed", at=first + timedelta(days=1))
        assert catalog.manual_required_since("w") == first
        assert catalog.last_status()["w"].manual_required_reason == "run 2 failed"
        catalog.set_manual_required("w", None)
        assert catalog.manual_required_since("w") is None


def test_sizes_and_the_shrink_rule_count_the_data_not_the_runs_audit_log(tmp_path):
    """Issue 17: a small repository emptied passed the shrink rule because the run's audit-log part (which
    grows with the event log) was counted as backup size."""
    import json

    profile = site(tmp_path)
    for _ in range(3):
        fill(tmp_path, 1_000)  # a small database: its audit-log part weighs more than its data
        good = run_repository(profile, profile.repository("w"))
        assert good.state == "good", good.message
    manifest = json.loads(Path(good.manifest).read_text())
    data = [p["size"] for p in manifest["parts"] if p["file"] == "w.tar.zst"]
    assert good.size == manifest["data_size"] == sum(data) < manifest["size"]
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.run(good.run_id).size == sum(data), "the dashboard's Size is the data's"
    (tmp_path / "www" / "data.bin").write_bytes(b"")
    emptied = run_repository(profile, profile.repository("w"))
    assert emptied.state == "failed" and "shrink" in emptied.message, emptied.message


def test_a_damaged_run_verified_twice_at_once_is_failed_once_and_nothing_crashes(tmp_path, capsys):
    """Two verifications of one damaged run (the console's and cron's, or --run named twice): the second
    finds the run already failed; that is no error of the life cycle."""
    from dse_tui.cli import main

    profile = site(tmp_path)
    fill(tmp_path, 10_000)
    outcome = run_repository(profile, profile.repository("w"))
    part = Path(outcome.artifact) / "w.tar.zst"
    part.write_bytes(part.read_bytes()[:-10])
    code = main(["verify", "--run", str(outcome.run_id), "--run", str(outcome.run_id), "--level", "checksum",
                 "--profile", str(profile.file)])
    err = capsys.readouterr().err
    assert code == 1 and "internal error" not in err, err
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.run(outcome.run_id).state == "failed"


def test_a_tool_missing_at_verification_says_nothing_of_the_run(tmp_path, monkeypatch):
    """zstd uninstalled since the run: the structure check cannot be made, which is no verdict on the backup
    (inconclusive: the run stays good, no manual backup is asked for)."""
    profile = site(tmp_path)
    fill(tmp_path, 100_000)
    first = run_repository(profile, profile.repository("w"))
    assert first.state == "good"
    bare = tmp_path / "bin-without-zstd"
    bare.mkdir()
    for tool in ("tar", "sha256sum"):  # what else a verification may call, but not zstd
        os.symlink(f"/usr/bin/{tool}", bare / tool)
    monkeypatch.setenv("PATH", str(bare))
    outcome = verify(profile, first.run_id, "structure")
    assert outcome.outcome == "inconclusive", [(c.name, c.detail) for c in outcome.checks]
    assert any("zstd is not installed" in c.detail for c in outcome.checks)
    monkeypatch.undo()
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.run(first.run_id).state == "good"
    assert state(profile)[0] == "ok"
