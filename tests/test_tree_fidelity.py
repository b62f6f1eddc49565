"""File trees come back as they were: the archive is what GNU tar makes of the tree, extracts with plain
`tar -xf` as any user, and dse-tui's own restore and restore-level verification hold every folder's and
file's mode and time, the links and (as root) the owners to the source. What is not archived is listed whole."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.engine.runner import run_repository
from dse_tui.core.drivers.files.tarstream import TreeReport, write_tar
from tests.engine_helpers import manifest_of, profile_with
from tests.tree_helpers import (NOBODY, Nobody, differences, fidelity_tree, give_to_nobody, plain_tar_extract,
                                python_for_nobody, remove, snapshot, world_folder)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="owners and devices are root's to make")


def tree_profile(folder: Path, extra: str = ""):
    return profile_with(folder, "{id: t, kind: config, driver: files, verify: restore, source: {path: ./srv"
                                + extra + "}}")


def the_part(outcome_or_row) -> Path:
    artifact = outcome_or_row["artifact"] if isinstance(outcome_or_row, dict) else outcome_or_row.artifact
    return Path(artifact) / "t.tar.zst"


@pytest.fixture(scope="module")
def nobody_python():
    folder = world_folder()
    try:
        yield python_for_nobody(folder)
    finally:
        shutil.rmtree(folder)  # root's twin of the interpreter: nothing read-only in it


@pytest.fixture
def nobody(nobody_python):
    user = Nobody(*nobody_python)
    yield user
    user.close()


def test_a_tree_comes_back_as_it_was_for_a_user_who_is_not_root(nobody):
    """Backed up, verified and restored by dse-tui as nobody, and extracted by plain `tar -xf` as nobody:
    read-only folders fill, folder times hold, hard links stay links; the 18 files nobody may read and the
    socket are listed whole in `run --json`, the run's log and the manifest."""
    home = nobody.folder
    fidelity_tree(home / "srv", unreadable=18)
    profile = tree_profile(home)
    give_to_nobody(home)
    ran = nobody.dse(profile, "run", "t")
    (row,) = json.loads(ran.stdout)
    unreadable = [f"secrets/s{i:02d}.key" for i in range(18)]
    # Files that exist and could not be read: the run is not a satisfactory backup, but what it holds is kept.
    assert ran.returncode == 1 and row["state"] == "failed" and Path(row["artifact"]).is_dir(), ran.stderr
    assert row["message"].startswith("18 file(s) could not be read (secrets/s00.key: Permission denied; ")
    assert row["not_archived"] == (
        [{"path": "app.sock", "type": "socket", "reason": "socket"}]
        + [{"path": p, "type": "file", "reason": "unreadable", "detail": "Permission denied"} for p in unreadable])
    assert json.loads(Path(row["manifest"]).read_text())["not_archived"] == row["not_archived"]
    with Catalog(profile.catalog_path) as catalog:
        log = catalog.run_log(row["run_id"])
        (checked,) = catalog.verifications(row["run_id"])
    assert all(f"unreadable: {p} (Permission denied)" in log for p in unreadable) and "socket: app.sock" in log
    assert (checked.outcome, checked.level) == ("passed", "restore"), checked.checks  # read-only folders filled
    assert not any((profile.storage_root / ".scratch").glob("*/tree")), "the trial's read-only folders stayed"

    source = snapshot(home / "srv", skip={"app.sock", "secrets", *unreadable})
    restored = nobody.dse(profile, "restore", str(row["run_id"]), "--to", str(home / "restored"))
    assert json.loads(restored.stdout)[0]["outcome"] == "done", restored.stdout + restored.stderr
    assert "unreadable: secrets/s17.key (Permission denied)" in restored.stderr  # what the run lacks, said again
    assert differences(source, snapshot(home / "restored", skip={"secrets"})) == []
    if os.geteuid() == 0:
        assert (home / "restored" / "a-ro").stat().st_uid == NOBODY.pw_uid, "restored by nobody, not by root"
    plain = plain_tar_extract(the_part(row), home / "plain")
    assert plain.returncode == 0 and plain.stderr == b"", plain.stderr
    assert differences(source, snapshot(home / "plain", skip={"secrets"})) == []


