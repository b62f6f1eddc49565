"""files: a run's archive extracted with GNU tar, for the trial restore of restore-level verification (the
tree compared with the per-file manifest: type, content, link target, hard links, mode, time, owner) and for
a restore into a folder."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timezone
from pathlib import Path

from dse_tui.core.texts import said
from dse_tui.core.common.fsutil import make_writable
from dse_tui.core.drivers.base import RestoreTarget, check_result
from dse_tui.core.drivers.files.listing import expected_entries, kind_word, not_archived_line, some_diffs
from dse_tui.core.drivers.files.tarstream import NS, file_kind
from dse_tui.core.engine.pipeline import Stage


def extract_argv(target, devices: list[str], *, numeric_owner: bool = False) -> list[str]:
    """`tar -x` of a run's archive into `target`, keeping modes (-p: as root does, also for any other user),
    without `devices` (see devices_left_out)."""
    argv = ["tar", "-x", "-p", "-f", "-", "-C", str(target)]
    if numeric_owner and os.geteuid() == 0:
        argv.append("--numeric-owner")
    if devices:
        argv += ["--no-wildcards", "--anchored"]  # each name exactly, not as a pattern
        for path in devices:
            argv += [f"--exclude={path}", f"--exclude=./{path}"]
    return argv


def devices_left_out(manifest: dict, folder) -> list[str]:
    """The run's devices when this process cannot make them in `folder` (only root can, and not in every
    container): tar would fail the whole extraction on the first one."""
    devices = [f["path"] for f in manifest.get("files", []) if f["type"] in ("char", "block")]
    return devices if devices and not _can_make_devices(folder) else []


def _can_make_devices(folder) -> bool:
    probe = os.path.join(folder, ".dse-tui-device-probe")
    try:
        os.mknod(probe, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except OSError:
        return False
    os.unlink(probe)
    return True


def trial(v) -> None:
    """Extract the tree with tar, then compare every entry with the manifest: type, content, link target,
    hard-link structure, mode, modification time, and owner when running as root."""
    for part in v.parts(".tar.zst"):
        tree = v.scratch / "tree"
        tree.mkdir(exist_ok=True)
        skipped = devices_left_out(v.manifest, tree)
        try:
            result, _ = v.pipe(part, [Stage(extract_argv(tree, skipped, numeric_owner=True), name="tar -x",
                                             stops_early=True)])
            if not v.check(f"extract {part['file']}", result.ok, said("verify.extracted") if result.ok
                           else v.failure(result)):
                continue
            if "files" in v.manifest:  # else a manual backup's archive: extracted whole is all there is to check
                _compare_tree(v, part, tree, set(skipped))
        finally:
            make_writable(tree)  # read-only folders, as recorded: the scratch must still be removable


def _compare_tree(v, part: dict, tree, skipped: set[str]) -> None:
    slack = _mtime_slack(v.scratch)
    expected = expected_entries(v)
    diffs = []
    if "root" in v.manifest:
        why = _restored_differently(tree, {**v.manifest["root"], "path": ".", "type": "dir"}, v, slack)
        diffs += [f"./: {why}"] if why else []
    for path, entry in expected.items():
        v.stopping()
        why = None if path in skipped else _restored_differently(tree, entry, v, slack)
        if why:
            diffs.append(f"{path}: {why}")
    count = sum(e["type"] == "file" for e in expected.values())
    ok = said("verify.files_ok", n=count) + (
        said("verify.files_meta") if any("mtime_ns" in e for e in expected.values()) else "") + (
        said("verify.files_owners") if os.geteuid() == 0 else "")
    if skipped:
        ok += said("verify.files_devices", n=len(skipped))
    v.check(f"files {part['file']}", not diffs, some_diffs(diffs) if diffs else ok)


def _restored_differently(tree, entry: dict, v, slack: int, *, owners: bool = True) -> str | None:
    """What of `entry` did not come back as recorded, in words; None when all did. `owners`: compared too
    (when root; a restore maps owners by name, as tar does, so it does not hold them to the numbers)."""
    from dse_tui.core.verification.levels import sha256_file

    target = tree / entry["path"]
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return said("verify.file.missing")
    kind = entry["type"]
    if kind == "hardlink":
        try:
            same = os.path.samestat(st, os.lstat(tree / entry["target"]))
        except FileNotFoundError:
            same = False
        return None if same else said("verify.file.not_hardlink", target=entry["target"])
    if file_kind(st.st_mode) != kind:
        return said("verify.file.other_kind", found=kind_word(file_kind(st.st_mode)), kind=kind_word(kind))
    problems = []
    if kind == "symlink" and os.readlink(target) != entry.get("target"):
        problems.append(said("verify.file.links", found=os.readlink(target), recorded=entry.get("target")))
    if kind == "file":
        size, digest = sha256_file(target, v)
        if size != entry["size"] or digest != entry["sha256"]:
            problems.append(said("verify.file.content"))
    if kind in ("char", "block") and (os.major(st.st_rdev), os.minor(st.st_rdev)) != (entry["major"], entry["minor"]):
        problems.append(said("verify.file.device", found=f"{os.major(st.st_rdev)},{os.minor(st.st_rdev)}",
                             recorded=f"{entry['major']},{entry['minor']}"))
    # Modes, times and owners only where the run recorded them to the nanosecond: runs made before the
    # archive kept folder times (contents after their folder) cannot be held to them.
    if "mtime_ns" in entry:
        problems += _metadata_differs(st, entry, slack, owners)
    return said("verify.file.differs", problems="; ".join(problems)) if problems else None


def _metadata_differs(st, entry: dict, slack: int, owners: bool = True) -> list[str]:
    problems = []
    root = os.geteuid() == 0
    # For a user who is not root, tar (or the kernel) may drop set-user/group-id bits: not held against it.
    mask = 0o7777 if root else 0o1777
    if entry["type"] != "symlink" and stat.S_IMODE(st.st_mode) & mask != int(entry["mode"], 8) & mask:
        problems.append(said("verify.file.mode", found=f"{stat.S_IMODE(st.st_mode):04o}", recorded=entry["mode"]))
    if abs(st.st_mtime_ns - entry["mtime_ns"]) > slack:  # what the filesystem cannot keep is no difference
        problems.append(said("verify.file.modified", found=_when(st.st_mtime_ns), recorded=_when(entry["mtime_ns"])))
    if owners and root and (st.st_uid, st.st_gid) != (entry["uid"], entry["gid"]):
        problems.append(said("verify.file.owner", found=f"{st.st_uid}:{st.st_gid}", recorded=f"{entry['uid']}:{entry['gid']}"))
    return problems


def _when(ns: int) -> str:
    return f"{datetime.fromtimestamp(ns // NS, timezone.utc):%Y-%m-%dT%H:%M:%S}.{ns % NS:09d}Z"


def _mtime_slack(folder) -> int:
    """Nanoseconds of a modification time that the scratch filesystem cannot keep (0 on ext4, xfs, btrfs,
    tmpfs; under a second on others): a time is compared to that precision, not finer."""
    probe = folder / ".mtime-probe"
    probe.touch()
    try:
        want = 1_600_000_001_999_999_999  # every digit below the second set: any rounding shows
        os.utime(probe, ns=(want, want))
        return abs(want - probe.stat().st_mtime_ns)
    finally:
        probe.unlink()


def restore(v, t: RestoreTarget, force: bool) -> None:
    """Every archive of the run extracted into the folder, modes kept; what the run never held is said."""
    target = Path(t.target)
    target.mkdir(parents=True, exist_ok=True)
    devices = devices_left_out(v.manifest, target)
    for part in v.parts(".tar.zst"):  # the archives (not the audit log, or a manual backup's notes)
        result, _ = v.pipe(part, [Stage(extract_argv(target, devices), name="tar -x", stops_early=True)])
        check_result(v, result, part["file"])
    for path in devices:
        v.log(f"not made: {path}, a device (only root can make one)")
    missing = v.manifest.get("not_archived", [])
    if missing:  # all the run holds is restored; what it never held, the operator reads here too
        v.log(f"the run did not archive {len(missing)} path(s) as they were on disk:")
        for entry in missing:
            v.log(f"  {not_archived_line(entry)}")
