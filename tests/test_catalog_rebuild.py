"""The catalog survives the machine: backed up as a repository (storage.catalog_backup: dse-catalog), and
made again on a fresh data directory by `dse-tui catalog rebuild --from PLACE…` from the copies on a folder
and a removable disk: the same runs, copies and media, an intact event log, and what is newer than the
catalog backup recovered from its manifest and said."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dse_tui.cli import main
from dse_tui.core.catalog import Catalog
from dse_tui.core.engine.hosts import this_host
from dse_tui.core.destinations.copies import copy_pending
from dse_tui.core.destinations.devices import parse_lsblk
from dse_tui.core.engine.runner import run_repository
from dse_tui.core.profile.config import load_profile
from dse_tui.core.profile.problems import ConfigError
from dse_tui.core.records.audit import verify_chain
from tests.catalog_backend import ON_POSTGRESQL
from tests.conftest import write_profile
from tests.copy_helpers import site

FIXTURES = Path(__file__).parent / "fixtures"
DESTINATIONS = "  - {id: nas, kind: directory, path: ./nas}\n  - {id: usb, kind: removable, label: DSE-USB-01}"
BACKUP = "catalog_backup: {destinations: [nas, usb], copies: 2}"
# `catalog rebuild` makes an SQLite catalog from SQLite catalog backups; a PostgreSQL catalog's backup is its
# pg_dump, restored with pg_restore (the rebuild says so): these sites' catalogs must be SQLite files.
rebuilds_sqlite = pytest.mark.skipif(ON_POSTGRESQL, reason="catalog rebuild makes and reads SQLite catalogs")


def with_catalog_backup(profile, setting: str = BACKUP):
    text = profile.file.read_text().replace("catalog: ./catalog.sqlite}", f"catalog: ./catalog.sqlite, {setting}}}")
    return load_profile(write_profile(profile.file.parent, text))


def good_run(profile, repo_id: str) -> int:
    outcome = run_repository(profile, profile.repository(repo_id))
    assert outcome.state == "good", outcome.message
    assert all(c["state"] == "verified" for c in outcome.copies), outcome.copies
    return outcome.run_id


@pytest.fixture
def usb(tmp_path, monkeypatch) -> Path:
    """A USB stick (lsblk's recorded answer) mounted in a folder of the test."""
    mount = tmp_path / "media" / "DSE-USB-01"
    mount.mkdir(parents=True)
    text = (FIXTURES / "lsblk-usb-stick.json").read_text().replace("/media/jaa/DSE-USB-01", str(mount))
    import dse_tui.core.destinations.devices as devices_mod

    monkeypatch.setattr(devices_mod, "block_devices", lambda: parse_lsblk(text))
    return mount


def state_of(catalog: Catalog, repos=("docs", "dse-catalog")) -> dict:
    """Runs, copies and media as the catalog's API gives them (a manifest's times are to the second)."""
    runs = sorted((r.id, r.repository, r.state, r.started_at.replace(microsecond=0), r.size, r.sha256)
                  for key in repos for r in catalog.recent_runs(key, 100))
    copies = sorted((c.run_id, c.destination, c.path, c.state, c.sha256, c.device,
                     tuple(catalog.medium(m.medium_id).code for m in catalog.copy_media(c.id)))
                    for run in runs for c in catalog.copies_of(run[0]))
    media = sorted((m.code, m.kind, m.state, m.volume, m.destination) for m in catalog.media())
    return {"runs": runs, "copies": copies, "media": media}


@pytest.fixture
def lost_site(tmp_path, usb, monkeypatch):
    """Two runs of docs copied onto a folder and a USB disk (a medium), a catalog backup copied there too,
    one more run of docs after it; then the machine is lost: its backups folder and catalog are gone, and a
    fresh data and config directory (no catalog, no profile) is what is left."""
    old = tmp_path / "old"
    old.mkdir()
    profile, first = site(old, DESTINATIONS, "nas, usb")
    with Catalog(profile.catalog_path) as catalog:
        assert {o.state for o in copy_pending(profile, catalog)} == {"verified"}
    (old / "src" / "notes.txt").write_text("changed on Monday\n")
    second = good_run(profile, "docs")
    profile = with_catalog_backup(profile)
    backup = good_run(profile, "dse-catalog")
    (old / "src" / "notes.txt").write_text("changed on Tuesday, after the catalog backup\n")
    late = good_run(profile, "docs")
    with Catalog(profile.catalog_path) as catalog:
        before = state_of(catalog)
        assert len(before["runs"]) == 4 and len(before["copies"]) == 8 and len(before["media"]) == 1
    shutil.rmtree(old / "backups")
    for f in old.glob("catalog.sqlite*"):
        f.unlink()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "fresh" / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "fresh" / "config"))
    return {"profile": profile, "before": before, "places": [old / "nas", usb / "dse-tui"],
            "runs": (first, second, backup, late), "catalog": tmp_path / "fresh" / "data" / "dse-tui" / "catalog-t.sqlite"}


