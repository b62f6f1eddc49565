"""files: some files and folders of a run restored (a folder with everything under it), and nothing else.

GNU tar extracts the paths named (and, for a hard link whose first path is not among them, that path too)
into a staging folder inside the target; every entry is held there to the manifest as the trial restore
holds a whole tree (content by SHA-256, type, link target, mode, time, owner); only then are the paths
moved into place, by rename, so a target never holds a file that was not checked. Folders above the paths
that the restore has to make get their recorded mode and time; the staging folder is removed whatever
happens. Whole-artifact checksums are not read first (restore/run.py): what is restored is checked by its
own entries, and the manifest by the digest the catalog holds."""

from __future__ import annotations

import io
import os
import posixpath
import secrets
import shutil
import stat
import tarfile
from pathlib import Path

from dse_tui.core.common.fsutil import make_writable
from dse_tui.core.drivers.base import RestoreError, RestoreTarget, check_result
from dse_tui.core.engine.pipeline import Stage, stream
from dse_tui.core.profile.model import Repository

STAGING = ".dse-tui-restore-"  # the staging folder's name inside the target, with a unique tail


# ---------------------------------------------------------------- planning

def select_parts(repo: Repository, manifest: dict, parts: tuple[str, ...], t: RestoreTarget) -> tuple[str, ...]:
    """The paths asked for, as the run's manifest names them (`./a/b/`, `/srv/www/a/b` under the source
    and `a/b` are one path), the minimal set (a path under a folder also asked for is that folder's);
    RestoreError naming every path the run does not hold."""
    if not parts:
        return ()
    if "files" not in manifest:
        raise RestoreError("restore.parts.no_manifest")
    wanted = {_normal(repo, p): p for p in parts}
    kinds: dict[str, str] = {}
    for entry in manifest["files"]:
        if entry["path"] in wanted:
            kinds[entry["path"]] = entry["type"]
    missing = [shown for path, shown in wanted.items() if path not in kinds]
    if missing:
        raise RestoreError("restore.parts.no_path", n=len(missing), paths=", ".join(repr(m) for m in missing))
    folders = {p for p, kind in kinds.items() if kind == "dir"}
    return tuple(sorted(p for p in kinds if not _covered(posixpath.dirname(p), folders)))


def _normal(repo: Repository, path: str) -> str:
    shown = path
    path = path.strip()
    source = str(repo.source.get("path", ""))
    if path.startswith("/") and source and not repo.ssh:  # the live path of a file: relative to the source
        if path.rstrip("/") != source.rstrip("/") and not path.startswith(source.rstrip("/") + "/"):
            raise RestoreError("restore.parts.not_under", path=repr(shown), source=source)
        path = path[len(source.rstrip("/")):]
    path = posixpath.normpath("/" + path.removeprefix("./")).lstrip("/") if path else ""
    if path in ("", "."):
        raise RestoreError("restore.parts.whole", path=repr(shown))
    if ".." in path.split("/"):
        raise RestoreError("restore.parts.climbs", path=repr(shown))
    return path


def _covered(path: str, selected: set[str]) -> bool:
    """`path` is one of `selected` or under one: its own ancestors looked up, so that 50,000 paths marked
    one by one cost 50,000 lookups per entry of the manifest's depth, not 50,000 comparisons per entry."""
    return any(a in selected for a in _ancestors(path))


# ---------------------------------------------------------------- restoring

def restore_parts(v, t: RestoreTarget, force: bool) -> None:
    from dse_tui.core.drivers.files.extract import (
        _mtime_slack, _restored_differently, devices_left_out, extract_argv,
    )

    target = Path(t.target)
    (part,) = v.parts(".tar.zst")[:1] or [None]
    if part is None:
        raise RestoreError("the run holds no archive to restore from")
    selected = set(t.parts)
    by_path: dict[str, dict] = {}  # the entries restored, and those of the folders above them
    above = {posixpath.dirname(p) for p in selected}
    above = {a for p in above for a in _ancestors(p)}
    for entry in v.manifest["files"]:
        path = entry["path"]
        if path in above or _covered(path, selected):
            by_path[path] = entry
    restored = {p: e for p, e in by_path.items() if _covered(p, selected)}
    # A hard link names the first path of its file: extracted too when it is not restored, then left behind.
    extra = sorted({e["target"] for e in restored.values() if e["type"] == "hardlink"
                    and not _covered(e["target"], selected)})
    target.mkdir(parents=True, exist_ok=True)
    _refuse_conflicts(target, t.parts, restored)
    staging = target / f"{STAGING}{os.getpid()}-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o700)
    try:
        devices = devices_left_out({"files": list(restored.values())}, staging)
        names = [p for p in [*t.parts, *extra] if p not in devices]
        prefix = _member_prefix(v, part)
        listing = v.scratch / "parts.list"
        listing.write_bytes(b"".join(os.fsencode(prefix + n) + b"\0" for n in names))
        argv = extract_argv(staging, devices) + ["--no-wildcards", "--null", "-T", str(listing)]
        # tar straight on zstd's pipe, no relay (a relay hashes every byte in Python: three times slower): tar
        # reads a named extraction to the end of the archive, which dse-tui's writer and GNU tar pad to a
        # whole record, so zstd is never cut short; a stream that was would fail the restore, not pass it.
        result, _ = v.pipe(part, [Stage(argv, name="tar -x")])
        check_result(v, result, part["file"])
        slack = _mtime_slack(staging)
        diffs = []
        for path, entry in restored.items():
            v.stopping()
            why = None if path in devices else _restored_differently(staging, entry, v, slack, owners=False)
            if why:
                diffs.append(f"{path}: {why}")
        if diffs:
            raise RestoreError(f"{len(diffs)} path(s) came out of the archive otherwise than the manifest records "
                               f"them ({'; '.join(diffs[:4])}): nothing was put in {target}; restore from a copy")
        made = _make_folders_above(target, t.parts)
        for path in t.parts:
            if path not in devices:
                _merge(staging / path, target / path)
        for path in sorted(made, key=lambda p: -p.count("/")):  # the deepest first: its time is then final
            _set_recorded(target / path, by_path.get(path))
    finally:
        make_writable(staging)
        shutil.rmtree(staging, ignore_errors=True)
    for path in devices:
        v.log(f"not made: {path}, a device (only root can make one)")
    v.log(f"restored {len(restored)} entr{'y' if len(restored) == 1 else 'ies'} under "
          f"{len(t.parts)} path(s) into {target}")


