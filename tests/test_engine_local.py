"""The backup engine on local sources: every run is restored and compared with its source."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from dse_tui.core.engine.runner import run_repository
from tests.conftest import ROOT
from tests.engine_helpers import make_tree, manifest_of, profile_with


def only_part(outcome) -> Path:
    """The driver's one part (beside it, every run carries the audit log)."""
    parts = manifest_of(outcome)["parts"]
    assert parts[-1]["file"] == "audit-log.jsonl.zst"
    (part,) = parts[:-1]
    return Path(outcome.artifact) / part["file"]


def unzstd(path: Path, dest: Path) -> Path:
    subprocess.run(["zstd", "-q", "-d", str(path), "-o", str(dest)], check=True)
    return dest


def test_sqlite_online_copy_restores_with_the_same_rows(tmp_path, demo_profile):
    from dse_tui.core.profile.config import load_profile

    profile = load_profile(demo_profile)
    repo = profile.repository("library-db")
    live = sqlite3.connect(repo.source["path"])  # a writer holds the database open during the backup
    live.execute("INSERT INTO books(title) VALUES ('Rayuela')")
    live.commit()
    outcome = run_repository(profile, repo)
    live.close()
    assert outcome.state == "good", outcome.message
    copy = unzstd(only_part(outcome), tmp_path / "copy.sqlite")
    with sqlite3.connect(copy) as db, sqlite3.connect(repo.source["path"]) as src:
        for table in ("books", "loans"):
            assert db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall() == \
                src.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    assert manifest_of(outcome)["tables"] == {"books": 9, "loans": 40}


def test_git_bundle_clones_with_the_same_heads(tmp_path, demo_profile):
    from dse_tui.core.profile.config import load_profile

    profile = load_profile(demo_profile)
    repo = profile.repository("timetable-app")
    outcome = run_repository(profile, repo)
    assert outcome.state == "good", outcome.message
    bundle = unzstd(only_part(outcome), tmp_path / "x.bundle")
    subprocess.run(["git", "bundle", "verify", str(bundle)], check=True, capture_output=True)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--mirror", str(bundle), str(clone)], check=True)
    refs = subprocess.run(["git", "-C", str(clone), "for-each-ref", "--format=%(refname) %(objectname)"],
                          capture_output=True, text=True, check=True).stdout
    heads = dict(line.split(" ") for line in refs.splitlines())
    assert heads == manifest_of(outcome)["heads"]
    assert "refs/heads/main" in heads and "refs/tags/v1.0" in heads


def test_a_repository_without_commits_is_a_clear_failure(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path / "empty")], check=True)
    profile = profile_with(tmp_path, "{id: g, kind: software, driver: git, source: {path: ./empty}}")
    outcome = run_repository(profile, profile.repository("g"))
    assert outcome.state == "failed" and "no commits yet" in outcome.message
    assert not list((tmp_path / "backups" / "g").iterdir())


def test_files_tree_extracts_identical_and_the_manifest_hashes_every_file(tmp_path):
    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www, "
                                     "exclude: ['cache/*', '*.log']}}")
    outcome = run_repository(profile, profile.repository("w"))
    assert outcome.state == "good", outcome.message
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(f"zstd -dc {only_part(outcome)} | tar -xf - -C {out}", shell=True, check=True)
    files = {f["path"]: f for f in manifest_of(outcome)["files"]}
    assert set(files) == {"cache", "docs", "docs/deep", "docs/deep/big.bin", "docs/notes.txt", "index.html",
                          "notes-link"}
    for rel in ("index.html", "docs/deep/big.bin", "docs/notes.txt"):
        data = (out / rel).read_bytes()
        assert data == (tmp_path / "www" / rel).read_bytes()
        assert files[rel]["sha256"] == hashlib.sha256(data).hexdigest() and files[rel]["size"] == len(data)
    assert os.readlink(out / "notes-link") == "docs/notes.txt"
    assert not (out / "error.log").exists() and not (out / "cache" / "junk.tmp").exists()


