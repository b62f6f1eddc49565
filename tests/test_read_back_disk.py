"""A read-back reads the disk, not the page cache: each file written, fsynced and then dropped from the
cache before it is hashed again (the run's parts and manifest, a copy's files, a copy re-read later)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.destinations import common as common_mod
from dse_tui.core.destinations.copies import copy_pending
from dse_tui.core.destinations.verify import verify_copy
from dse_tui.core.engine import readbehind, runner
from dse_tui.core.engine.runner import run_repository
from tests.cache_helpers import BehindReads, ResidencyAtRead, resident_pages
from tests.copy_helpers import site
from tests.engine_helpers import profile_with

SIZE = 4 << 20  # random, so the part is as large: about 1,000 pages


@pytest.fixture(autouse=True)
def cache_kept_by_writes(tmp_path):
    """Where a file just written is not in the cache anyway (tmpfs keeps it always, some filesystems
    never), these tests prove nothing: skip."""
    probe = tmp_path / "probe"
    with open(probe, "wb") as f:
        f.write(os.urandom(1 << 20))
        f.flush()
        os.fsync(f.fileno())
    resident, pages = resident_pages(probe)
    if resident < pages // 2:
        pytest.skip("files just written are not kept in the page cache here")
    common_mod.drop_cache(probe)
    if resident_pages(probe)[0] > pages // 10:
        pytest.skip("this filesystem does not drop its cached pages on request (tmpfs?)")
    probe.unlink()


def test_a_runs_parts_are_read_back_from_the_disk_as_they_are_written_and_not_again(tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "data.bin").write_bytes(os.urandom(SIZE))
    profile = profile_with(tmp_path, "{id: docs, kind: config, driver: files, source: {path: ./src}}")
    monkeypatch.setattr(readbehind, "WINDOW", 1 << 20)  # several windows in a 4 MiB part
    behind = BehindReads(monkeypatch)
    seen = ResidencyAtRead(runner.sha256_file)
    monkeypatch.setattr(runner, "sha256_file", seen)
    outcome = run_repository(profile, profile.repository("docs"))
    assert outcome.state == "good", outcome.message
    data = behind.of(".tar.zst")
    assert sum(pages for _, _, pages, _ in data) >= SIZE // 4096  # all of it, read back
    # Whether a stretch is read while the compressor still writes depends on the scheduler (a loaded machine
    # may let the writer finish first): the overlap is the bench's to show, not asserted here.
    assert {r[0] for r in behind.reads} == {data[0][0], "audit-log.jsonl.zst"}
    assert behind.resident() == [0] * len(behind.reads), behind.reads
    # The runner reads back only what was not read as it was written: the manifest, from the disk too.
    assert seen.seen == {"manifest.json": (0, 1)}


def test_a_part_that_reads_back_otherwise_than_written_fails_the_run(tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a\n")
    profile = profile_with(tmp_path, "{id: docs, kind: config, driver: files, source: {path: ./src}}")
    real_finish = readbehind.ReadBehind.finish
    monkeypatch.setattr(readbehind.ReadBehind, "finish", lambda self, n: (real_finish(self, n)[0], "0" * 64))
    outcome = run_repository(profile, profile.repository("docs"))
    assert outcome.state == "failed"
    assert "read back differs from what was written" in outcome.message
    assert outcome.artifact is None and not list((tmp_path / "backups" / "docs").iterdir())


def test_a_manifest_that_reads_back_otherwise_than_written_fails_the_run(tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a\n")
    profile = profile_with(tmp_path, "{id: docs, kind: config, driver: files, source: {path: ./src}}")
    real = runner.sha256_file

    def disk_changed(path, *args, **kwargs):  # what a failing disk would return for the manifest alone
        size, digest = real(path, *args, **kwargs)
        return (size, "0" * 64) if Path(path).name == "manifest.json" else (size, digest)

    monkeypatch.setattr(runner, "sha256_file", disk_changed)
    outcome = run_repository(profile, profile.repository("docs"))
    assert outcome.state == "failed"
    assert "manifest.json read back differs from what was written" in outcome.message
    assert outcome.artifact is None


def test_a_copys_read_back_and_its_later_verification_read_the_medium(tmp_path, monkeypatch):
    profile, run_id = site(tmp_path, "  - {id: shelf, kind: directory, path: ./shelf}", "shelf", size=SIZE,
                           copies=1)
    monkeypatch.setattr(readbehind, "WINDOW", 1 << 20)
    behind = BehindReads(monkeypatch)
    seen = ResidencyAtRead(common_mod.sha256_file)
    monkeypatch.setattr(common_mod, "sha256_file", seen)
    with Catalog(profile.catalog_path) as catalog:
        outcomes = copy_pending(profile, catalog)
        assert [o.state for o in outcomes] == ["verified"], [o.message for o in outcomes]
        copied = Path(outcomes[0].path)
        names = {r[0] for r in behind.reads}
        assert len(names) == 3  # the data part, the audit log, the manifest
        assert sum(pages for *_, pages, _ in behind.of(".tar.zst")) >= SIZE // 4096
        assert behind.resident() == [0] * len(behind.reads), behind.reads
        assert seen.seen == {}  # and not read again after the rename
        for name in names:  # a read of the copy since (a restore, say) leaves it all in the cache
            (copied / name).read_bytes()
            assert resident_pages(copied / name)[0] > 0
        check = verify_copy(profile, catalog, catalog.copies_of(run_id)[0])
        assert check.outcome == "passed", check.message
        assert set(seen.seen) == names
        assert [resident for resident, _ in seen.seen.values()] == [0, 0, 0]


def test_a_copy_that_reads_back_otherwise_than_written_is_not_verified(tmp_path, monkeypatch):
    profile, run_id = site(tmp_path, "  - {id: shelf, kind: directory, path: ./shelf}", "shelf", copies=1)
    real_finish = readbehind.ReadBehind.finish
    monkeypatch.setattr(readbehind.ReadBehind, "finish", lambda self, n: (real_finish(self, n)[0], "0" * 64))
    with Catalog(profile.catalog_path) as catalog:
        outcomes = copy_pending(profile, catalog)
        assert [o.state for o in outcomes] == ["failed"]
        assert "differs from the manifest" in outcomes[0].message and "medium may be failing" in outcomes[0].message
        assert catalog.verified_copies([run_id]) == {}
