"""Verification levels for the files, git and SQLite drivers: a good run passes every level; damage is
caught at the level that must catch it, with a message that says what was wrong; nothing is left behind."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import tarfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.engine.runner import run_repository
from tests.engine_helpers import (failed_checks, make_tree, manifest_of, profile_with, rewrite_part, unzstd, verify,
                                  zstd_bytes)
from tests.tree_helpers import fidelity_tree


def files_run(tmp_path):
    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    outcome = run_repository(profile, profile.repository("w"))
    assert outcome.state == "good", outcome.message
    return profile, outcome


def no_scratch_left(profile) -> bool:
    scratch = profile.storage_root / ".scratch"
    return not scratch.exists() or not any(scratch.iterdir())


@pytest.mark.parametrize("level", ["checksum", "structure", "restore"])
def test_a_good_files_run_passes_every_level(tmp_path, level):
    profile, outcome = files_run(tmp_path)
    result = verify(profile, outcome.run_id, level)
    assert result.outcome == "passed", failed_checks(result)
    names = [c.name for c in result.checks]
    assert ("listing w.tar.zst" in names) == (level != "checksum")
    assert ("files w.tar.zst" in names) == (level == "restore")
    assert no_scratch_left(profile)


def test_bytes_flipped_in_the_middle_fail_the_checksum(tmp_path):
    profile, outcome = files_run(tmp_path)
    part = Path(outcome.artifact) / "w.tar.zst"
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF
    part.write_bytes(bytes(data))
    result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "failed"
    assert "differs from the manifest" in failed_checks(result)["checksum w.tar.zst"]
    assert not any(c.name.startswith("listing") for c in result.checks), "a level stops at its first failure"


def test_a_truncated_part_fails_the_checksum_with_its_size(tmp_path):
    profile, outcome = files_run(tmp_path)
    part = Path(outcome.artifact) / "w.tar.zst"
    part.write_bytes(part.read_bytes()[:1000])
    result = verify(profile, outcome.run_id, "checksum")
    assert "1000 bytes where the manifest says" in failed_checks(result)["checksum w.tar.zst"]


def test_an_edited_manifest_fails_against_the_catalog(tmp_path):
    profile, outcome = files_run(tmp_path)
    manifest = Path(outcome.manifest)
    manifest.write_text(manifest.read_text().replace('"operator"', '"operator" ', 1))
    result = verify(profile, outcome.run_id, "checksum")
    assert "manifest.json was changed" in failed_checks(result)["manifest"]


def _retar(part: Path, drop: str | None = None, change: str | None = None, edit=None,
           again: str | None = None) -> bytes:
    """The run's archive rebuilt without `drop`, or with `change`'s bytes altered (same size), or with
    `edit(member, data) -> data` applied to every member (its header's fields changed in place), or with
    the member `again` stored a second time at the end, header and bytes as they were."""
    source = tarfile.open(fileobj=io.BytesIO(unzstd(part)), mode="r:")
    out = io.BytesIO()
    repeat = None
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for member in source:
            if member.name == drop:
                continue
            data = source.extractfile(member).read() if member.isfile() else None
            if member.name == change:
                data = bytes([data[0] ^ 1]) + data[1:]
            if edit is not None:
                data = edit(member, data)
            tar.addfile(member, io.BytesIO(data) if data is not None else None)
            if member.name == again:
                repeat = (member, data)
        if repeat is not None:
            tar.addfile(repeat[0], io.BytesIO(repeat[1]))
    return zstd_bytes(out.getvalue())


def test_a_file_removed_from_the_archive_fails_the_structure(tmp_path):
    profile, outcome = files_run(tmp_path)
    part = Path(outcome.artifact) / "w.tar.zst"
    rewrite_part(profile, outcome.run_id, "w.tar.zst", _retar(part, drop="docs/notes.txt"), keep_checksums=True)
    assert verify(profile, outcome.run_id, "checksum").outcome == "passed"
    result = verify(profile, outcome.run_id, "structure")
    assert "docs/notes.txt: missing from the archive" in failed_checks(result)["listing w.tar.zst"]


def test_changed_file_contents_fail_only_the_trial_restore(tmp_path):
    profile, outcome = files_run(tmp_path)
    part = Path(outcome.artifact) / "w.tar.zst"
    rewrite_part(profile, outcome.run_id, "w.tar.zst", _retar(part, change="index.html"), keep_checksums=True)
    assert verify(profile, outcome.run_id, "structure").outcome == "passed"
    result = verify(profile, outcome.run_id, "restore")
    assert "index.html: not restored as recorded" in failed_checks(result)["files w.tar.zst"]
    assert no_scratch_left(profile)


def fidelity_run(tmp_path):
    fidelity_tree(tmp_path / "srv", with_socket=False)
    profile = profile_with(tmp_path, "{id: t, kind: config, driver: files, source: {path: ./srv}}")
    outcome = run_repository(profile, profile.repository("t"))
    assert outcome.state == "good", outcome.message
    return profile, outcome, Path(outcome.artifact) / "t.tar.zst"


def test_the_trial_restore_holds_folder_times_modes_and_owners_to_the_manifest(tmp_path):
    """An archive whose headers say other times, modes or owners than the manifest lists the same and
    extracts: only the trial restore, comparing what tar made with the record, can tell."""
    profile, outcome, part = fidelity_run(tmp_path)
    assert "modes and times as recorded" in {c.name: c.detail for c in verify(profile, outcome.run_id, "restore").checks}[
        "files t.tar.zst"]

    def tamper(member, data):
        if member.name == "docs":  # a folder's time: what a breadth-first archive lost
            member.mtime = int(member.mtime) + 3600
            member.pax_headers = {}
        elif member.name == "bin/run.sh":
            member.mode = 0o700
        elif member.name == "a-ro/inner-ro":
            member.mode = 0o755
        elif member.name == "docs/guide.txt":
            member.uid = 4321
        return data

    rewrite_part(profile, outcome.run_id, "t.tar.zst", _retar(part, edit=tamper), keep_checksums=True)
    assert verify(profile, outcome.run_id, "structure").outcome == "passed"
    detail = failed_checks(verify(profile, outcome.run_id, "restore"))["files t.tar.zst"]
    recorded = {f["path"]: f for f in manifest_of(outcome)["files"]}["docs"]["mtime_ns"]
    when = datetime.fromtimestamp(recorded // 10**9, timezone.utc)
    assert (f"docs: not restored as recorded (modified {when + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}.000000000Z, "
            f"recorded {when:%Y-%m-%dT%H:%M:%S}.{recorded % 10**9:09d}Z)") in detail
    assert "bin/run.sh: not restored as recorded (mode 0700, recorded 0755)" in detail
    assert "a-ro/inner-ro: not restored as recorded (mode 0755, recorded 0555)" in detail
    if os.geteuid() == 0:
        assert "docs/guide.txt: not restored as recorded (owner 4321:0, recorded 0:0)" in detail
    assert no_scratch_left(profile), "the trial's read-only folders must not keep its scratch"


def test_hard_links_and_link_targets_are_held_to_the_manifest(tmp_path):
    profile, outcome, part = fidelity_run(tmp_path)
    files = {f["path"]: f for f in manifest_of(outcome)["files"]}
    assert files["docs/data-again.bin"] == {**files["docs/data-again.bin"], "type": "hardlink",
                                            "target": "a-ro/data-ro.bin"}
    assert files["pipe"]["type"] == "fifo" and files["links/guide"]["target"] == "../docs/guide.txt"
    whole = (tmp_path / "srv" / "data.bin").read_bytes()

    def unlinked(member, data):  # the second name stored as a file of its own: same bytes, not the same file
        if member.name == "docs/data-again.bin":
            member.type, member.linkname, member.size = tarfile.REGTYPE, "", len(whole)
            return whole
        return data

    rewrite_part(profile, outcome.run_id, "t.tar.zst", _retar(part, edit=unlinked), keep_checksums=True)
    assert "docs/data-again.bin: a file in the archive, a hardlink in the manifest" in failed_checks(
        verify(profile, outcome.run_id, "structure"))["listing t.tar.zst"]

    def elsewhere(member, data):
        if member.name == "links/guide":
            member.linkname = "../docs/deep/table.csv"
        return data

    rewrite_part(profile, outcome.run_id, "t.tar.zst", _retar(part, edit=elsewhere), keep_checksums=True)
    assert "links/guide: links to ../docs/deep/table.csv in the archive, to ../docs/guide.txt in the manifest" in \
        failed_checks(verify(profile, outcome.run_id, "structure"))["listing t.tar.zst"]


def test_the_trial_restore_fails_when_two_names_of_one_file_extract_as_two_files(tmp_path):
    """The first name of a hard-linked file stored again at the end of the archive: the listing still holds
    a file and a link to it, both the size recorded, but tar replaces the first name with a new file, and
    the second no longer shares it. Only the trial's look at the extracted inodes can tell."""
    make_tree(tmp_path / "www")
    # Both names in the tree's own folder, whose time tar sets last: the repeat changes no folder's time.
    os.link(tmp_path / "www" / "index.html", tmp_path / "www" / "about.html")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    outcome = run_repository(profile, profile.repository("w"))
    assert outcome.state == "good", outcome.message
    files = {f["path"]: f for f in manifest_of(outcome)["files"]}
    assert files["index.html"]["type"] == "hardlink" and files["index.html"]["target"] == "about.html"
    part = Path(outcome.artifact) / "w.tar.zst"
    rewrite_part(profile, outcome.run_id, "w.tar.zst", _retar(part, again="about.html"),
                 keep_checksums=True)
    assert verify(profile, outcome.run_id, "structure").outcome == "passed"
    result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "failed"
    assert failed_checks(result)["files w.tar.zst"] == \
        "index.html: not restored as recorded (not the same file as about.html)"
    assert no_scratch_left(profile)


def git_repo(path: Path, message: str = "first") -> None:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "README").write_text(message)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x"}
    subprocess.run(["git", "-C", str(path), "add", "."], check=True)
    subprocess.run(["git", "-C", str(path), "commit", "-q", "-m", message], check=True, env=env)


