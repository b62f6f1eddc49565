"""Encryption with age: every driver's round trip with encryption on, no plaintext in what is written, the
identity kept out of argv, a missing or wrong identity named by its key id, passphrase-protected identities.
Destinations that require or apply encryption, and the profile's rules: test_encryption_copies.py."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.keys.crypto import Keyring
from dse_tui.core.restore.run import RestoreError, plan, restore
from dse_tui.core.engine.runner import run_repository
from dse_tui.core.verification.runs import verify_run
from tests.encryption_helpers import assert_no_plaintext, encrypted_profile, make_key
from tests.engine_helpers import ProcWatcher, failed_checks, manifest_of, profile_with
from tests.test_engine_databases import psql
from tests.test_verify_databases import maria


def decrypt(path: Path, identity: Path) -> bytes:
    return subprocess.run(["age", "-d", "-i", str(identity), str(path)], check=True, capture_output=True).stdout


def check_plaintext_digests(run_dir: Path, identity: Path) -> None:
    for part in json.loads((run_dir / "manifest.json").read_text())["parts"]:
        plain = decrypt(run_dir / part["file"], identity)
        assert hashlib.sha256(plain).hexdigest() == part["plaintext_sha256"]
        assert len(plain) == part["plaintext_size"]
        assert hashlib.sha256((run_dir / part["file"]).read_bytes()).hexdigest() == part["sha256"]


def round_trip(profile, repo_id: str, identity: Path, secret: str, markers: list[bytes], target: str):
    """Run (verified at restore level), check the artifact, verify again, restore: the outcome of the restore."""
    with ProcWatcher() as watcher:
        outcome = run_repository(profile, profile.repository(repo_id))
        assert outcome.state == "good", outcome.message
        run_dir = Path(outcome.artifact)
        manifest = manifest_of(outcome)
        assert [r["recipient"] for r in manifest["encryption"]["recipients"]] == list(profile.repository(repo_id).recipients)
        assert_no_plaintext(run_dir, markers)
        check_plaintext_digests(run_dir, identity)
        with Catalog(profile.catalog_path) as catalog:
            run = catalog.run(outcome.run_id)
            assert run.key_ids == manifest["encryption"]["recipients"][0]["key_id"]
            result = verify_run(profile, catalog, run, level="restore", trigger="test")
            assert result.outcome == "passed", failed_checks(result)
            done = restore(profile, catalog, plan(profile, run, target))
            assert done.outcome == "done", done.message
    assert not any(secret in c for c in watcher.cmdlines), "the identity never reaches argv"
    return outcome


def test_files_round_trip_encrypted(tmp_path):
    identity, recipient, secret = make_key(tmp_path / "keys")
    marker = f"student-record-{uuid.uuid4().hex}".encode()
    tree = tmp_path / "site"
    (tree / "sub").mkdir(parents=True)
    (tree / "grades.txt").write_bytes(marker + b"\n" * 10)
    (tree / "sub" / "big.txt").write_bytes(b"".join(b"%d %s\n" % (i, marker) for i in range(20000)))
    profile = encrypted_profile(tmp_path, "{id: web, kind: web, driver: files, source: {path: ./site}, verify: restore, "
                                          "encrypt: true}", identity, recipient)
    round_trip(profile, "web", identity, secret, [marker], str(tmp_path / "restored"))
    assert (tmp_path / "restored" / "grades.txt").read_bytes() == (tree / "grades.txt").read_bytes()
    assert (tmp_path / "restored" / "sub" / "big.txt").read_bytes() == (tree / "sub" / "big.txt").read_bytes()


def test_sqlite_round_trip_encrypted(tmp_path):
    import sqlite3

    identity, recipient, secret = make_key(tmp_path / "keys")
    marker = f"dni-{uuid.uuid4().hex}"
    with sqlite3.connect(tmp_path / "lib.sqlite") as db:
        db.execute("CREATE TABLE readers (name TEXT)")
        db.executemany("INSERT INTO readers VALUES (?)", [(f"{marker}-{i}",) for i in range(500)])
    profile = encrypted_profile(tmp_path, "{id: lib, kind: database, driver: sqlite, source: {path: ./lib.sqlite}, "
                                          "verify: restore, encrypt: true}", identity, recipient)
    round_trip(profile, "lib", identity, secret, [marker.encode()], str(tmp_path / "restored.sqlite"))
    with sqlite3.connect(tmp_path / "restored.sqlite") as db:
        assert db.execute("SELECT count(*) FROM readers WHERE name LIKE ?", (f"{marker}%",)).fetchone()[0] == 500


def test_git_round_trip_encrypted(tmp_path):
    identity, recipient, secret = make_key(tmp_path / "keys")
    marker = f"timetable-secret-{uuid.uuid4().hex}"
    src = tmp_path / "proj"
    subprocess.run(["git", "init", "-q", "-b", "main", str(src)], check=True)
    (src / "README").write_text(marker + "\n")
    subprocess.run(["git", "-C", str(src), "add", "."], check=True)
    subprocess.run(["git", "-C", str(src), "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm",
                    f"commit {marker}"], check=True)
    profile = encrypted_profile(tmp_path, "{id: proj, kind: software, driver: git, source: {path: ./proj}, "
                                          "verify: restore, encrypt: true}", identity, recipient)
    round_trip(profile, "proj", identity, secret, [marker.encode()], str(tmp_path / "restored"))
    assert (tmp_path / "restored" / "README").read_text() == marker + "\n"


def test_postgresql_round_trip_encrypted(tmp_path, postgres_db):
    identity, recipient, secret = make_key(tmp_path / "keys")
    db = postgres_db["database"]
    marker = f"staff-{uuid.uuid4().hex}"
    psql(db, f"CREATE TABLE staff (name text); INSERT INTO staff SELECT '{marker}-' || g FROM generate_series(1, 800) g;")
    profile = encrypted_profile(tmp_path, f"{{id: pg, kind: database, driver: postgresql, source: {{host: 127.0.0.1, "
                                          f"port: 5432, user: postgres, databases: [{db}]}}, verify: restore, "
                                          f"encrypt: true}}", identity, recipient)
    restored = f"{db}_restored"
    try:
        round_trip(profile, "pg", identity, secret, [marker.encode()], restored)
        assert psql(restored, "SELECT count(*) FROM staff").strip() == "800"
    finally:
        psql("postgres", f"DROP DATABASE IF EXISTS {restored} WITH (FORCE)")


def test_mariadb_round_trip_encrypted_with_a_password(tmp_path, mariadb_db, mariadb_user, monkeypatch):
    """The option file with the password and the identity both travel by pipes: neither is in any argv."""
    identity, recipient, secret = make_key(tmp_path / "keys")
    db = mariadb_db["database"]
    user, password = mariadb_user
    marker = f"payroll-{uuid.uuid4().hex}"
    maria(mariadb_db, f"CREATE TABLE payroll (name TEXT); INSERT INTO payroll VALUES ('{marker}'), ('{marker}-2');", db)
    monkeypatch.setenv("DSE_TEST_MY_PASSWORD", password)
    profile = encrypted_profile(tmp_path, f"{{id: my, kind: database, driver: mysql, source: {{host: 127.0.0.1, "
                                          f"port: 3306, user: {user}, databases: [{db}], password_env: "
                                          f"DSE_TEST_MY_PASSWORD}}, verify: restore, encrypt: true}}",
                                identity, recipient)
    restored = f"{db}_restored"
    try:
        round_trip(profile, "my", identity, password, [marker.encode()], restored)
        assert maria(mariadb_db, "SELECT count(*) FROM payroll", restored).strip() == "2"
    finally:
        maria(mariadb_db, f"DROP DATABASE IF EXISTS {restored}")


def test_two_recipients_either_identity_opens_the_run(tmp_path):
    first, r1, _ = make_key(tmp_path / "keys", "first")
    second, r2, _ = make_key(tmp_path / "keys", "second")
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "a.conf").write_text("x = 1\n")
    profile = profile_with(tmp_path, f"{{id: cfg, kind: config, driver: files, source: {{path: ./cfg}}, "
                                     f"recipients: [{r1}, {r2}]}}", f"encryption: {{identities: [{second}]}}")
    outcome = run_repository(profile, profile.repository("cfg"))
    assert outcome.state == "good", outcome.message
    assert len(manifest_of(outcome)["encryption"]["recipients"]) == 2
    for identity in (first, second):
        with Catalog(profile.catalog_path) as catalog:
            result = verify_run(profile, catalog, catalog.run(outcome.run_id), level="restore",
                                keyring=Keyring([identity]))
        assert result.outcome == "passed", failed_checks(result)


def test_a_missing_or_wrong_identity_is_named_by_the_key_it_needs(tmp_path):
    identity, recipient, _ = make_key(tmp_path / "keys", "right")
    wrong, _, _ = make_key(tmp_path / "keys", "wrong")
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "a.conf").write_text("x = 1\n")
    profile = encrypted_profile(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}, "
                                          "encrypt: true}", identity, recipient)
    outcome = run_repository(profile, profile.repository("cfg"))
    assert outcome.state == "good", outcome.message
    kid = manifest_of(outcome)["encryption"]["recipients"][0]["key_id"]
    with Catalog(profile.catalog_path) as catalog:
        run = catalog.run(outcome.run_id)
        checksum = verify_run(profile, catalog, run, level="checksum", keyring=Keyring([]))
        assert checksum.outcome == "passed", "checksum needs no identity: it reads what was written"
        result = verify_run(profile, catalog, run, level="structure", keyring=Keyring([wrong]))
        assert result.outcome == "inconclusive", "a key not at hand says nothing of the backup"
        assert kid in result.message and "wrong.key" in result.message
        assert catalog.run(run.id).state == "good"
        with pytest.raises(RestoreError, match=kid):
            restore(profile, catalog, plan(profile, run, str(tmp_path / "out")), keyring=Keyring([]))
        assert not (tmp_path / "out").exists() and catalog.restores(run.id) == [], "nothing made, nothing recorded"
        typo = verify_run(profile, catalog, run, level="structure", keyring=Keyring([tmp_path / "idenity.key"]))
        assert typo.outcome == "inconclusive" and "idenity.key: No such file" in typo.message
    # An identity file that claims to be the key (a .pub beside it) but is not: age's refusal, with the key.
    from dse_tui.core.keys.crypto import protect

    lying = tmp_path / "lying"
    lying.mkdir()
    (lying / "x.pub").write_text(recipient + "\n")
    protected = lying / "x.key"
    protected.write_bytes(protect(wrong.read_text(), "correct horse"))
    with Catalog(profile.catalog_path) as catalog:
        result = verify_run(profile, catalog, catalog.run(outcome.run_id), level="structure",
                            keyring=Keyring([protected], passphrase="correct horse"))
    assert result.outcome == "inconclusive", result.message
    assert "no identity matched" in result.message and kid in result.message


def test_a_passphrase_protected_identity(tmp_path, monkeypatch):
    """keys init --passphrase-env: the identity file is age-encrypted; verification opens it with the
    passphrase from the profile's passphrase_env, and says so when it is not given."""
    from tests.test_cli import dse

    keys = tmp_path / "keys"
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "a.conf").write_text("x = 1\n")
    base = profile_with(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}}")
    made = dse("keys", "init", "--dir", str(keys), "--passphrase-env", "DSE_TEST_PASS", "--profile", str(base.file),
               env={"DSE_TEST_PASS": "a long passphrase"})
    assert made.returncode == 0, made.stderr
    (identity,) = keys.glob("*.key")
    assert identity.read_bytes().startswith(b"age-encryption.org/v1\n") and b"AGE-SECRET-KEY" not in identity.read_bytes()
    recipient = next(keys.glob("*.pub")).read_text().strip()
    monkeypatch.setenv("DSE_TEST_PASS", "a long passphrase")
    profile = profile_with(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}, encrypt: true}",
                           f"encryption: {{recipients: [{recipient}], identities: [{identity}], "
                           "passphrase_env: DSE_TEST_PASS}")
    outcome = run_repository(profile, profile.repository("cfg"))
    assert outcome.state == "good", outcome.message
    import dse_tui.core.keys.crypto as crypto

    assert "DSE_TEST_PASS" not in os.environ, "taken out of the environment: pg_dump, tar, age do not inherit it"
    monkeypatch.setattr(crypto, "_ENV_SECRETS", {})  # as a later process without it would be
    with Catalog(profile.catalog_path) as catalog:
        run = catalog.run(outcome.run_id)
        result = verify_run(profile, catalog, run, level="restore")
        assert result.outcome == "inconclusive" and "passphrase" in result.message
        wrong = verify_run(profile, catalog, run, level="restore", keyring=Keyring([identity], passphrase="nope"))
        assert wrong.outcome == "inconclusive" and "does not open" in wrong.message
        right = verify_run(profile, catalog, run, level="restore",
                           keyring=Keyring([identity], passphrase="a long passphrase"))
        assert right.outcome == "passed", failed_checks(right)