@needs_root
def test_owners_modes_and_times_come_back_as_root(tmp_path):
    fidelity_tree(tmp_path / "srv")
    srv = tmp_path / "srv"
    os.chown(srv / "docs", 1234, 5678)
    os.chown(srv / "bin/run.sh", 1234, 5678)
    (srv / "bin/run.sh").chmod(0o4755)  # set-user-id: only root gets it back
    os.chown(srv / "links/guide", NOBODY.pw_uid, NOBODY.pw_gid, follow_symlinks=False)
    os.chown(srv / "pipe", NOBODY.pw_uid, NOBODY.pw_gid)
    os.mknod(srv / "null", 0o620 | 0o020000, os.makedev(1, 3))
    os.utime(srv / "docs", ns=(1_600_000_000_987_654_321,) * 2)
    os.utime(srv, ns=(1_600_000_001_000_000_001,) * 2)
    profile = tree_profile(tmp_path)
    outcome = run_repository(profile, profile.repository("t"))
    assert outcome.state == "good", outcome.message
    assert outcome.not_archived == [{"path": "app.sock", "type": "socket", "reason": "socket"}]
    source = snapshot(srv, skip={"app.sock"}, owners=True)

    from dse_tui.core.restore.run import plan, restore

    with Catalog(profile.catalog_path) as catalog:
        result = restore(profile, catalog, plan(profile, catalog.run(outcome.run_id), str(tmp_path / "restored")))
    assert result.outcome == "done", result.message
    assert differences(source, snapshot(tmp_path / "restored", owners=True)) == []
    (tmp_path / "plain").mkdir()
    subprocess.run(f"zstd -dc {the_part(outcome)} | tar -xf - -C {tmp_path / 'plain'}", shell=True, check=True)
    assert differences(source, snapshot(tmp_path / "plain", owners=True)) == []


@needs_root
def test_the_archive_is_what_gnu_tar_makes_of_the_tree(tmp_path):
    """Member by member, in order: names, types, modes, times to the nanosecond, owners, link targets."""
    fidelity_tree(tmp_path / "srv")
    os.mknod(tmp_path / "srv" / "null", 0o666 | 0o020000, os.makedev(1, 3))
    ours = io.BytesIO()
    write_tar(tmp_path / "srv", ours, [], [], TreeReport())
    gnu = subprocess.run(["tar", "--format=posix", "--sort=name", "-C", str(tmp_path / "srv"), "-cf", "-", "."],
                         capture_output=True)
    assert b"socket ignored" in gnu.stderr

    def members(data: bytes) -> list[tuple]:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            return [(m.name.removeprefix("./") or ".", m.type, m.mode, m.pax_headers.get("mtime", m.mtime), m.uid, m.gid, m.uname,
                     m.gname, m.linkname.removeprefix("./"), m.size, m.devmajor, m.devminor) for m in tar]

    assert members(ours.getvalue()) == members(gnu.stdout)


@needs_root
def test_a_user_who_cannot_make_devices_gets_the_rest_and_is_told(nobody):
    home = nobody.folder
    (home / "srv").mkdir()
    (home / "srv" / "a.conf").write_text("a = 1\n")
    os.mknod(home / "srv" / "null", 0o666 | 0o020000, os.makedev(1, 3))
    profile = tree_profile(home)
    give_to_nobody(home)
    (row,) = json.loads(nobody.dse(profile, "run", "t").stdout)
    assert row["state"] == "good", row
    with Catalog(profile.catalog_path) as catalog:
        (checked,) = catalog.verifications(row["run_id"])
    assert "1 device(s) not made: only root can" in {c["name"]: c["detail"] for c in checked.checks}["files t.tar.zst"]
    restored = nobody.dse(profile, "restore", str(row["run_id"]), "--to", str(home / "out"))
    assert json.loads(restored.stdout)[0]["outcome"] == "done", restored.stderr
    assert "not made: null, a device (only root can make one)" in restored.stderr
    assert (home / "out" / "a.conf").read_text() == "a = 1\n" and not (home / "out" / "null").exists()


def test_sockets_vanished_and_changed_files_are_warnings_listed_whole(tmp_path, monkeypatch):
    """What GNU tar only warns about does not fail the run, but is listed (the run's log and --json)."""
    from dse_tui.core.drivers.files import tarstream
    fidelity_tree(tmp_path / "srv")
    real_open = os.open

    def vanishing(path, flags, *args, **kwargs):  # removed between the listing and the reading
        if str(path).endswith("docs/deep/table.csv"):
            raise FileNotFoundError(2, "No such file or directory")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(tarstream.os, "open", vanishing)
    report = TreeReport()
    with open(os.devnull, "wb") as sink:
        write_tar(tmp_path / "srv", sink, [], [], report)
    assert report.not_archived == [{"path": "app.sock", "type": "socket", "reason": "socket"},
                                 {"path": "docs/deep/table.csv", "type": "file", "reason": "vanished"}]
    monkeypatch.undo()
    profile = tree_profile(tmp_path)
    outcome = run_repository(profile, profile.repository("t"))
    assert outcome.state == "good" and outcome.not_archived == [{"path": "app.sock", "type": "socket",
                                                               "reason": "socket"}]
    with Catalog(profile.catalog_path) as catalog:
        assert "--- not archived as on disk: 1 path(s) (1 socket)\nsocket: app.sock" in catalog.run_log(outcome.run_id)


