"""Copies with read-back onto folders and removable disks (recognised through lsblk); distinct devices and
what counts; per-destination errors. Disc images and SSH: test_copies_remote.py."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from dse_tui.core.destinations import common as common_mod
from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.config import load_profile
from dse_tui.core.destinations.copies import copy_pending
from dse_tui.core.destinations.directory import local_device
from dse_tui.core.destinations.devices import find_volume, parse_lsblk, block_devices
from dse_tui.core.engine.runner import run_repository
from tests.conftest import write_profile
from tests.copy_helpers import site

FIXTURES = Path(__file__).parent / "fixtures"
SHM = Path("/dev/shm")


@pytest.fixture
def shm_dir():
    """A folder on another filesystem than the test's (tmpfs): a distinct device without root."""
    if not SHM.is_dir() or not os.access(SHM, os.W_OK):
        pytest.skip("/dev/shm is not a writable tmpfs here")
    path = SHM / f"dse-test-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_copies_on_two_devices_are_read_back_and_count_twice(tmp_path, shm_dir):
    profile, run_id = site(tmp_path, f"  - {{id: shelf, kind: directory, path: ./shelf}}\n"
                                     f"  - {{id: ram, kind: directory, path: {shm_dir}}}", "shelf, ram")
    assert local_device(tmp_path / "shelf") != local_device(shm_dir)
    with Catalog(profile.catalog_path) as catalog:
        outcomes = copy_pending(profile, catalog)
        assert [o.state for o in outcomes] == ["verified", "verified"], [o.message for o in outcomes]
        copied = Path(outcomes[0].path)
        assert copied == tmp_path / "shelf" / "t" / "docs" / Path(catalog.run(run_id).artifact).name
        manifest = json.loads((copied / "manifest.json").read_text())
        for part in manifest["parts"]:
            assert hashlib.sha256((copied / part["file"]).read_bytes()).hexdigest() == part["sha256"]
        assert catalog.verified_copies([run_id]) == {run_id: 2}
        assert catalog.last_status()["docs"].copies == 2
        again = copy_pending(profile, catalog)
        assert [o.state for o in again] == ["skipped", "skipped"]


def test_two_destinations_on_one_device_count_once(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: a, kind: directory, path: ./a}\n  - {id: b, kind: directory, path: ./b}",
                           "a, b")
    with Catalog(profile.catalog_path) as catalog:
        assert [o.state for o in copy_pending(profile, catalog)] == ["verified", "verified"]
        assert catalog.verified_copies([run_id]) == {run_id: 1}


def test_a_copy_corrupted_on_its_way_is_caught_and_does_not_count(tmp_path, monkeypatch):
    """The medium returns other bytes than were written (a failing disk): the read-back says so."""
    profile, run_id = site(tmp_path, "  - {id: shelf, kind: directory, path: ./shelf}", "shelf", copies=1)
    from dse_tui.core.engine import readbehind

    real = readbehind.drop_range

    def failing_medium(fd, offset, length):  # the medium holds another byte by the time it is read back
        path = os.readlink(f"/proc/self/fd/{fd}")
        if path.endswith(".tar.zst") and "/shelf/" in path and offset == 0:
            out = os.open(path, os.O_RDWR)
            try:
                os.pwrite(out, bytes([os.pread(out, 1, 100)[0] ^ 0xFF]), 100)
                os.fsync(out)
            finally:
                os.close(out)
        real(fd, offset, length)

    monkeypatch.setattr(readbehind, "drop_range", failing_medium)
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
        assert outcome.state == "failed" and "read back" in outcome.message and "differs" in outcome.message
        assert catalog.verified_copies([run_id]) == {}
        assert catalog.copies_of(run_id)[0].state == "failed"