def test_an_encrypted_runs_audit_log_and_the_check_of_its_key(tmp_path, monkeypatch):
    """`audit verify --against` opens the run's encrypted copy of the log; `check` says whether the key's
    identity is here, and warns when deeper verifications would need one that is not."""
    from dse_tui.core.profile.check import check_keys
    from tests.test_cli import dse

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # not the machine user's keys folder
    identity, recipient, _ = make_key(tmp_path / "keys")
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "a.conf").write_text("x = 1\n")
    profile = encrypted_profile(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}, "
                                          "encrypt: true, verify: structure}", identity, recipient)
    run_repository(profile, profile.repository("cfg"))
    outcome = run_repository(profile, profile.repository("cfg"))
    part = Path(outcome.artifact) / "audit-log.jsonl.zst.age"
    checked = dse("audit", "verify", "--against", str(part), "--profile", str(profile.file))
    assert checked.returncode == 0 and f"matches {part}" in checked.stdout, checked.stdout + checked.stderr
    (finding,) = check_keys(profile)
    assert finding.level == "ok" and str(identity) in finding.message
    no_identity = profile_with(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}, "
                                         "encrypt: true, verify: structure}",
                               f"encryption: {{recipients: [{recipient}]}}")
    (finding,) = check_keys(no_identity)
    assert finding.level == "warn" and "inconclusive" in finding.message