def rebuild_args(places) -> list[str]:
    return ["catalog", "rebuild"] + [a for p in places for a in ("--from", str(p))]


@rebuilds_sqlite
def test_rebuild_from_the_copies_gives_back_the_runs_copies_media_and_an_intact_log(lost_site, capsys):
    first, second, backup, late = lost_site["runs"]
    assert main(rebuild_args(lost_site["places"])) == 0
    out = capsys.readouterr().out
    assert f"base: the catalog backup of run {backup}" in out
    assert f"run {backup}: completed from its manifest" in out
    assert f"run {late}: recovered from its manifest (newer than the catalog backup)" in out
    assert "not recovered: after the catalog backup" in out
    with Catalog(lost_site["catalog"]) as catalog:
        assert state_of(catalog) == lost_site["before"]
        count, breaks = verify_chain(catalog)
        assert not breaks and count > 0
        assert catalog.run(late).message.startswith("recovered from ")
        assert catalog.is_pruned(late)  # its folder was on the lost disk: what is left are its copies
        assert catalog.run(late).host == this_host(), "the host that made it, from its manifest"
        actions = [e["action"] for e in catalog.events(1000)]
        assert "catalog rebuilt" in actions and actions.count("run recovered") == 2
        # The log goes on past the backup with what the late run carried: its own start among it.
        assert any(e["action"] == "run started" and json.loads(e["detail"])["run_id"] == late
                   for e in catalog.events(1000))
    # The new machine's profile (the same site) finds the rebuilt catalog, and `audit verify` passes.
    fresh = lost_site["profile"].file.read_text().replace("catalog: ./catalog.sqlite", f"catalog: {lost_site['catalog']}")
    profile = write_profile(lost_site["catalog"].parent.parent.parent / "site", fresh)
    assert main(["--profile", str(profile), "audit", "verify"]) == 0
    assert "hash chain is intact" in capsys.readouterr().out


@rebuilds_sqlite
def test_without_the_catalog_backup_the_runs_are_recovered_and_the_loss_said(lost_site, capsys):
    first, second, backup, late = lost_site["runs"]
    for place in lost_site["places"]:
        shutil.rmtree(place / "t" / "dse-catalog")
    assert main(rebuild_args(lost_site["places"])) == 0
    out = capsys.readouterr().out
    assert "no usable catalog backup among the places" in out
    with Catalog(lost_site["catalog"]) as catalog:
        assert [r.id for r in catalog.recent_runs("docs")] == [late, second, first]
        # The runs' own logs still carry the log from its start: the medium the copies made comes back.
        assert [m.code for m in catalog.media()] == [m[0] for m in lost_site["before"]["media"]]
        assert not verify_chain(catalog)[1] and catalog.last_event_id() > 10


@rebuilds_sqlite
def test_a_catalog_that_holds_records_is_not_overwritten_unless_forced(lost_site, capsys):
    assert main(rebuild_args(lost_site["places"])) == 0
    with Catalog(lost_site["catalog"]) as catalog:
        catalog.record_event("note", "ok", detail={"text": "written on the new machine"})
    capsys.readouterr()
    assert main(rebuild_args(lost_site["places"])) == 3
    assert "holds records" in capsys.readouterr().err
    with Catalog(lost_site["catalog"]) as catalog:
        assert next(catalog.events(1))["action"] == "note"
    assert main(rebuild_args(lost_site["places"]) + ["--force"]) == 0
    (aside,) = lost_site["catalog"].parent.glob("catalog-t.sqlite.before-rebuild-*")
    assert f"kept as {aside}" in capsys.readouterr().out
    with Catalog(aside, readonly=True) as kept:
        assert next(kept.events(1))["action"] == "note"
    with Catalog(lost_site["catalog"]) as catalog:
        assert next(catalog.events(1))["action"] == "catalog rebuilt"


