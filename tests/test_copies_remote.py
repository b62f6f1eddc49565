"""Copies with read-back onto disc images (a real xorriso) and over SSH (a real loopback sshd)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.destinations.copies import copy_pending
from dse_tui.core.destinations.optical import plan_discs
from tests.copy_helpers import site


# ---------------------------------------------------------------------- disc images

def test_a_run_larger_than_a_disc_spans_numbered_images_that_read_back(tmp_path):
    if not shutil.which("xorriso"):
        pytest.fail("xorriso is needed (Debian package xorriso; .ci/run installs it)")
    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, capacity: 6M}", "discs",
                           size=5_000_000, copies=1)
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
        assert outcome.state == "verified", outcome.message
        assert len(outcome.media) == 3 and outcome.media == ["T-%d-001" % catalog.medium(outcome.media[0]).created_at.year,
                                                            *outcome.media[1:]]
        links = catalog.copy_media(outcome.copy_id)
        assert [(cm.seq, cm.total) for cm in links] == [(1, 3), (2, 3), (3, 3)]
        images = [Path(cm.path) for cm in links]
        assert all(p.stat().st_size <= 6 * 1024**2 for p in images)
        run = catalog.run(run_id)
    # Restore by hand as the index says: extract every disc into one folder, join the cut parts.
    joined = tmp_path / "joined"
    joined.mkdir()
    for image in images:
        out = tmp_path / image.stem
        subprocess.run(["xorriso", "-osirrox", "on", "-indev", f"stdio:{image}", "-extract", "/", str(out)],
                       check=True, capture_output=True)
        index = json.loads((out / "index.json").read_text())
        assert index["discs"][index["this_disc"] - 1]["code"] == image.stem
        assert (out / "INDEX.txt").read_text().startswith(f"{image.stem}: disc {index['this_disc']} of 3")
        for f in out.iterdir():
            if f.name not in ("index.json", "INDEX.txt"):
                shutil.copy(f, joined / f.name)
    manifest = json.loads((joined / "manifest.json").read_text())
    for part in manifest["parts"]:
        pieces = sorted(joined.glob(part["file"] + ".*")) or [joined / part["file"]]
        data = b"".join(p.read_bytes() for p in pieces)
        assert hashlib.sha256(data).hexdigest() == part["sha256"]
    assert hashlib.sha256((joined / "manifest.json").read_bytes()).hexdigest() == run.sha256


def test_disc_plan_cuts_only_where_a_disc_fills():
    files = [{"file": "a.tar.zst", "size": 10 << 20, "sha256": "x"}, {"file": "b.sql.zst", "size": 1 << 20, "sha256": "y"},
             {"file": "manifest.json", "size": 2000, "sha256": "z"}]
    capacity = (4 << 20) + (6 << 20) + 2000  # 6 MiB of room per disc
    discs = plan_discs(files, capacity)
    assert [[p.name for p in d] for d in discs] == [["a.tar.zst.001", "manifest.json"],
                                                   ["a.tar.zst.002", "b.sql.zst", "manifest.json"]]
    assert sum(p.length for d in discs for p in d if p.file == "a.tar.zst") == 10 << 20


# ---------------------------------------------------------------------- ssh

def ssh_site(tmp_path: Path, sshd: dict, remote: Path):
    options = ", ".join(f"'{o}'" for o in sshd["options"])
    return site(tmp_path, f"  - {{id: nas, kind: ssh, host: {sshd['host']}, user: {sshd['user']}, "
                          f"port: {sshd['port']}, identity_file: {sshd['identity_file']}, "
                          f"options: [{options}], path: {remote}}}", "nas", copies=1)


def test_a_copy_over_ssh_is_read_back_on_the_server(tmp_path, sshd):
    remote = tmp_path / "remote-share"
    profile, run_id = ssh_site(tmp_path, sshd, remote)
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
        assert outcome.state == "verified", outcome.message
        run = catalog.run(run_id)
        copied = remote / "t" / "docs" / Path(run.artifact).name
        assert sorted(p.name for p in copied.iterdir()) == sorted(p.name for p in Path(run.artifact).iterdir())
        assert catalog.verified_copies([run_id]) == {run_id: 1}
        assert catalog.copies_of(run_id)[0].device == f"ssh:root@127.0.0.1:{sshd['port']}"


def test_an_image_larger_than_the_medium_is_refused_and_removed(tmp_path, monkeypatch):
    from dse_tui.core.destinations import optical
    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, capacity: 6M}", "discs",
                           size=1_000_000, copies=1)
    monkeypatch.setattr(optical, "RESERVE", 0)  # the plan fills a disc to the byte: the ISO's own blocks overflow it
    monkeypatch.setattr(optical, "plan_discs", lambda files, capacity: [[
        optical.Piece(f["file"], f["file"], 0, f["size"]) for f in files]])
    profile.destinations["discs"].settings["capacity"] = 500_000
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
        assert outcome.state == "failed" and "larger than the medium" in outcome.message
        assert list((tmp_path / "discs").glob("*.iso")) == []
        assert all(m.state == "destroyed" for m in catalog.media())
        assert catalog.verified_copies([run_id]) == {}


def test_a_copy_over_ssh_that_is_gone_fails_and_a_host_down_is_inconclusive(tmp_path, sshd):
    from dse_tui.core.destinations.verify import verify_copy

    remote = tmp_path / "remote-share"
    profile, run_id = ssh_site(tmp_path, sshd, remote)
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
        copy = catalog.copy(outcome.copy_id)
        assert verify_copy(profile, catalog, copy).outcome == "passed"
        profile.destinations["nas"].settings["port"] = 1  # nothing listens there
        assert verify_copy(profile, catalog, copy).outcome == "inconclusive"
        profile.destinations["nas"].settings["port"] = sshd["port"]
        shutil.rmtree(remote / "t")
        check = verify_copy(profile, catalog, copy)
        assert check.outcome == "failed", check.message


def test_a_cancel_asks_xorriso_to_stop_and_the_copy_is_cancelled(tmp_path, monkeypatch):
    import threading

    from tests.conftest import wait_until

    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, disc: cd}", "discs", copies=1)
    tools, started, stopped = tmp_path / "tools", tmp_path / "xorriso.started", tmp_path / "xorriso.stopped"
    tools.mkdir()
    # An xorriso caught making its image, which ends cleanly on SIGTERM and says so.
    (tools / "xorriso").write_text(f"#!/bin/bash\ntrap ': > {stopped}; exit 1' TERM\n: > {started}\n"
                                   "sleep 300 & wait\n")
    (tools / "xorriso").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}:{os.environ['PATH']}")
    cancel = threading.Event()
    result = {}

    def copy() -> None:
        with Catalog(profile.catalog_path) as catalog:
            result["outcomes"] = copy_pending(profile, catalog, cancel=cancel)

    thread = threading.Thread(target=copy)
    thread.start()
    wait_until(started.exists, what="xorriso to start")
    cancel.set()
    thread.join(120)
    assert not thread.is_alive()
    assert [o.state for o in result["outcomes"]] == ["cancelled"]
    assert stopped.exists(), "xorriso was killed outright, not asked to stop"
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.verified_copies([run_id]) == {}


def test_a_copy_over_ssh_to_a_destination_that_encrypts(tmp_path, sshd):
    """The server receives only age files and the twin's manifest, and the copy verifies there against it."""
    from dse_tui.core.destinations.verify import verify_copy
    from tests.test_encryption import make_key

    remote = tmp_path / "remote-share"
    _, recipient, _ = make_key(tmp_path / "keys")
    options = ", ".join(f"'{o}'" for o in sshd["options"])
    profile, run_id = site(tmp_path, f"  - {{id: nas, kind: ssh, host: {sshd['host']}, user: {sshd['user']}, "
                                     f"port: {sshd['port']}, identity_file: {sshd['identity_file']}, "
                                     f"options: [{options}], path: {remote}, recipients: [{recipient}]}}",
                           "nas", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
        assert outcome.state == "verified", outcome.message
        run = catalog.run(run_id)
        copied = remote / "t" / "docs" / Path(run.artifact).name
        assert sorted(p.name for p in copied.iterdir()) == ["audit-log.jsonl.zst.age", "docs.tar.zst.age",
                                                            "manifest.json"]
        assert b"the department's notes" not in (copied / "docs.tar.zst.age").read_bytes()
        (copy,) = catalog.copies_of(run_id)
        assert copy.key_ids and copy.sha256 != run.sha256
        assert verify_copy(profile, catalog, copy).outcome == "passed"