def test_include_patterns_keep_only_what_they_name(tmp_path):
    make_tree(tmp_path / "etc")
    profile = profile_with(tmp_path, "{id: c, kind: config, driver: files, source: {path: ./etc, "
                                     "include: ['docs/deep/*', 'index.html']}}")
    outcome = run_repository(profile, profile.repository("c"))
    assert outcome.state == "good", outcome.message
    paths = [f["path"] for f in manifest_of(outcome)["files"]]
    assert paths == ["docs", "docs/deep", "docs/deep/big.bin", "index.html"]  # depth first, as GNU tar


def test_unreadable_files_fail_the_run_and_say_which(tmp_path):
    make_tree(tmp_path / "www")
    (tmp_path / "www" / "secret.key").write_text("k")
    (tmp_path / "www" / "secret.key").chmod(0o000)
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    argv = [sys.executable, "-m", "dse_tui", "run", "w", "--json", "--profile", str(profile.file)]
    if os.geteuid() == 0:  # root reads everything, unless it gives up the capabilities that let it
        argv = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *argv]
    result = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    (row,) = json.loads(result.stdout)
    assert result.returncode == 1 and row["state"] == "failed"
    assert row["message"].startswith("1 file(s) could not be read (secret.key: Permission denied)")


def test_an_empty_tree_is_not_a_good_backup_unless_allowed(tmp_path):
    (tmp_path / "mnt").mkdir()  # an unmounted mount point looks like this
    profile = profile_with(tmp_path, "{id: e, kind: web, driver: files, source: {path: ./mnt}}")
    outcome = run_repository(profile, profile.repository("e"))
    assert outcome.state == "failed" and outcome.message.startswith("no file was archived from")
    profile = profile_with(tmp_path, "{id: e, kind: web, driver: files, source: {path: ./mnt, allow_empty: true}}")
    assert run_repository(profile, profile.repository("e")).state == "good"


def test_a_file_that_shrinks_while_read_fails_the_run(tmp_path, monkeypatch):
    from dse_tui.core.drivers.files import tarstream
    make_tree(tmp_path / "www")
    real_fstat = os.fstat

    def growing_promise(fd):  # the size promised at open is larger than what can be read: it shrank
        st = real_fstat(fd)
        return os.stat_result((st.st_mode, st.st_ino, st.st_dev, st.st_nlink, st.st_uid, st.st_gid,
                               st.st_size + 100, st.st_atime, st.st_mtime, st.st_ctime),
                              {"st_mtime_ns": st.st_mtime_ns})

    monkeypatch.setattr(tarstream.os, "fstat", growing_promise)
    report = tarstream.TreeReport()
    with open(os.devnull, "wb") as sink:
        tarstream.write_tar(tmp_path / "www", sink, [], [], report)
    assert sorted(e["path"] for e in report.not_archived if e["reason"] == "shrank") == [
        "cache/junk.tmp", "docs/deep/big.bin", "docs/notes.txt", "error.log", "index.html"]


def test_non_utf8_file_names_are_backed_up(tmp_path):
    make_tree(tmp_path / "www")
    odd = os.fsencode(tmp_path / "www") + b"/caf\xe9.txt"
    with open(odd, "wb") as f:
        f.write(b"latin-1 name")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    outcome = run_repository(profile, profile.repository("w"))
    assert outcome.state == "good", outcome.message
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(f"zstd -dc {only_part(outcome)} | tar -xf - -C {out}", shell=True, check=True)
    assert open(os.fsencode(out) + b"/caf\xe9.txt", "rb").read() == b"latin-1 name"


def test_a_locked_sqlite_source_honours_the_timeout(tmp_path):
    db = sqlite3.connect(tmp_path / "live.sqlite", isolation_level=None)
    db.execute("CREATE TABLE t (x)")
    db.execute("INSERT INTO t VALUES (1)")
    db.execute("BEGIN EXCLUSIVE")  # a writer that does not let go
    profile = profile_with(tmp_path, "{id: s, kind: database, driver: sqlite, source: {path: ./live.sqlite}, "
                                     "timeout: 2s}")
    started = time.monotonic()
    outcome = run_repository(profile, profile.repository("s"))
    db.rollback()
    assert outcome.state == "failed" and outcome.message.startswith("timed out after 0:00:02")
    assert time.monotonic() - started < 10