def test_the_catalog_backup_refuses_a_catalog_whose_log_is_broken(tmp_path):
    profile, _ = site(tmp_path, "  - {id: nas, kind: directory, path: ./nas}", "nas", copies=1)
    profile = with_catalog_backup(profile, "catalog_backup: {destinations: [nas], copies: 1}")
    with Catalog(profile.catalog_path) as catalog:
        # An event edited behind the catalog's back, as the audit tests do.
        catalog.conn.execute("UPDATE events SET operator = 'mallory' WHERE id = 2")
    outcome = run_repository(profile, profile.repository("dse-catalog"))
    assert outcome.state == "failed" and "hash chain does not verify in the copy" in outcome.message


def test_the_catalog_backup_is_one_more_repository_with_its_copy_and_its_checks(tmp_path):
    profile, _ = site(tmp_path, "  - {id: nas, kind: directory, path: ./nas}", "nas", copies=1)
    profile = with_catalog_backup(profile, "catalog_backup: {periodicity: 6h, destinations: [nas], copies: 1}")
    repo = profile.repository("dse-catalog")
    assert (repo.driver, repo.kind, repo.verify, repo.source["path"]) == ("catalog", "config", "structure",
                                                                         profile.catalog_path)
    run_id = good_run(profile, "dse-catalog")
    with Catalog(profile.catalog_path) as catalog:
        run = catalog.run(run_id)
        (check,) = [c for c in catalog.verifications(run_id, 1)[0].checks if c["name"].startswith("event chain")]
        assert check["ok"], check
        assert catalog.verified_copies([run_id]) == {run_id: 1}
    manifest = json.loads(Path(run.manifest).read_text())
    assert manifest["catalog"]["last_event_id"] > 0 and manifest["tables"]["runs"] == 2


@pytest.mark.parametrize("setting, problem", [
    ("catalog_backup: {destinations: [nowhere]}", "unknown destination 'nowhere'"),
    ("catalog_backup: {verify: always}", "verify"),
])
def test_the_catalog_backup_setting_is_checked(tmp_path, setting, problem):
    profile, _ = site(tmp_path, "  - {id: nas, kind: directory, path: ./nas}", "nas", copies=1)
    with pytest.raises(ConfigError, match=problem):
        with_catalog_backup(profile, setting)


def test_no_repository_of_the_site_may_take_the_catalogs_id(tmp_path):
    profile, _ = site(tmp_path, "  - {id: nas, kind: directory, path: ./nas}", "nas", copies=1)
    text = profile.file.read_text().replace("id: docs,", "id: dse-catalog,")
    with pytest.raises(ConfigError, match="the catalog's own repository"):
        load_profile(write_profile(tmp_path, text.replace("catalog: ./catalog.sqlite}",
                                                          "catalog: ./catalog.sqlite, catalog_backup: {}}")))


@rebuilds_sqlite
def test_media_first_written_after_the_catalog_backup_come_back_with_their_copies(tmp_path, usb, monkeypatch,
                                                                                 capsys):
    """A second disk and a set of two disc images were first written after the catalog backup: the log the
    late run carried names them, and the copies found on them are linked to them again."""
    offsite = tmp_path / "media" / "OFFSITE-2"
    offsite.mkdir(parents=True)
    devices = json.loads((FIXTURES / "lsblk-usb-stick.json").read_text().replace("/media/jaa/DSE-USB-01", str(usb)))
    devices["blockdevices"][2]["children"][0]["mountpoint"] = str(offsite)
    import dse_tui.core.destinations.devices as devices_mod

    monkeypatch.setattr(devices_mod, "block_devices", lambda: parse_lsblk(json.dumps(devices)))
    old = tmp_path / "old"
    old.mkdir()
    more = (DESTINATIONS + "\n  - {id: offsite, kind: removable, label: OFFSITE-2}"
            "\n  - {id: discs, kind: optical, path: ./discs, capacity: 4250K}")
    profile, first = site(old, more, "nas, usb")
    with Catalog(profile.catalog_path) as catalog:
        assert {o.state for o in copy_pending(profile, catalog)} == {"verified"}
    profile = with_catalog_backup(profile)
    good_run(profile, "dse-catalog")
    text = profile.file.read_text().replace("destinations: [nas, usb]}", "destinations: [nas, usb, offsite, discs]}")
    profile = load_profile(write_profile(old, text))
    late = good_run(profile, "docs")
    (old / "src" / "notes.txt").write_text("changed once more\n")
    profile = load_profile(write_profile(old, text.replace("destinations: [nas, usb, offsite, discs]}",
                                                           "destinations: [nas]}")))
    good_run(profile, "docs")  # its log carries the media the late run's copies made
    with Catalog(profile.catalog_path) as catalog:
        before = state_of(catalog)
        (disc_copy,) = [c for c in catalog.copies_of(late) if c.destination == "discs"]
        images = [Path(cm.path) for cm in catalog.copy_media(disc_copy.id)]
        assert len(images) == 2 and len(before["media"]) == 4
    elsewhere = tmp_path / "second-disc"  # the set's second disc was burned and read in another folder
    elsewhere.mkdir()
    images[1].rename(elsewhere / images[1].name)
    shutil.rmtree(old / "backups")
    for f in old.glob("catalog.sqlite*"):
        f.unlink()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "fresh"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "fresh-config"))
    places = [old / "nas", usb / "dse-tui", offsite / "dse-tui", old / "discs", elsewhere]
    assert main(rebuild_args(places)) == 0
    out = capsys.readouterr().out
    new_codes = sorted(m[0] for m in before["media"])[1:]
    assert all(f"medium {code}: back in the inventory" in out for code in new_codes), out
    with Catalog(tmp_path / "fresh" / "dse-tui" / "catalog-t.sqlite") as catalog:
        after = state_of(catalog)
        assert not verify_chain(catalog)[1]
    assert after == before