def _ancestors(path: str) -> list[str]:
    out = []
    while path not in ("", "."):
        out.append(path)
        path = posixpath.dirname(path)
    return out


def _member_prefix(v, part: dict) -> str:
    """How the archive names its members: `./a` (GNU tar's, a run over SSH) or `a` (dse-tui's own writer).
    GNU tar matches a name only as written: the manifest says which wrote it, else the archive's first
    entries are read to know."""
    commands = part.get("commands") or [[]]
    if "dse_tui.core.drivers.files.tarwriter" in commands[0]:
        return ""
    head = io.BytesIO()
    # head stops reading after what it needs; the stages before it are then stopped by the broken pipe.
    stream(v.source(part) + [Stage(["head", "-c", str(1 << 20)], name="head")], head, cancel=v.cancel,
           deadline=v.deadline, sync=False)
    head.seek(0)
    try:
        with tarfile.open(fileobj=head, mode="r|") as tar:
            for member in tar:
                if member.name not in (".", "./", ""):
                    return "./" if member.name.startswith("./") else ""
    except tarfile.TarError:
        pass  # a head cut inside a member: what was read before the cut has answered, or nothing can
    raise RestoreError(f"{part['file']}: its first entries cannot be read as a tar archive")


def _refuse_conflicts(target: Path, paths: tuple[str, ...], restored: dict[str, dict]) -> None:
    """Before anything is written: a path whose folder above is a link or a file in the target (a rename
    through a link would write elsewhere), or a folder where the run has a file or the other way round."""
    problems = []
    for path in paths:
        for folder in reversed(_ancestors(posixpath.dirname(path))):
            try:
                st = os.lstat(target / folder)
            except FileNotFoundError:
                break
            if not stat.S_ISDIR(st.st_mode):
                problems.append(f"{target / folder} is not a folder (a link or a file)")
                break
    for path, entry in restored.items():
        try:
            st = os.lstat(target / path)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(st.st_mode) != (entry["type"] == "dir"):
            there = "a folder" if stat.S_ISDIR(st.st_mode) else "not a folder"
            problems.append(f"{target / path} is {there}, the run's {path} is {'' if entry['type'] == 'dir' else 'not '}"
                            "a folder")
    if problems:
        raise RestoreError("restore.parts.conflicts", problems="; ".join(problems[:4])
                           + (f" … ({len(problems)})" if len(problems) > 4 else ""))


def _make_folders_above(target: Path, paths: tuple[str, ...]) -> list[str]:
    made = []
    for path in paths:
        for folder in reversed(_ancestors(posixpath.dirname(path))):
            if not os.path.lexists(target / folder):
                os.mkdir(target / folder, 0o700)
                made.append(folder)
    return made


def _merge(src: Path, dst: Path) -> None:
    """`src` (staged, checked) put at `dst` by rename: a folder that is already there gets the staged
    contents one by one, then the staged folder's mode and time."""
    st = os.lstat(src)
    if not os.path.lexists(dst):
        # Moving a folder to another parent rewrites its "..": a read-only one (as recorded) is opened for it.
        locked = stat.S_ISDIR(st.st_mode) and os.geteuid() != 0 and not st.st_mode & stat.S_IWUSR
        if locked:
            os.chmod(src, stat.S_IMODE(st.st_mode) | stat.S_IWUSR)
        os.rename(src, dst)
        if locked:
            os.chmod(dst, stat.S_IMODE(st.st_mode))
        return
    if not stat.S_ISDIR(st.st_mode):
        os.replace(src, dst)
        return
    os.chmod(src, stat.S_IMODE(st.st_mode) | 0o700)  # its contents leave it (a read-only folder as recorded)
    os.chmod(dst, stat.S_IMODE(os.lstat(dst).st_mode) | 0o700)
    for name in os.listdir(src):
        _merge(src / name, dst / name)
    _copy_metadata(st, dst)


def _copy_metadata(st: os.stat_result, dst: Path) -> None:
    if os.geteuid() == 0:
        os.lchown(dst, st.st_uid, st.st_gid)
    os.chmod(dst, stat.S_IMODE(st.st_mode))
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


def _set_recorded(folder: Path, entry: dict | None) -> None:
    """A folder the restore made above its paths, with its recorded mode, time and owner."""
    if entry is None or "mode" not in entry:
        return
    if os.geteuid() == 0 and "uid" in entry:
        os.lchown(folder, entry["uid"], entry["gid"])
    os.chmod(folder, int(entry["mode"], 8))
    ns = entry.get("mtime_ns", entry.get("mtime", 0) * 1_000_000_000)
    os.utime(folder, ns=(ns, ns))