def test_a_manual_backup_of_an_encrypted_repository_is_encrypted_too(tmp_path):
    """Files registered from a manual session go through the same stream: encrypted, then verified."""
    from dse_tui.core.sessions.checklists import repository_checklist, site_checklists
    from dse_tui.core.sessions.register import register_files
    from dse_tui.core.sessions.command import run_step_command
    from dse_tui.core.sessions.machine import start_session
    from tests.test_sessions import CHECKLIST

    identity, recipient, _ = make_key(tmp_path / "keys")
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "test-config.yaml").write_text(CHECKLIST)
    (tmp_path / "src").mkdir()
    marker = f"vpn-secret-{uuid.uuid4().hex}"
    (tmp_path / "src" / "vpn.conf").write_text(marker + "\n")
    profile = encrypted_profile(tmp_path, "{id: etc, kind: config, driver: files, source: {path: ./src}, "
                                          "checklist: test-config, verify: restore, encrypt: true}",
                                identity, recipient, "checklists: ./lists\n")
    repo = profile.repositories[0]
    with Catalog(profile.catalog_path) as catalog:
        s = start_session(catalog, profile, repo, repository_checklist(profile, repo, site_checklists(profile)))
        assert run_step_command(s, "make", repo, storage_root=profile.storage_root) == 0
        for step in ("first", "make"):
            s.tick(step)
        s.tick("count", "1")
        s.finish()
        outcome = register_files(profile, catalog, s.id, [str(profile.storage_root / ".manual" / f"etc-s{s.id}" / "etc.tar")])
        assert outcome.state == "good", outcome.message
        assert catalog.run(outcome.run_id).key_ids
    assert_no_plaintext(Path(outcome.artifact), [marker.encode()])
    assert manifest_of(outcome)["manual"]["files"][0]["part"] == "etc.tar.zst.age"