@rebuilds_sqlite
def test_a_catalog_backup_encrypted_on_its_way_is_used_with_its_identity(tmp_path, monkeypatch, capsys):
    """Only the safe's copies are left, encrypted on their way there: without the identity the backup
    cannot be the base (and it says so); with the recovery sheet's identity it is."""
    from tests.encryption_helpers import make_key

    identity, recipient, _ = make_key(tmp_path / "sheet")
    dests = f"  - {{id: nas, kind: directory, path: ./nas}}\n  - {{id: safe, kind: directory, path: ./safe, recipients: [{recipient}]}}"
    old = tmp_path / "old"
    old.mkdir()
    profile, first = site(old, dests, "nas, safe")
    profile = with_catalog_backup(profile, "catalog_backup: {destinations: [nas, safe], copies: 2}")
    backup = good_run(profile, "dse-catalog")
    shutil.rmtree(old / "backups")
    shutil.rmtree(old / "nas")
    for f in old.glob("catalog.sqlite*"):
        f.unlink()
    target = tmp_path / "new" / "catalog.sqlite"
    # The new machine has the site's profile back (from its repository of configuration), naming the safe.
    mine = write_profile(old, profile.file.read_text().replace("catalog: ./catalog.sqlite", f"catalog: {target}"),
                         "new-machine.yaml")
    args = ["--profile", str(mine)] + rebuild_args([old / "safe"])
    assert main(args) == 0
    assert f"the catalog backup of run {backup} at" in capsys.readouterr().out
    assert main(args + ["--force", "--identity", str(identity)]) == 0
    out = capsys.readouterr().out
    assert f"base: the catalog backup of run {backup}" in out and f"run {backup}: completed" in out
    with Catalog(target) as catalog:
        assert catalog.run(first).state == "good" and not verify_chain(catalog)[1]
        (copy,) = [c for c in catalog.copies_of(backup) if c.destination == "safe"]
        assert copy.key_ids and copy.path.startswith(str(old / "safe"))


def test_a_rebuild_into_a_postgresql_catalog_says_how_to_get_there(tmp_path, capsys):
    body = "site: {id: t, name: T}\nstorage: {root: ./b, catalog: 'postgresql://dse@127.0.0.1:5432/dse'}\n"
    profile = write_profile(tmp_path, body)
    assert main(["--profile", str(profile), "catalog", "rebuild", "--from", str(tmp_path)]) == 3
    err = capsys.readouterr().err
    assert "catalog rebuild makes an SQLite catalog, not postgresql://dse@127.0.0.1:5432/dse" in err
    assert "dse-tui catalog migrate --catalog FILE --to URL" in err


def test_a_postgresql_catalogs_dump_is_not_taken_for_a_base_and_the_way_to_use_it_is_said(tmp_path):
    from types import SimpleNamespace

    from dse_tui.core.records.rebuild import _try_base

    dump = SimpleNamespace(manifest={"parts": [{"file": "catalog.pgdump.zst"}]})
    why = _try_base(tmp_path / "catalog.sqlite", dump, tmp_path, None)
    assert "PostgreSQL catalog's dump (catalog.pgdump.zst)" in why and "pg_restore --no-owner -d URL" in why