# Loaded by every Python the run starts (a sitecustomize on their PYTHONPATH): the tar writer is a process of
# its own, and a log that grows while it is read is made so deterministically, a line appended to the
# file the writer has just opened, before it reads the first byte.
GROWING_LOG = """\
import os

if os.environ.get("DSE_TEST_CATALOG_SALT"):  # this hook stands for tests/pg_children's: it does its work too
    from tests.pg_catalogs import redirect

    redirect(os.environ["DSE_TEST_CATALOG_SALT"])

if os.environ.get("DSE_TEST_GROWING"):
    from dse_tui.core.drivers.files import tarstream

    real_copy = tarstream._Writer.copy

    def copy(self, fd, size):
        if os.path.samestat(os.fstat(fd), os.stat(os.environ["DSE_TEST_GROWING"])):
            with open(os.environ["DSE_TEST_GROWING"], "ab") as log:
                log.write(b"a line written while the file was read\\n")
        return real_copy(self, fd, size)

    tarstream._Writer.copy = copy
"""


def test_a_file_that_changes_while_it_is_read_is_a_warning_listed_whole(tmp_path):
    srv = tmp_path / "srv"
    (srv / "log").mkdir(parents=True)
    (srv / "log" / "app.log").write_text("started\n" * 1000)
    (srv / "readme.txt").write_text("quiet\n")
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(GROWING_LOG)
    profile = tree_profile(tmp_path)
    worktree = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": f"{hook}:{worktree}", "DSE_TEST_GROWING": str(srv / "log" / "app.log")}
    ran = subprocess.run([sys.executable, "-m", "dse_tui", "run", "t", "--json", "--profile", str(profile.file)],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    (row,) = json.loads(ran.stdout)
    assert (srv / "log" / "app.log").read_text().endswith("while the file was read\n"), "the hook did not run"
    # GNU tar only warns about such a file: the run stands, what it holds is the file as it was opened.
    assert row["state"] == "good", ran.stdout + ran.stderr  # (exit 4: no copy on a device yet)
    changed = [{"path": "log/app.log", "type": "file", "reason": "changed"}]
    assert row["not_archived"] == changed
    manifest = json.loads(Path(row["manifest"]).read_text())
    assert manifest["not_archived"] == changed
    (entry,) = [f for f in manifest["files"] if f["path"] == "log/app.log"]
    assert entry["changed"] is True and entry["size"] == len("started\n" * 1000)
    with Catalog(profile.catalog_path) as catalog:
        log = catalog.run_log(row["run_id"])
    assert "--- not archived as on disk: 1 path(s) (1 changed)\nchanged: log/app.log" in log, log


def test_folder_times_and_modes_survive_a_plain_extraction_with_include_patterns(tmp_path):
    """With include patterns the folders above what is named are archived just before it, and still first."""
    fidelity_tree(tmp_path / "srv", with_socket=False)
    profile = tree_profile(tmp_path, ", include: ['a-ro/inner-ro/*', 'docs/deep/*']")
    outcome = run_repository(profile, profile.repository("t"))
    assert outcome.state == "good", outcome.message
    assert [f["path"] for f in manifest_of(outcome)["files"]] == [
        "a-ro", "a-ro/inner-ro", "a-ro/inner-ro/g.txt", "docs", "docs/deep", "docs/deep/table.csv"]
    world = world_folder()
    try:
        plain = plain_tar_extract(the_part(outcome), world / "plain")
        assert plain.returncode == 0, plain.stderr
        want, _ = snapshot(tmp_path / "srv")
        got, _ = snapshot(world / "plain")
        assert {p: got[p] for p in got if p != "."} == {p: want[p] for p in got if p != "."}
    finally:
        remove(world)


def test_the_quick_headers_are_tarfiles_byte_for_byte(tmp_path, monkeypatch):
    """Most headers are made directly (tarfile's general way costs as much as reading a small file): the
    archive must be the very bytes tarfile itself writes."""
    from dse_tui.core.drivers.files import tarstream
    fidelity_tree(tmp_path / "srv")
    (tmp_path / "srv" / ("long name " * 12)).write_text("a pax path")
    (tmp_path / "srv" / "año.txt").write_text("a name not in ASCII")
    quick = io.BytesIO()
    write_tar(tmp_path / "srv", quick, [], [], TreeReport())
    monkeypatch.setattr(tarstream, "_ustar_with_time", lambda *entry: None)
    general = io.BytesIO()
    write_tar(tmp_path / "srv", general, [], [], TreeReport())
    assert quick.getvalue() == general.getvalue()
