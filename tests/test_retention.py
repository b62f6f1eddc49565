"""Grandfather-father-son retention keeps what it must, and pruning removes only the rest."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from dse_tui.core.catalog import Catalog, Run
from dse_tui.core.engine.retention import plan
from dse_tui.core.engine.runner import run_repository
from tests.conftest import ROOT
from tests.engine_helpers import profile_with


def fake_runs(count: int, every: timedelta, end: datetime) -> list[Run]:
    return [Run(i + 1, "r", end - every * (count - 1 - i), None, "good", "auto", None, 10, None, f"/x/{i}", None,
                None) for i in range(count)]


def repo_with(tmp_path, retention: str, copies: int = 0):
    profile = profile_with(tmp_path, f"{{id: r, kind: config, driver: files, source: {{path: ./src}}, "
                                     f"copies: {copies}, retention: {retention}}}")
    return profile, profile.repository("r")


def test_gfs_keeps_the_newest_of_each_day_week_month(tmp_path):
    _, repo = repo_with(tmp_path, "{daily: 7, weekly: 4, monthly: 3, yearly: 0}")
    end = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)
    runs = fake_runs(120, timedelta(days=1), end)  # one a day for 120 days
    kept = {d.run.started_at.date(): [str(r) for r in d.reasons] for d in plan(repo, runs, {}) if d.keep}
    days = sorted(kept)
    assert days[-7:] == [(end - timedelta(days=i)).date() for i in range(6, -1, -1)]
    assert "daily" in kept[end.date()] and "last good run" in kept[end.date()]
    weekly = [d for d, why in kept.items() if "weekly" in why]
    assert len(weekly) == 4 and all(d.isoweekday() == 7 or d == end.date() for d in weekly)
    monthly = sorted(d for d, why in kept.items() if "monthly" in why)
    assert monthly == [datetime(2026, 9, 30).date(), datetime(2026, 10, 31).date(), end.date()]
    assert len(kept) == len(set(days)) < 120


def test_a_run_without_its_copies_and_the_last_good_run_are_always_kept(tmp_path):
    _, repo = repo_with(tmp_path, "{daily: 0, weekly: 0, monthly: 0, yearly: 0}", copies=2)
    runs = fake_runs(5, timedelta(days=1), datetime(2026, 11, 25, tzinfo=timezone.utc))
    decisions = {d.run.id: d for d in plan(repo, runs, {1: 2, 2: 2, 3: 1, 4: 2, 5: 2})}
    assert [i for i, d in decisions.items() if d.keep] == [5, 3]
    assert [str(r) for r in decisions[5].reasons] == ["last good run"]
    assert [str(r) for r in decisions[3].reasons] == ["1 of 2 copies"]


def test_runs_prune_what_retention_does_not_keep(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    profile, repo = repo_with(tmp_path, "{daily: 1, weekly: 0, monthly: 0, yearly: 0}")
    outcomes = [run_repository(profile, repo) for _ in range(3)]
    assert [o.state for o in outcomes] == ["good"] * 3
    on_disk = sorted(p.name for p in (tmp_path / "backups" / "r").iterdir())
    assert on_disk == [Path(outcomes[-1].artifact).name]
    with Catalog(profile.catalog_path) as catalog:
        assert [r.id for r in catalog.prunable_runs("r")] == [outcomes[-1].run_id]
        assert catalog.run(outcomes[0].run_id).state == "good"  # the record stays; the artifact went
        events = [e["action"] for e in catalog.events()]
        assert events.count("run pruned") == 2


def test_prune_dry_run_removes_nothing(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    profile, repo = repo_with(tmp_path, "{daily: 1, weekly: 0, monthly: 0, yearly: 0}", copies=2)
    for _ in range(2):
        run_repository(profile, repo)  # copies: 2 and none made: nothing may go
    assert len(list((tmp_path / "backups" / "r").iterdir())) == 2
    text = profile.file.read_text().replace("copies: 2", "copies: 0")
    profile.file.write_text(text)
    dry = subprocess.run([sys.executable, "-m", "dse_tui", "prune", "--dry-run", "--profile", str(profile.file)],
                         capture_output=True, text=True, cwd=ROOT)
    assert dry.returncode == 0 and dry.stdout.splitlines()[1].startswith("would remove")
    assert len(list((tmp_path / "backups" / "r").iterdir())) == 2
    real = subprocess.run([sys.executable, "-m", "dse_tui", "prune", "--profile", str(profile.file)],
                          capture_output=True, text=True, cwd=ROOT)
    assert real.returncode == 0 and "1 run removed" in real.stderr
    assert len(list((tmp_path / "backups" / "r").iterdir())) == 1


def test_copies_count_distinct_devices_and_prune_leaves_foreign_things_alone(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    profile, repo = repo_with(tmp_path, "{daily: 0, weekly: 0, monthly: 0, yearly: 0}", copies=2)
    first = run_repository(profile, repo)
    with Catalog(profile.catalog_path) as catalog:
        catalog.add_copy(first.run_id, "usb")
        catalog.add_copy(first.run_id, "usb")  # twice on one device is one copy
        assert catalog.verified_copies([first.run_id]) == {first.run_id: 1}
        assert catalog.last_status()["r"].copies == 1
        catalog.add_copy(first.run_id, "nas")
    target = Path(first.artifact)
    import shutil

    shutil.move(target, tmp_path / "elsewhere")
    target.symlink_to(tmp_path / "elsewhere")  # the artifact replaced by a link: not something to delete
    second = run_repository(profile, repo)  # its automatic pruning meets the link first
    assert second.state == "good" and (tmp_path / "elsewhere").is_dir()
    result = subprocess.run([sys.executable, "-m", "dse_tui", "prune", "--profile", str(profile.file)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "is not a run folder dse-tui made" in result.stdout and (tmp_path / "elsewhere").is_dir()
    assert Path(second.artifact).is_dir()


def test_a_pruned_run_takes_its_contents_index_and_a_kept_run_keeps_its_own(tmp_path):
    from dse_tui.core.engine.retention import prune
    from dse_tui.core.restore.contents_index import run_contents

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    profile, repo = repo_with(tmp_path, "{daily: 1, weekly: 0, monthly: 0, yearly: 0}")
    indexes = profile.storage_root / ".contents"

    def indexed(run_id: int) -> list[str]:
        with Catalog(profile.catalog_path) as catalog:
            run_contents(profile.storage_root, catalog.run(run_id))
        return sorted(p.name for p in indexes.iterdir() if p.name.startswith(f"r{run_id}-"))

    first = run_repository(profile, repo)
    assert indexed(first.run_id), "the index is made when the contents are first read"
    (indexes / f".r{first.run_id}-0123456789abcdef.idx.99.1").write_bytes(b"cut short")  # its writer died
    second = run_repository(profile, repo)  # prunes the first
    assert not list(indexes.glob(f"*r{first.run_id}-*")), "the pruned run's index, whole or half written"
    kept = indexed(second.run_id)
    # A console that read the first run's manifest just before it went writes its index after the prune.
    (indexes / kept[0].replace(f"r{second.run_id}-", f"r{first.run_id}-")).write_bytes(b"late")
    third = run_repository(profile, repo)
    assert sorted(p.name for p in indexes.iterdir()) == [], "the second's index and the late one of the first"
    own = indexed(third.run_id)
    with Catalog(profile.catalog_path) as catalog:
        decisions = prune(profile, catalog, repo)
    assert [d.keep for d in decisions] == [True]
    assert sorted(p.name for p in indexes.iterdir()) == own, "a kept run keeps its index"
