"""Encryption beyond the run itself: destinations that require it or encrypt a copy on its way, the key named on
discs and labels, the README's manual restore, and the profile's rules for who to encrypt to."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.engine.runner import run_repository
from tests.encryption_helpers import assert_no_plaintext, encrypted_profile, make_key, need
from tests.engine_helpers import manifest_of, profile_with


def test_a_destination_that_requires_encryption(tmp_path):
    """The profile refuses a plaintext repository copied there; a plaintext run made before the switch is
    refused at copy time with a clear message, an encrypted one goes."""
    from dse_tui.core.destinations.copies import copy_run
    from dse_tui.core.profile.problems import ConfigError

    identity, recipient, _ = make_key(tmp_path / "keys")
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "a.conf").write_text("x = 1\n")
    (tmp_path / "offsite").mkdir()
    dest = "destinations: [{id: offsite, kind: directory, path: ./offsite, require_encryption: true}]\n"
    keys = f"encryption: {{recipients: [{recipient}], identities: [{identity}]}}\n"
    with pytest.raises(ConfigError, match="offsite requires encryption"):
        profile_with(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}, "
                               "destinations: [offsite]}", dest + keys)
    plain_profile = profile_with(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}}", dest + keys)
    plain = run_repository(plain_profile, plain_profile.repository("cfg"))
    assert plain.state == "good"
    profile = profile_with(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}, encrypt: true, "
                                     "destinations: [offsite]}", dest + keys)
    encrypted = run_repository(profile, profile.repository("cfg"))
    assert encrypted.state == "good" and encrypted.copies[0]["state"] == "verified", encrypted.copies[0]["message"]
    with Catalog(profile.catalog_path) as catalog:
        refused = copy_run(profile, catalog, catalog.run(plain.run_id), profile.destinations["offsite"])
        assert refused.state == "failed" and "requires encryption" in refused.message
        assert not any(c.destination == "offsite" for c in catalog.copies_of(plain.run_id))
    assert not list((tmp_path / "offsite").rglob(f"*-r{plain.run_id}"))


def test_encrypt_without_recipients_is_a_profile_error(tmp_path):
    from dse_tui.core.profile.problems import ConfigError

    (tmp_path / "cfg").mkdir()
    with pytest.raises(ConfigError, match=r"repositories\[0\].*no one to encrypt to"):
        profile_with(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}, encrypt: true}")
    with pytest.raises(ConfigError, match=r"destinations\[0\].*no one to encrypt to"):
        profile_with(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}}",
                     "destinations: [{id: off, kind: directory, path: ./o, encrypt: true}]\n")
    with pytest.raises(ConfigError, match="age public key"):
        profile_with(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}, "
                               "recipients: [AGE-SECRET-KEY-1XYZ]}")


def readme_block(marker: str) -> str:
    """The shell block after `marker` in the operator's guide (docs/operator.md), where the README's restore went."""
    text = (Path(__file__).parent.parent / "docs" / "operator.md").read_text()
    after = text[text.index(marker):]
    return after.split("```sh\n", 1)[1].split("```", 1)[0]


def test_the_readmes_manual_restore_works_on_a_real_artifact(tmp_path):
    """The README's block, run as written with bash in a copy of a real encrypted run, with an identity.txt
    typed as from the recovery sheet: only age, zstd and tar."""
    need("age", "zstd", "tar")
    identity, recipient, secret = make_key(tmp_path / "keys")
    tree = tmp_path / "www"
    (tree / "img").mkdir(parents=True)
    (tree / "index.html").write_text("<h1>Departamento</h1>\n")
    (tree / "img" / "logo.bin").write_bytes(bytes(range(256)) * 300)
    profile = encrypted_profile(tmp_path, "{id: www, kind: web, driver: files, source: {path: ./www}, encrypt: true}",
                                identity, recipient)
    outcome = run_repository(profile, profile.repository("www"))
    assert outcome.state == "good", outcome.message
    work = tmp_path / "disc"
    shutil.copytree(outcome.artifact, work)
    (work / "identity.txt").write_text(secret + "\n")
    block = readme_block("<!-- manual-restore:")
    assert "age -d -i identity.txt" in block
    done = subprocess.run(["bash", "-e", "-c", block], cwd=work, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (work / "plain").iterdir()) == ["audit-log.jsonl", "www.tar"]
    out = tmp_path / "restored"
    out.mkdir()
    subprocess.run(["tar", "-xf", str(work / "plain" / "www.tar"), "-C", str(out)], check=True)
    assert (out / "index.html").read_text() == (tree / "index.html").read_text()
    assert (out / "img" / "logo.bin").read_bytes() == (tree / "img" / "logo.bin").read_bytes()


def test_keys_list_and_labels_name_the_key_of_what_a_disc_holds(tmp_path):
    """An encrypted run copied onto a disc image: `keys list` names the run and the medium, the label the
    key id (never the key), and the image holds no plaintext."""
    from dse_tui.core.labels.content import labels_for, text_lines
    from tests.test_cli import dse

    need("xorriso")
    identity, recipient, secret = make_key(tmp_path / "keys")
    marker = f"exam-{uuid.uuid4().hex}".encode()
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "exam.txt").write_bytes(marker * 50)
    profile = encrypted_profile(
        tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}, encrypt: true, destinations: [discs]}",
        identity, recipient, "destinations: [{id: discs, kind: optical, path: ./discs, disc: cd}]\n")
    outcome = run_repository(profile, profile.repository("cfg"))
    assert outcome.state == "good" and outcome.copies[0]["state"] == "verified", outcome.copies
    (code,) = outcome.copies[0]["media"]
    kid = manifest_of(outcome)["encryption"]["recipients"][0]["key_id"]
    listed = dse("keys", "list", "--json", "--dir", str(tmp_path / "keys"), "--profile", str(profile.file))
    assert listed.returncode == 0, listed.stderr
    row = next(r for r in json.loads(listed.stdout) if r["key_id"] == kid)
    assert row["runs"] == [outcome.run_id] and row["media"] == [code]
    with Catalog(profile.catalog_path) as catalog:
        (label,) = labels_for(profile, catalog, [code])
    lines = text_lines(label)
    assert any(kid in line for line in lines) and not any(secret in line or recipient in line for line in lines)
    (image,) = (tmp_path / "discs").rglob("*.iso")
    assert marker not in image.read_bytes()


@pytest.mark.parametrize("defaults, repo, encrypted", [
    ("{encrypt: false}", "recipients: [R]", True),  # the repository naming its keys asks for it
    ("{encrypt: false, recipients: [R]}", "copies: 0", False),  # the defaults say no
    ("{recipients: [R]}", "copies: 0", True),
    ("{encrypt: true}", "encrypt: false", False),
    ("{}", "copies: 0", False),
])
def test_encrypt_and_recipients_from_defaults_and_repository_agree(tmp_path, defaults, repo, encrypted):
    """The check and the build read `encrypt`/`recipients` the same way: a destination that requires
    encryption is refused exactly when the built repository would not be encrypted."""
    from dse_tui.core.profile.problems import ConfigError

    recipient = "age183tkzznu8nylhmne3djz05jdjhthcesj9cqqp4z3fs8n4pzmmf5qycvvca"
    (tmp_path / "cfg").mkdir(exist_ok=True)
    repo_yaml = "{id: cfg, kind: config, driver: files, source: {path: ./cfg}, " + repo.replace("R", recipient) + "}"
    extra = (f"encryption: {{recipients: [{recipient}]}}\ndefaults: {defaults.replace('R', recipient)}\n"
             "destinations: [{id: offsite, kind: directory, path: ./o, require_encryption: true}]\n")
    assert profile_with(tmp_path, repo_yaml, extra).repositories[0].encrypted == encrypted
    strict = repo_yaml[:-1] + ", destinations: [offsite]}"
    if encrypted:
        assert profile_with(tmp_path, strict, extra).repositories[0].encrypted
    else:
        with pytest.raises(ConfigError, match="requires encryption"):
            profile_with(tmp_path, strict, extra)


def test_a_bad_destination_id_with_require_encryption_is_a_profile_error_not_a_crash(tmp_path):
    from dse_tui.core.profile.problems import ConfigError

    (tmp_path / "cfg").mkdir()
    with pytest.raises(ConfigError, match=r"destinations\[0\]\.id"):
        profile_with(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}, destinations: [off]}",
                     "destinations: [{id: off, kind: directory, path: ./o, require_encryption: true}]\n")


def test_a_destination_that_encrypts_on_the_way(tmp_path):
    """A plaintext run copied to a destination with `encrypt: true`: the copy is age files with their own
    manifest (the run's twin), verified now and later against it, opened by the README's manual restore;
    the run here stays as it was. The same destination may require encryption: it satisfies it itself."""
    from dse_tui.core.destinations.verify import verify_copy
    from dse_tui.core.labels.content import labels_for, text_lines
    from tests.test_cli import dse

    need("xorriso")
    identity, recipient, secret = make_key(tmp_path / "keys")
    marker = f"dni-{uuid.uuid4().hex}".encode()
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "people.csv").write_bytes(marker * 100)
    (tmp_path / "offsite").mkdir()
    profile = profile_with(
        tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}, destinations: [offsite, discs]}",
        f"encryption: {{recipients: [{recipient}], identities: [{identity}]}}\n"
        "destinations:\n"
        "  - {id: offsite, kind: directory, path: ./offsite, encrypt: true, require_encryption: true}\n"
        "  - {id: discs, kind: optical, path: ./discs, disc: cd, encrypt: true}\n")
    outcome = run_repository(profile, profile.repository("cfg"))
    assert outcome.state == "good", outcome.message
    assert [c["state"] for c in outcome.copies] == ["verified", "verified"], outcome.copies
    assert not manifest_of(outcome).get("encryption"), "the run here stays plaintext"
    assert not (profile.storage_root / ".encrypted").exists() or not any((profile.storage_root / ".encrypted").iterdir())
    copy_dir = Path(outcome.copies[0]["path"])
    assert_no_plaintext(copy_dir, [marker])
    twin = json.loads((copy_dir / "manifest.json").read_text())
    run_sha = hashlib.sha256(Path(outcome.manifest).read_bytes()).hexdigest()
    assert twin["encrypted_copy_of"]["manifest_sha256"] == run_sha
    assert [p["plaintext_sha256"] for p in twin["parts"]] == [p["sha256"] for p in manifest_of(outcome)["parts"]]
    (image,) = (tmp_path / "discs").rglob("*.iso")
    assert marker not in image.read_bytes()
    with Catalog(profile.catalog_path) as catalog:
        copies = catalog.copies_of(outcome.run_id)
        assert all(c.key_ids for c in copies) and not catalog.run(outcome.run_id).encrypted
        assert [verify_copy(profile, catalog, c).outcome for c in copies] == ["passed", "passed"]
        code = outcome.copies[1]["media"][0]
        (label,) = labels_for(profile, catalog, [code])
        assert any(copies[0].key_ids in line for line in text_lines(label))
        assert label.manifest == copies[1].sha256[:8], "the hash of the manifest on the disc: the twin's"
        part = next(copy_dir.glob("*.tar.zst.age"))
        data = bytearray(part.read_bytes())
        data[len(data) // 2] ^= 1
        part.write_bytes(bytes(data))
        assert verify_copy(profile, catalog, copies[0]).outcome == "failed"
    listed = json.loads(dse("keys", "list", "--json", "--dir", str(tmp_path / "keys"), "--profile",
                            str(profile.file)).stdout)
    assert [r["media"] for r in listed if r["key_id"] == copies[0].key_ids] == [[code]]
    # The disc, opened as on the worst day: its files and the README's commands.
    disc = tmp_path / "disc"
    subprocess.run(["xorriso", "-osirrox", "on", "-indev", f"stdio:{image}", "-extract", "/", str(disc)],
                   check=True, capture_output=True)
    subprocess.run(["chmod", "-R", "u+w", str(disc)], check=True)
    (disc / "identity.txt").write_text(secret + "\n")
    done = subprocess.run(["bash", "-e", "-c", readme_block("<!-- manual-restore:")], cwd=disc, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "restored"
    out.mkdir()
    subprocess.run(["tar", "-xf", str(disc / "plain" / "cfg.tar"), "-C", str(out)], check=True)
    assert (out / "people.csv").read_bytes() == marker * 100