def test_git_levels_and_a_bundle_from_another_repository(tmp_path):
    git_repo(tmp_path / "proj")
    git_repo(tmp_path / "other", "another project")
    profile = profile_with(tmp_path, "{id: g, kind: software, driver: git, source: {path: ./proj}}")
    outcome = run_repository(profile, profile.repository("g"))
    assert outcome.state == "good", outcome.message
    result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "passed", failed_checks(result)
    assert {"bundle g.bundle.zst", "fsck g.bundle.zst", "cloned heads g.bundle.zst"} <= {c.name for c in result.checks}
    foreign = subprocess.run(["git", "-C", str(tmp_path / "other"), "bundle", "create", "-q", "-", "--all"],
                             capture_output=True, check=True).stdout
    rewrite_part(profile, outcome.run_id, "g.bundle.zst", zstd_bytes(foreign), keep_checksums=True)
    result = verify(profile, outcome.run_id, "structure")
    assert "instead of" in failed_checks(result)["heads g.bundle.zst"]


def sqlite_run(tmp_path):
    """A good run of a small SQLite database (3 users), and its profile."""
    db = sqlite3.connect(tmp_path / "app.db")
    db.executescript("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT);"
                     "INSERT INTO users(name) VALUES ('ana'), ('luis'), ('eva');")
    db.commit()
    db.close()
    profile = profile_with(tmp_path, "{id: s, kind: database, driver: sqlite, source: {path: ./app.db}}")
    outcome = run_repository(profile, profile.repository("s"))
    assert outcome.state == "good", outcome.message
    return profile, outcome