def test_errors_stay_with_their_destination_and_the_others_go_on(tmp_path, monkeypatch):
    (tmp_path / "not-a-folder").write_text("a file where a folder should be")
    profile, run_id = site(tmp_path, """\
  - {id: usb, kind: removable, uuid: 0000-DEAD}
  - {id: blocked, kind: directory, path: ./not-a-folder}
  - {id: nas, kind: ssh, host: 127.0.0.1, port: 1, path: /srv/backups}
  - {id: discs, kind: optical, path: ./discs, disc: cd}
  - {id: shelf, kind: directory, path: ./shelf}""", "usb, blocked, nas, discs, shelf")
    monkeypatch.setenv("PATH", _path_without("xorriso", tmp_path))
    with Catalog(profile.catalog_path) as catalog:
        outcomes = {o.destination: o for o in copy_pending(profile, catalog)}
    assert "0000-DEAD" in outcomes["usb"].message and "not plugged in" in outcomes["usb"].message
    assert outcomes["blocked"].state == "failed" and "not-a-folder" in outcomes["blocked"].message
    assert outcomes["nas"].state == "failed" and "127.0.0.1" in outcomes["nas"].message
    assert outcomes["discs"].state == "failed" and "xorriso is not installed" in outcomes["discs"].message
    assert outcomes["shelf"].state == "verified"


def test_a_full_destination_is_said_and_nothing_half_written_stays(tmp_path, monkeypatch):
    profile, run_id = site(tmp_path, "  - {id: shelf, kind: directory, path: ./shelf}", "shelf", copies=1)
    real = shutil.disk_usage
    monkeypatch.setattr(common_mod.shutil, "disk_usage",
                        lambda p: real(p)._replace(free=1000) if "shelf" in str(p) else real(p))
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
    assert outcome.state == "failed" and "1000 bytes free" in outcome.message
    assert not any(p.name.startswith(".tmp-") for p in (tmp_path / "shelf" / "t" / "docs").iterdir())