def test_a_protected_identity_does_not_hide_a_plain_one_that_opens_the_run(tmp_path):
    """Keys of two people: one's identity protected (no passphrase given, or a wrong one), the other's
    plain. The run is encrypted to both: the plain one opens it."""
    from dse_tui.core.keys.crypto import PassphraseNeeded, WrongPassphrase, protect

    first, r1, _ = make_key(tmp_path / "a", "a")
    second, r2, _ = make_key(tmp_path / "b", "b")
    (tmp_path / "a" / "a.key").write_bytes(protect(first.read_text(), "secret words"))
    (tmp_path / "a" / "a.pub").write_text(r1 + "\n")
    from dse_tui.core.keys.crypto import key_id

    both = [key_id(r1), key_id(r2)]
    assert "AGE-SECRET-KEY" in Keyring([tmp_path / "a" / "a.key", second]).secret_for(both)
    with pytest.raises(PassphraseNeeded):
        Keyring([tmp_path / "a" / "a.key"]).secret_for(both)
    # Protected and without a .pub: a wrong passphrase is said as such, not "no identity at hand".
    (tmp_path / "a" / "a.pub").unlink()
    with pytest.raises(WrongPassphrase):
        Keyring([tmp_path / "a" / "a.key"], passphrase="nope").secret_for(both)


