"""Restores from a copy anywhere (`restore --from`): a folder copy on a fresh machine (no profile, no
catalog), a disc-image set spread over two folders (real xorriso), an SSH copy (a real sshd), a copy
encrypted on its way (with the identity), and a damaged copy refused before anything is written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.destinations.copies import copy_pending
from tests.conftest import ROOT
from tests.copy_helpers import site
from tests.test_restore import trees_equal


def fresh_env(tmp_path: Path) -> dict:
    """A new machine: its own empty config, data and cache folders, no profile named anywhere."""
    home = tmp_path / "fresh"
    env = {k: v for k, v in os.environ.items() if k != "DSE_TUI_PROFILE"}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               XDG_CACHE_HOME=str(home / ".cache"), XDG_STATE_HOME=str(home / ".local/state"))
    return env


def dse(*args: str, env: dict, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dse_tui", *args], capture_output=True, text=True, cwd=cwd,
                          env={"PYTHONPATH": str(ROOT), **env}, timeout=300, input=stdin)  # the test's catalogs


def copied(profile, dest: str = None) -> Path:
    with Catalog(profile.catalog_path) as catalog:
        outcomes = copy_pending(profile, catalog, to=[dest] if dest else None)
        assert all(o.state == "verified" for o in outcomes), [o.message for o in outcomes]
        return Path(outcomes[0].path)


def assert_fresh(env: dict) -> None:
    """Nothing of a profile or a catalog was made on the fresh machine."""
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        made = [p for p in Path(env[var]).rglob("*") if p.suffix in (".yaml", ".sqlite")] if Path(env[var]).exists() else []
        assert made == [], made


def test_a_directory_copy_is_restored_on_a_machine_with_no_profile_and_no_catalog(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: share, kind: directory, path: ./share}", "share", copies=1)
    copied(profile)
    env = fresh_env(tmp_path)
    target = tmp_path / "restored"
    # The share's folder, not the run's: the copy is found in it (site/repository/run).
    result = dse("restore", "--from", str(tmp_path / "share"), "--to", str(target), "--json", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (out,) = json.loads(result.stdout)
    assert out["outcome"] == "done" and out["run_id"] == run_id and out["recorded"] is None
    assert "not recorded anywhere" in result.stderr
    assert trees_equal(tmp_path / "src", target)
    assert_fresh(env)


def test_one_file_of_a_copy_is_restored_with_path_and_nothing_else(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: share, kind: directory, path: ./share}", "share", copies=1)
    copied(profile)
    env = fresh_env(tmp_path)
    target = tmp_path / "restored"
    result = dse("restore", "--from", str(tmp_path / "share"), "--to", str(target), "--path", "notes.txt",
                 env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in target.rglob("*")) == ["notes.txt"]
    assert (target / "notes.txt").read_bytes() == (tmp_path / "src" / "notes.txt").read_bytes()
    wrong = dse("restore", "--from", str(tmp_path / "share"), "--to", str(tmp_path / "r2"), "--path", "nope.txt",
                env=env, cwd=tmp_path)
    assert wrong.returncode == 1 and "nope.txt" in wrong.stderr and not (tmp_path / "r2").exists()


def test_a_place_holding_several_runs_asks_which(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: share, kind: directory, path: ./share}", "share", copies=1)
    copied(profile)
    first = next((tmp_path / "share").rglob("manifest.json")).parent
    shutil.copytree(first, first.with_name("other"))
    manifest = json.loads((first.with_name("other") / "manifest.json").read_text())
    manifest["run_id"] = run_id + 1
    (first.with_name("other") / "manifest.json").write_text(json.dumps(manifest))
    env = fresh_env(tmp_path)
    result = dse("restore", "--from", str(tmp_path / "share"), "--to", str(tmp_path / "r"), env=env, cwd=tmp_path)
    assert result.returncode == 1 and f"run {run_id} of docs" in result.stderr and "Name the run" in result.stderr
    assert not (tmp_path / "r").exists()
    result = dse("restore", str(run_id), "--from", str(tmp_path / "share"), "--to", str(tmp_path / "r"), env=env,
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert trees_equal(tmp_path / "src", tmp_path / "r")


def test_a_damaged_copy_is_refused_before_anything_is_written(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: share, kind: directory, path: ./share}", "share", copies=1)
    folder = copied(profile)
    part = folder / "docs.tar.zst"
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF
    part.write_bytes(bytes(data))
    env = fresh_env(tmp_path)
    target = tmp_path / "restored"
    result = dse("restore", "--from", str(folder), "--to", str(target), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "does not match its manifest" in result.stdout and "nothing was restored" in result.stdout
    assert not target.exists()


def test_a_restore_from_a_copy_is_recorded_when_the_machine_has_its_catalog(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: share, kind: directory, path: ./share}", "share", copies=1)
    copied(profile)
    env = {**fresh_env(tmp_path), "DSE_TUI_PROFILE": str(profile.file)}
    result = dse("restore", "--from", str(tmp_path / "share"), "--to", str(tmp_path / "r"), "--json", env=env,
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (out,) = json.loads(result.stdout)
    assert out["recorded"].startswith("restore ") and f"of run {run_id}" in out["recorded"]
    with Catalog(profile.catalog_path) as catalog:
        (restored,) = catalog.restores(run_id)
        assert restored.outcome == "done" and restored.target == str(tmp_path / "r")
        assert restored.message.startswith("from the copy in ") and "share/t/docs" in restored.message


# ---------------------------------------------------------------------- disc images

def test_a_disc_image_set_with_one_disc_elsewhere_is_put_back_together(tmp_path):
    if not shutil.which("xorriso"):
        pytest.fail("xorriso is needed (Debian package xorriso; .ci/run installs it)")
    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, capacity: 6M}", "discs",
                           size=5_000_000, copies=1)
    copied(profile)
    images = sorted((tmp_path / "discs").glob("*.iso"))
    assert len(images) == 3
    elsewhere = tmp_path / "drawer"
    elsewhere.mkdir()
    shutil.move(images[1], elsewhere / images[1].name)
    env = fresh_env(tmp_path)
    target = tmp_path / "restored"
    alone = dse("restore", "--from", str(tmp_path / "discs"), "--to", str(target), env=env, cwd=tmp_path)
    assert alone.returncode == 1 and f"disc {images[1].stem} (2 of 3) of run {run_id} of docs is missing" in alone.stderr and not target.exists()
    result = dse("restore", "--from", str(tmp_path / "discs"), "--from", str(elsewhere), "--to", str(target),
                 env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert trees_equal(tmp_path / "src", target)
    assert not list((Path(env["XDG_CACHE_HOME"]) / "dse-tui" / "copies").glob("copy-*")), "the set put together stays"


def test_a_missing_disc_is_asked_for_by_its_code(tmp_path):
    from dse_tui.core.restore.place import open_copy

    if not shutil.which("xorriso"):
        pytest.fail("xorriso is needed")
    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, capacity: 6M}", "discs",
                           size=5_000_000, copies=1)
    copied(profile)
    images = sorted((tmp_path / "discs").glob("*.iso"))
    mounted = tmp_path / "mnt"  # the third disc as a drive mounts it: its files in a folder
    subprocess.run(["xorriso", "-osirrox", "on", "-indev", f"stdio:{images[2]}", "-extract", "/", str(mounted)],
                   check=True, capture_output=True)
    images[2].unlink()
    asked = []

    def ask(what: str) -> str:
        asked.append(what)
        return str(mounted)

    with open_copy([str(tmp_path / "discs")], None, tmp_path / "work", ask=ask) as opened:
        assert [str(w) for w in asked] == [f"disc {images[2].stem} (3 of 3) of run {run_id} of docs"]
        manifest = json.loads((opened.folder / "manifest.json").read_text())
        for p in manifest["parts"]:
            assert (opened.folder / p["file"]).stat().st_size == p["size"]


# ---------------------------------------------------------------------- ssh

def test_an_ssh_copy_is_restored_on_a_fresh_machine(tmp_path, sshd):
    from tests.test_copies_remote import ssh_site

    remote = tmp_path / "remote-share"
    profile, run_id = ssh_site(tmp_path, sshd, remote)
    copied(profile)
    env = fresh_env(tmp_path)
    target = tmp_path / "restored"
    argv = ["restore", "--from", f"ssh://{sshd['user']}@{sshd['host']}:{sshd['port']}{remote}", "--to", str(target),
            "--ssh-identity", sshd["identity_file"], *sum((["--ssh-option", o] for o in sshd["options"]), [])]
    result = dse(*argv, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert trees_equal(tmp_path / "src", target)
    # A damaged remote copy: refused, nothing written.
    (part,) = remote.rglob("docs.tar.zst")
    part.write_bytes(part.read_bytes()[:-10])
    again = dse(*argv[:4], str(tmp_path / "again"), *argv[5:], env=env, cwd=tmp_path)
    assert again.returncode == 1 and "does not match its manifest" in again.stdout
    assert not (tmp_path / "again").exists()


# ---------------------------------------------------------------------- encrypted on its way

def test_a_copy_encrypted_on_its_way_is_restored_with_the_identity(tmp_path):
    from tests.encryption_helpers import make_key

    identity, recipient, _ = make_key(tmp_path / "keys")
    profile, run_id = site(tmp_path, f"  - {{id: share, kind: directory, path: ./share, encrypt: true, "
                                     f"recipients: [{recipient}]}}", "share", copies=1)
    folder = copied(profile)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["encrypted_copy_of"] and all(p["file"].endswith(".age") for p in manifest["parts"])
    env = fresh_env(tmp_path)
    target = tmp_path / "restored"
    without = dse("restore", "--from", str(folder), "--to", str(target), env=env, cwd=tmp_path)
    assert without.returncode == 1 and "encrypted" in without.stderr and not target.exists()
    result = dse("restore", "--from", str(folder), "--to", str(target), "--identity", str(identity), env=env,
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "decrypted docs.tar.zst.age: as the run's own part" in result.stderr
    assert trees_equal(tmp_path / "src", target)
