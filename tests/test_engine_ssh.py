"""Sources on a remote host, through a real sshd on loopback: the dump streams back over the connection,
key authentication only, nothing is left on the server."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from dse_tui.core.engine.runner import run_repository
from tests.conftest import ssh_yaml
from tests.engine_helpers import ProcWatcher, manifest_of, profile_with
from tests.test_engine_databases import mariadb, psql


# What the test suites themselves make in /tmp (this run's or another's running beside it) is not the server's.
SUITE_TEMPORARIES = ("pytest", "dse-tui-test-cache-", "dse-tree-")


def server_temporaries() -> set[str]:
    return {p.name for p in Path("/tmp").iterdir() if "dse" in p.name and not p.name.startswith(SUITE_TEMPORARIES)}


def test_files_over_ssh(tmp_path, sshd):
    tree = tmp_path / "remote-www"
    (tree / "img").mkdir(parents=True)
    (tree / "index.html").write_text("<p>remote</p>")
    (tree / "img" / "logo.png").write_bytes(os.urandom(200_000))
    (tree / "debug.log").write_text("noise")
    before = server_temporaries()
    profile = profile_with(tmp_path, f"{{id: rw, kind: web, driver: files, ssh: {ssh_yaml(sshd)}, "
                                     f"source: {{path: {tree}, exclude: ['*.log']}}}}")
    outcome = run_repository(profile, profile.repository("rw"))
    assert outcome.state == "good", outcome.message
    manifest = manifest_of(outcome)
    files = {f["path"]: f for f in manifest["files"] if f["type"] == "file"}
    assert set(files) == {"index.html", "img/logo.png"}
    assert files["img/logo.png"]["sha256"] == hashlib.sha256((tree / "img" / "logo.png").read_bytes()).hexdigest()
    assert manifest["parts"][0]["commands"][0][0] == "ssh"
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(f"zstd -dc {outcome.artifact}/rw.tar.zst | tar -xf - -C {out}", shell=True, check=True)
    assert (out / "img" / "logo.png").read_bytes() == (tree / "img" / "logo.png").read_bytes()
    assert not server_temporaries() - before


def test_a_remote_tree_comes_back_as_it_was(tmp_path, sshd):
    """The server's GNU tar, read by tartee: hard links, the FIFO and the tree's own folder recorded as the
    local writer records them, the socket tar leaves out listed, and the restore the same as the source."""
    from dse_tui.core.catalog import Catalog
    from dse_tui.core.restore.run import plan, restore
    from tests.tree_helpers import differences, fidelity_tree, snapshot

    tree = tmp_path / "remote-etc"
    fidelity_tree(tree)
    profile = profile_with(tmp_path, f"{{id: re, kind: config, driver: files, verify: restore, "
                                     f"ssh: {ssh_yaml(sshd)}, source: {{path: {tree}}}}}")
    outcome = run_repository(profile, profile.repository("re"))
    assert outcome.state == "good", outcome.message
    assert outcome.not_archived == [{"path": "app.sock", "type": "socket", "reason": "socket"}]
    manifest = manifest_of(outcome)
    files = {f["path"]: f for f in manifest["files"]}
    assert files["docs/data-again.bin"]["type"] == "hardlink" and files["pipe"]["type"] == "fifo"
    assert files["docs"]["mtime_ns"] == (tree / "docs").stat().st_mtime_ns
    assert manifest["root"]["mtime_ns"] == tree.stat().st_mtime_ns
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.verifications(outcome.run_id)[0].outcome == "passed"
        result = restore(profile, catalog, plan(profile, catalog.run(outcome.run_id), str(tmp_path / "restored")))
    assert result.outcome == "done", result.message
    assert differences(snapshot(tree, skip={"app.sock"}, owners=True),
                       snapshot(tmp_path / "restored", owners=True)) == []


def test_postgresql_over_ssh(tmp_path, sshd, postgres_db):
    db = postgres_db["database"]
    psql(db, "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 1000);")
    profile = profile_with(tmp_path, f"{{id: rpg, kind: database, driver: postgresql, ssh: {ssh_yaml(sshd)}, "
                                     f"source: {{host: 127.0.0.1, user: postgres, databases: [{db}]}}}}")
    outcome = run_repository(profile, profile.repository("rpg"))
    assert outcome.state == "good", outcome.message
    listing = subprocess.run(f"zstd -dc {outcome.artifact}/{db}.pgdump.zst | pg_restore --list", shell=True,
                             capture_output=True, text=True, check=True).stdout
    assert "TABLE DATA public t" in listing


def test_mysql_over_ssh_sends_the_password_through_the_connection(tmp_path, sshd, mariadb_db, mariadb_user,
                                                                monkeypatch):
    client, db = mariadb_db["client"], mariadb_db["database"]
    user, password = mariadb_user
    mariadb(client, "CREATE TABLE b (id INT PRIMARY KEY); INSERT INTO b VALUES (1), (2), (3);", db)
    monkeypatch.setenv("DSE_TEST_SSH_MY_PASSWORD", password)
    profile = profile_with(tmp_path, f"{{id: rmy, kind: database, driver: mysql, ssh: {ssh_yaml(sshd)}, "
                                     f"source: {{host: 127.0.0.1, user: {user}, databases: [{db}], "
                                     f"password_env: DSE_TEST_SSH_MY_PASSWORD}}}}")
    with ProcWatcher() as watcher:
        outcome = run_repository(profile, profile.repository("rmy"))
    assert outcome.state == "good", outcome.message
    assert any("--defaults-extra-file=/dev/stdin" in c for c in watcher.cmdlines)
    assert not any(password in c for c in watcher.cmdlines)
    dump = subprocess.run(["zstd", "-dc", f"{outcome.artifact}/{db}.sql.zst"], capture_output=True,
                          text=True, check=True).stdout
    assert "INSERT INTO `b` VALUES\n(1),\n(2),\n(3);" in dump
    assert password.encode() not in Path(outcome.manifest).read_bytes()


def test_unreachable_ssh_host_is_a_clear_failure(tmp_path, sshd):
    settings = {**sshd, "port": 1}
    profile = profile_with(tmp_path, f"{{id: rw, kind: web, driver: files, ssh: {ssh_yaml(settings)}, "
                                     f"source: {{path: /etc}}}}")
    outcome = run_repository(profile, profile.repository("rw"))
    assert outcome.state == "failed" and "ssh" in outcome.message and "Connection refused" in outcome.message


def test_a_failed_remote_tree_leaves_nothing_behind(tmp_path, sshd):
    before = server_temporaries()
    profile = profile_with(tmp_path, f"{{id: rw, kind: web, driver: files, ssh: {ssh_yaml(sshd)}, "
                                     f"source: {{path: {tmp_path}, include: ['no-such-file']}}}}")
    outcome = run_repository(profile, profile.repository("rw"))
    assert outcome.state == "failed" and "ssh tar exited with status 2" in outcome.message
    assert "no-such-file: Cannot stat" in outcome.message and outcome.message.endswith(
        "— check the paths in the profile's source on that host")
    assert not server_temporaries() - before
    assert list((tmp_path / "backups" / "rw").iterdir()) == []


def test_check_connects_over_ssh_as_the_backup_does(tmp_path, sshd, postgres_db, mariadb_db, mariadb_user,
                                                     monkeypatch):
    from dse_tui.core.profile import check as preflight
    db = mariadb_db["database"]
    user, password = mariadb_user
    monkeypatch.setenv("DSE_TEST_CHECK_PW", password)
    body = (f"{{id: rmy, kind: database, driver: mysql, ssh: {ssh_yaml(sshd)}, source: {{host: 127.0.0.1, "
            f"user: {user}, databases: [{db}], password_env: DSE_TEST_CHECK_PW}}}}\n"
            f"  - {{id: rpg, kind: database, driver: postgresql, ssh: {ssh_yaml(sshd)}, source: "
            f"{{host: 127.0.0.1, port: 5432, user: postgres, databases: [{postgres_db['database']}]}}}}")
    profile = profile_with(tmp_path, body)
    findings = {r.id: preflight.check_repository(profile, r, {})[0] for r in profile.repositories}
    assert findings["rmy"].level == "ok", findings["rmy"]
    assert findings["rmy"].message.startswith(f"MariaDB at 127.0.0.1:3306 via ssh root@127.0.0.1 answers ({db})")
    assert findings["rpg"].level == "ok", findings["rpg"]
    monkeypatch.setenv("DSE_TEST_CHECK_PW", "wrong")
    wrong = preflight.check_repository(profile, profile.repository("rmy"), {})[0]
    assert wrong.level == "error" and "Access denied" in wrong.message


def test_a_remote_tree_with_what_the_backup_user_cannot_read(tmp_path, ssh_user):
    """Issue 16: over SSH as over here, what tar could not read is listed whole as not archived and the run
    is kept as evidence but not satisfactory; the rest of the tree is archived as it was."""
    import shutil
    import tempfile

    tree = Path(tempfile.mkdtemp(prefix="ssh-tree-", dir="/tmp"))  # where the backup user may look
    try:
        tree.chmod(0o755)
        (tree / "index.html").write_text("<p>hello</p>\n")
        (tree / "private").mkdir(mode=0o700)  # root's: the backup user may not list it
        (tree / "private" / "key.pem").write_text("secret\n")
        for name in ("shadow", "passwd-"):
            (tree / name).write_text("root:x\n")
            (tree / name).chmod(0o600)
        profile = profile_with(tmp_path, f"{{id: etc, kind: config, driver: files, ssh: {ssh_yaml(ssh_user)}, "
                                         f"source: {{path: {tree}}}}}")
        outcome = run_repository(profile, profile.repository("etc"))
        assert outcome.state == "failed" and "3 file(s) could not be read" in outcome.message, outcome.message
        assert outcome.artifact, "kept: evidence, and the rest of the tree"
        manifest = manifest_of(outcome)
        assert sorted((e["path"], e["reason"]) for e in manifest["not_archived"]) == [
            ("passwd-", "unreadable"), ("private", "unreadable"), ("shadow", "unreadable")]
        assert "index.html" in {f["path"] for f in manifest["files"]}
    finally:
        shutil.rmtree(tree, ignore_errors=True)