def test_a_run_on_a_machine_without_the_key_is_good_and_its_deep_check_waits(tmp_path, monkeypatch):
    """The backup host needs only public keys. A run whose repository verifies at structure level is
    written, read back and hashed: good, copied, with its structure check inconclusive for want of the key
    (and the site's rules still applied) until a verification with the key."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    identity, recipient, _ = make_key(tmp_path / "keys")
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "a.conf").write_text("x = 1\n")
    (tmp_path / "shelf").mkdir()
    profile = profile_with(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}, encrypt: true, "
                                     "verify: structure, destinations: [shelf], rules: {min_size: 1G}}",
                           f"encryption: {{recipients: [{recipient}]}}\n"
                           "destinations: [{id: shelf, kind: directory, path: ./shelf}]\n")
    failed = run_repository(profile, profile.repository("cfg"))
    assert failed.state == "failed" and "min_size" in failed.message, "the rules still apply without the key"
    relaxed = profile_with(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./cfg}, encrypt: true, "
                                     "verify: structure, destinations: [shelf]}",
                           f"encryption: {{recipients: [{recipient}]}}\n"
                           "destinations: [{id: shelf, kind: directory, path: ./shelf}]\n")
    outcome = run_repository(relaxed, relaxed.repository("cfg"))
    assert outcome.state == "good", outcome.message
    assert outcome.copies[0]["state"] == "verified"
    with Catalog(relaxed.catalog_path) as catalog:
        (after_run,) = catalog.verifications(outcome.run_id)
        assert after_run.outcome == "inconclusive" and catalog.manual_required_since("cfg") is None
        later = verify_run(relaxed, catalog, catalog.run(outcome.run_id), keyring=Keyring([identity]))
        assert later.outcome == "passed", failed_checks(later)