def _path_without(tool: str, tmp_path: Path) -> str:
    """PATH with every tool the copy needs but `tool`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in ("ssh", "zstd", "tar", "lsblk", "sha256sum", "bash"):
        found = shutil.which(name)
        if found and not (bin_dir / name).exists():
            (bin_dir / name).symlink_to(found)
    return str(bin_dir)


# ---------------------------------------------------------------------- removable disks

def test_lsblk_of_typical_usb_disks_is_understood():
    devices = parse_lsblk((FIXTURES / "lsblk-usb-stick.json").read_text())
    stick = find_volume(devices, None, "DSE-USB-01")
    assert stick.mountpoint == "/media/jaa/DSE-USB-01" and stick.removable and stick.model == "SanDisk Ultra"
    offsite = find_volume(devices, "A7C9E2D4-51F0-4B3A-8C61-0D2E4F9B7A35", None)
    assert offsite.label == "OFFSITE-2" and offsite.mountpoint is None and offsite.removable
    assert not find_volume(devices, "0b6d5c3e-7f7a-4e0e-9d5c-2f1a9c1e8a11", None).removable
    old = parse_lsblk((FIXTURES / "lsblk-old-util-linux.json").read_text())
    shelf = find_volume(old, "6A0C-77F2", None)
    assert shelf.mountpoint == "/mnt/shelf" and shelf.removable and shelf.size == 1000203837440
    assert not find_volume(old, "d2f1c0aa-1111-4c2b-9e0e-5a5a5a5a5a5a", None).removable


def test_this_machines_lsblk_is_read():
    devices = block_devices()
    raw = json.loads(subprocess.run(["lsblk", "--json", "-o", "NAME"], capture_output=True, text=True).stdout)

    def names(devs):
        return [n for d in devs for n in [d["name"], *names(d.get("children") or [])]]

    assert [d.name for d in devices] == names(raw["blockdevices"])


def test_a_removable_disk_is_copied_to_wherever_it_is_mounted_and_becomes_a_medium(tmp_path, monkeypatch):
    """lsblk's answer recorded (a USB stick mounted in a folder of the test): the copy path is real."""
    mount = tmp_path / "media" / "DSE-USB-01"
    mount.mkdir(parents=True)
    text = (FIXTURES / "lsblk-usb-stick.json").read_text().replace("/media/jaa/DSE-USB-01", str(mount))
    import dse_tui.core.destinations.devices as devices_mod

    monkeypatch.setattr(devices_mod, "block_devices", lambda: parse_lsblk(text))
    profile, run_id = site(tmp_path, "  - {id: usb, kind: removable, label: DSE-USB-01, location: safe in room 2}",
                           "usb", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
        assert outcome.state == "verified", outcome.message
        assert Path(outcome.path).parent == mount / "dse-tui" / "t" / "docs"
        (code,) = outcome.media
        medium = catalog.medium(code)
        assert medium.kind == "removable" and medium.volume == "5E2B-9C41" and medium.location == "safe in room 2"
        assert medium.expires_at is not None
        assert catalog.copies_of(run_id)[0].device == "vol:5E2B-9C41"


def test_a_good_run_is_copied_at_once_and_retention_keeps_what_is_not_stored(tmp_path, shm_dir):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    (tmp_path / "shelf").mkdir()
    profile = load_profile(write_profile(tmp_path, f"""\
site: {{id: t, name: Test}}
storage: {{root: ./backups, catalog: ./catalog.sqlite}}
destinations:
  - {{id: shelf, kind: directory, path: ./shelf}}
  - {{id: usb, kind: removable, label: NOT-HERE}}
  - {{id: ram, kind: directory, path: {shm_dir}}}
repositories:
  - {{id: docs, kind: config, driver: files, source: {{path: ./src}}, copies: 2, destinations: [shelf, usb],
     retention: {{daily: 1, weekly: 0, monthly: 0, yearly: 0}}}}
"""))
    first = run_repository(profile, profile.repository("docs"))
    assert first.state == "good"
    assert [(c["destination"], c["state"]) for c in first.copies] == [("shelf", "verified"), ("usb", "failed")]
    second = run_repository(profile, profile.repository("docs"))
    with Catalog(profile.catalog_path) as catalog:
        # One copy of two: the first run is "not stored", so retention (daily: 1) keeps it.
        assert not catalog.is_pruned(first.run_id)
        copy_pending(profile, catalog, to=["ram"], run_id=first.run_id)
        copy_pending(profile, catalog, to=["ram"], run_id=second.run_id)
    third = run_repository(profile, profile.repository("docs"))
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.is_pruned(first.run_id), "stored on two devices, past its retention: pruned"
        assert third.state == "good"


def test_a_copy_that_no_longer_matches_is_reported_and_stops_counting(tmp_path, shm_dir):
    from dse_tui.core.destinations.verify import verify_copy
    from tests.test_cli import dse

    profile, run_id = site(tmp_path, f"  - {{id: shelf, kind: directory, path: ./shelf}}\n"
                                     f"  - {{id: ram, kind: directory, path: {shm_dir}}}\n"
                                     f"  - {{id: discs, kind: optical, path: ./discs, capacity: 6M}}",
                           "shelf, ram, discs", size=5_000_000, copies=2)
    with Catalog(profile.catalog_path) as catalog:
        outcomes = {o.destination: o for o in copy_pending(profile, catalog)}
        assert catalog.verified_copies([run_id]) == {run_id: 3}
        good = [verify_copy(profile, catalog, catalog.copy(o.copy_id)).outcome for o in outcomes.values()]
        assert good == ["passed"] * 3
    # Bit rot on the shelf disk, and a disc image damaged where it waits to be burned.
    part = next(Path(outcomes["shelf"].path).glob("*.tar.zst"))
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0x01
    part.write_bytes(bytes(data))
    second_image = tmp_path / "discs" / f"{outcomes['discs'].media[1]}.iso"
    blob = bytearray(second_image.read_bytes())
    blob[len(blob) - 600_000] ^= 0xFF
    second_image.write_bytes(bytes(blob))
    result = dse("verify", "docs", "--copies", "--profile", str(profile.file), "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    by_dest = {c["destination"]: c for c in json.loads(result.stdout)}
    assert by_dest["shelf"]["outcome"] == "failed" and "no longer matches" in by_dest["shelf"]["message"]
    assert by_dest["discs"]["outcome"] == "failed"
    assert by_dest["ram"]["outcome"] == "passed"
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.verified_copies([run_id]) == {run_id: 1}
        assert catalog.copy(outcomes["shelf"].copy_id).state == "failed"
        # The run's own record is untouched by its copies' checks: still the one made after the run.
        assert catalog.last_verifications([run_id])[run_id].trigger == "after run"


def test_a_share_that_is_not_mounted_is_never_filled_on_the_local_disk(tmp_path):
    profile, run_id = site(tmp_path, "  - {id: nas, kind: directory, path: ./mnt/nas-share}", "nas", copies=1,
                           mounted=False)
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
    assert outcome.state == "failed" and "does not exist: is the disk or share of nas mounted?" in outcome.message
    assert not (tmp_path / "mnt").exists()


def test_copies_on_retired_media_stop_counting(tmp_path):
    from dse_tui.core.destinations.media import MediaError, retire

    profile, run_id = site(tmp_path, "  - {id: cd-a, kind: optical, path: ./a, disc: cd}\n"
                                     "  - {id: cd-b, kind: optical, path: ./b, disc: cd}", "cd-a, cd-b", copies=2)
    with Catalog(profile.catalog_path) as catalog:
        a, b = copy_pending(profile, catalog)
        assert catalog.verified_copies([run_id]) == {run_id: 2}
        retire(catalog, a.media[0], reason="cracked")
        assert catalog.verified_copies([run_id]) == {run_id: 1}
        assert catalog.last_status()["docs"].copies == 1
        with pytest.raises(MediaError, match="only verified copy"):
            retire(catalog, b.media[0])


def test_copies_of_a_run_pruned_here_are_still_verified(tmp_path):
    """Once retention removed the run from the storage, its copies are all there is: still checked."""
    from dse_tui.core.destinations.verify import due_copies, verify_copy
    from dse_tui.core.common.timeutil import utcnow

    profile, run_id = site(tmp_path, "  - {id: shelf, kind: directory, path: ./shelf}\n"
                                     "  - {id: discs, kind: optical, path: ./discs, capacity: 6M}", "shelf, discs",
                           size=5_000_000)
    with Catalog(profile.catalog_path) as catalog:
        outcomes = {o.destination: o for o in copy_pending(profile, catalog)}
        shutil.rmtree(catalog.run(run_id).artifact)
        catalog.mark_pruned(run_id)
        due = due_copies(profile, catalog, utcnow(), ["docs"])
        assert sorted(c.destination for c in due) == ["discs", "shelf"]
        assert [verify_copy(profile, catalog, c).outcome for c in due] == ["passed", "passed"]
        part = next(Path(outcomes["shelf"].path).glob("*.tar.zst"))
        part.write_bytes(part.read_bytes()[:-10])
        check = verify_copy(profile, catalog, catalog.copy(outcomes["shelf"].copy_id))
        assert check.outcome == "failed" and "no longer matches" in check.message


def test_a_removable_disk_mounted_elsewhere_later_is_found_again(tmp_path, monkeypatch):
    import dse_tui.core.destinations.devices as devices_mod
    from dse_tui.core.destinations.verify import verify_copy

    first, second = tmp_path / "media" / "jaa" / "STICK", tmp_path / "mnt" / "stick"
    first.mkdir(parents=True)
    text = (FIXTURES / "lsblk-usb-stick.json").read_text()
    monkeypatch.setattr(devices_mod, "block_devices",
                        lambda: parse_lsblk(text.replace("/media/jaa/DSE-USB-01", str(first))))
    profile, run_id = site(tmp_path, "  - {id: usb, kind: removable, uuid: 5E2B-9C41}", "usb", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog)
        assert outcome.state == "verified", outcome.message
        shutil.move(str(first), str(second))  # unplugged, plugged in again: mounted somewhere else
        monkeypatch.setattr(devices_mod, "block_devices",
                            lambda: parse_lsblk(text.replace("/media/jaa/DSE-USB-01", str(second))))
        assert verify_copy(profile, catalog, catalog.copy(outcome.copy_id)).outcome == "passed"
        monkeypatch.setattr(devices_mod, "block_devices",
                            lambda: parse_lsblk(text.replace('"uuid": "5E2B-9C41"', '"uuid": "0000-0000"')))
        check = verify_copy(profile, catalog, catalog.copy(outcome.copy_id))
        assert check.outcome == "inconclusive" and "not plugged in" in check.message
        assert catalog.copy(outcome.copy_id).state == "verified", "out of reach is not damaged"
        recorded = catalog.conn.execute("SELECT outcome FROM verifications WHERE copy_id = ? ORDER BY id DESC LIMIT 1",
                                        (outcome.copy_id,)).fetchone()[0]
        assert recorded == "inconclusive", "recorded as a verification that could not be made, not as cancelled"


def test_a_cancelled_copy_leaves_nothing_that_counts_and_a_stale_one_is_closed(tmp_path):
    import threading

    profile, run_id = site(tmp_path, "  - {id: shelf, kind: directory, path: ./shelf}\n"
                                     "  - {id: discs, kind: optical, path: ./discs, disc: cd}", "shelf, discs",
                           size=3_000_000, copies=1)
    cancel = threading.Event()
    with Catalog(profile.catalog_path) as catalog:
        stale = catalog.add_copy(run_id, "shelf", state="copying")  # a process killed mid-copy, earlier
        outcomes = copy_pending(profile, catalog, cancel=cancel, on_bytes=lambda dest, n: cancel.set())
        assert [o.state for o in outcomes] == ["cancelled"]  # the second destination is not started
        assert catalog.copy(stale).state == "failed" and "interrupted" in catalog.copy(stale).message
        assert catalog.verified_copies([run_id]) == {}
        leftovers = [p for p in (tmp_path / "shelf").rglob("*") if p.name.startswith(".tmp-")]
        assert leftovers == []


def test_a_run_missing_its_manifest_or_a_part_is_not_copied_and_says_why(tmp_path):
    """copy_run never raises for a damaged source: the outcome says what is missing."""
    from dse_tui.core.destinations.copies import copy_run

    profile, run_id = site(tmp_path, "  - {id: shelf, kind: directory, path: ./shelf}", "shelf", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        run = catalog.run(run_id)
        part = next(Path(run.artifact).glob("*.tar.zst"))
        part.rename(part.with_name("moved"))
        missing_part = copy_run(profile, catalog, run, profile.destinations["shelf"])
        assert missing_part.state == "failed" and "is missing from" in missing_part.message
        Path(run.manifest).unlink()
        missing_manifest = copy_run(profile, catalog, run, profile.destinations["shelf"])
        assert missing_manifest.state == "failed" and "manifest" in missing_manifest.message
        assert catalog.copies_of(run_id) == []


def test_a_killed_copys_temporary_is_removed_by_the_next_copy_found_by_its_lock(tmp_path):
    """Issue 16: stale temporaries are found by lock, not by a pid that another process may have now."""
    from dse_tui.core.engine.locks import TEMPORARIES

    profile, run_id = site(tmp_path, "  - {id: shelf, kind: directory, path: ./shelf}", "shelf", copies=1)
    with Catalog(profile.catalog_path) as catalog:
        name = Path(catalog.run(run_id).artifact).name
        beside = tmp_path / "shelf" / "t" / "docs"
        dead = beside / TEMPORARIES / f"{name}-{os.getpid()}"  # a live pid in its name: ours
        (dead / name).mkdir(parents=True)
        (dead / name / "docs.tar.zst").write_bytes(b"half a copy")
        (dead / ".lock").touch()  # its owner's lock, no longer held by anyone
        (outcome,) = copy_pending(profile, catalog)
        assert outcome.state == "verified", outcome.message
    assert not dead.exists(), "the dead copy's half is gone"
    assert sorted(p.name for p in beside.iterdir() if not p.name.startswith(".dse-tmp")) == [name]