def test_sqlite_levels(tmp_path):
    profile, outcome = sqlite_run(tmp_path)
    result = verify(profile, outcome.run_id, "restore")
    assert result.outcome == "passed", failed_checks(result)
    assert "3 rows" in next(c.detail for c in result.checks if c.name == "rows s.sqlite.zst")
    # Fewer rows than recorded: a valid database, so only the trial restore can tell.
    fewer = tmp_path / "fewer.db"
    other = sqlite3.connect(fewer)
    other.executescript("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users(name) VALUES ('x');")
    other.commit()
    other.close()
    rewrite_part(profile, outcome.run_id, "s.sqlite.zst", zstd_bytes(fewer.read_bytes()), keep_checksums=True)
    assert verify(profile, outcome.run_id, "structure").outcome == "passed"
    assert "users: 1 rows, 3 at backup" in failed_checks(verify(profile, outcome.run_id, "restore"))["rows s.sqlite.zst"]
    # Not a database at all: the structure level says so.
    rewrite_part(profile, outcome.run_id, "s.sqlite.zst", zstd_bytes(b"garbage" * 1000), keep_checksums=True)
    result = verify(profile, outcome.run_id, "structure")
    assert "not a readable SQLite database" in failed_checks(result)["integrity s.sqlite.zst"]
    assert no_scratch_left(profile)


def test_a_verification_is_recorded_with_its_checks_and_an_event(tmp_path):
    profile, outcome = files_run(tmp_path)
    result = verify(profile, outcome.run_id, "structure")
    with Catalog(profile.catalog_path) as catalog:
        stored = catalog.verifications(outcome.run_id)
        events = [e for e in catalog.events() if e["action"] == "verification"]
    assert stored[0].id == result.verification_id and stored[0].outcome == "passed"
    assert [c["name"] for c in stored[0].checks] == [c.name for c in result.checks]
    assert stored[1].trigger == "after run", "the run's own verification comes first"
    assert events[0]["outcome"] == "passed" and '"trigger": "test"' in events[0]["detail"]


def test_a_scratch_folder_that_cannot_be_made_fails_with_the_reason_not_a_crash(tmp_path):
    profile, outcome = files_run(tmp_path)
    (profile.storage_root / ".scratch").rmdir()
    (profile.storage_root / ".scratch").write_text("in the way")
    result = verify(profile, outcome.run_id, "structure")
    assert result.outcome == "failed"
    assert "cannot create" in failed_checks(result)["scratch"]
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.verifications(outcome.run_id)[0].outcome == "failed", "never left running"
