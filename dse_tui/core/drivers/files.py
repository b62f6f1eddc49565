"""files: a directory tree as a tar stream compressed with zstd, with a per-file manifest
(path, size, mtime, mode, SHA-256). Locally the tree is read once, by Python, hashing as it archives;
over SSH the remote `tar` streams it back and the manifest is read from that stream."""

from __future__ import annotations


import json
import shlex
import sys

from dse_tui.core.config import Repository
from dse_tui.core.drivers import BackupContext, BackupError, remote_shell
from dse_tui.core.stream import Stage
from dse_tui.core.tarstream import TreeReport


def tools(repo: Repository) -> list[str]:
    return ["zstd", "ssh"] if repo.ssh else ["zstd"]


def describe(repo: Repository) -> str:
    where = f" on {repo.ssh.host}" if repo.ssh else ""
    return f"files under {repo.source['path']}{where}"


def backup(ctx: BackupContext) -> None:
    if ctx.repo.ssh:
        return _backup_remote(ctx)
    source = ctx.repo.source
    root = source["path"]
    if not root.is_dir():
        raise BackupError(f"the folder {root} does not exist or is not a folder: check source.path")
    report_file = ctx.workdir / ".files.json"
    argv = [sys.executable, "-m", "dse_tui.core.tarwriter", str(root), str(report_file)]
    argv += [f"--include={p}" for p in source["include"]] + [f"--exclude={p}" for p in source["exclude"]]
    try:
        ctx.part(f"{ctx.repo.id}.tar.zst", [Stage(argv, name="tar writer")])
        report = TreeReport(**json.loads(report_file.read_text()))
    finally:
        report_file.unlink(missing_ok=True)
    _record(ctx, report)


def _record(ctx: BackupContext, report: TreeReport) -> None:
    ctx.meta["files"] = report.files
    ctx.meta["file_count"] = sum(f["type"] == "file" for f in report.files)
    ctx.meta["bytes"] = report.bytes_read
    if report.changed:
        ctx.meta["changed_while_read"] = report.changed
        ctx.log(f"warning: {len(report.changed)} file(s) changed while they were read: {', '.join(report.changed[:5])}")
    if report.skipped:
        ctx.meta["skipped"] = report.skipped
    if report.shrunk:
        shown = ", ".join(report.shrunk[:5]) + (" …" if len(report.shrunk) > 5 else "")
        raise BackupError(f"{len(report.shrunk)} file(s) shrank while they were read ({shown}): their copy would be "
                          "padded, not what was on disk; run again when they are quiet, or exclude them")
    if ctx.meta["file_count"] == 0 and not ctx.repo.source.get("allow_empty"):
        raise BackupError(f"no file was archived from {ctx.repo.source['path']} (an unmounted disk? patterns that "
                          "match nothing?); set source.allow_empty: true if an empty tree is expected")
    if report.unreadable:
        shown = "; ".join(report.unreadable[:5]) + (" …" if len(report.unreadable) > 5 else "")
        raise BackupError(f"{len(report.unreadable)} file(s) could not be read ({shown}): run as a user who can "
                          "read them, or exclude them in the profile")


def _backup_remote(ctx: BackupContext) -> None:
    """The server's tar streams the tree back; Python reads the stream on its way to zstd, hashing
    each member for the manifest, so nothing is read twice and nothing is left on the server."""
    source = ctx.repo.source
    tar = ["tar", "-cf", "-", "--numeric-owner", *[f"--exclude={p}" for p in source["exclude"]], "--"]
    # Include patterns are globs the server's shell expands inside the folder (the profile's schema
    # allows no other shell characters in them).
    script = f"cd {shlex.quote(str(source['path']))} && {shlex.join(tar)} {' '.join(source['include']) or '.'}"
    report = TreeReport()
    ssh = Stage(remote_shell(ctx.repo, script), name="ssh tar")
    listing = ctx.workdir / ".files.json"  # removed with the work folder, whatever happens
    tee = [sys.executable, "-m", "dse_tui.core.tartee", str(listing)]
    ctx.part(f"{ctx.repo.id}.tar.zst", [ssh, Stage(tee, name="manifest")])
    report.files = json.loads(listing.read_text())
    listing.unlink()
    report.bytes_read = sum(f.get("size", 0) for f in report.files)
    _record(ctx, report)


def contents(manifest: dict) -> list[str]:
    return [f"{f['path']}" + ("/" if f["type"] == "dir" else "") for f in manifest.get("files", [])]


def _expected(v) -> dict[str, dict]:
    return {f["path"]: f for f in v.manifest.get("files", [])}


def structure(v) -> None:
    """zstd's own frame checks, and the archive's full listing against the per-file manifest."""
    import tarfile

    from dse_tui.core.stream import Cancelled, TimedOut

    for part in v.parts(".tar.zst"):
        listed: dict[str, tuple[str, int]] = {}

        def read(stream) -> None:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    v.stopping()
                    kind = "dir" if member.isdir() else "symlink" if member.issym() else "file" if member.isfile() else "other"
                    listed[member.name.removeprefix("./")] = (kind, member.size if member.isfile() else 0)

        result, raised = v.read_with(part, read)
        if isinstance(raised, (Cancelled, TimedOut)):
            raise raised
        error = v.failure(result) if not result.ok else None  # zstd's frame checksum, age's authentication
        if error is None and raised is not None:
            error = f"the archive cannot be read: {raised}"
        if not v.check(f"archive {part['file']}", error is None, error or f"{len(listed)} member(s) read"):
            continue
        listed.pop("", None)
        listed.pop(".", None)
        if "files" not in v.manifest:  # a manual backup's archive: no per-file record to hold it against
            continue
        diffs = []
        for path, entry in _expected(v).items():
            got = listed.pop(path, None)
            if got is None:
                diffs.append(f"{path}: missing from the archive")
            elif got[0] != entry["type"] or (entry["type"] == "file" and got[1] != entry["size"]):
                diffs.append(f"{path}: {got[0]} of {got[1]} bytes, the manifest says {entry['type']}"
                             + (f" of {entry['size']} bytes" if entry["type"] == "file" else ""))
        diffs += [f"{path}: in the archive, not in the manifest" for path in listed]
        v.check(f"listing {part['file']}", not diffs, "; ".join(diffs[:4]) + (" …" if len(diffs) > 4 else "")
                if diffs else f"{len(_expected(v))} entries as the manifest lists them")


def trial(v) -> None:
    """Extract the tree with tar, then every file's size and SHA-256, every link and folder, compared."""
    import os

    from dse_tui.core.verify import sha256_file

    for part in v.parts(".tar.zst"):
        tree = v.scratch / "tree"
        tree.mkdir(exist_ok=True)
        result, _ = v.pipe(part, [Stage(["tar", "-x", "-f", "-", "-C", str(tree), "--no-same-owner"],
                                        name="tar -x", stops_early=True)])
        if not v.check(f"extract {part['file']}", result.ok, "extracted with tar" if result.ok
                       else v.failure(result)):
            continue
        if "files" not in v.manifest:
            continue  # a manual backup's archive: extracted whole is all there is to check
        diffs = []
        for path, entry in _expected(v).items():
            v.stopping()
            target = tree / path
            if entry["type"] == "dir":
                ok = target.is_dir() and not target.is_symlink()
            elif entry["type"] == "symlink":
                ok = target.is_symlink() and os.readlink(target) == entry.get("target")
            elif not target.is_file() or target.is_symlink():
                ok = False
            else:
                size, digest = sha256_file(target, v)
                ok = size == entry["size"] and digest == entry["sha256"]
            if not ok:
                diffs.append(f"{path}: not restored as recorded" if target.exists() or target.is_symlink()
                             else f"{path}: missing after extraction")
        count = sum(e["type"] == "file" for e in _expected(v).values())
        v.check(f"files {part['file']}", not diffs, "; ".join(diffs[:4]) + (" …" if len(diffs) > 4 else "")
                if diffs else f"{count} file(s) extracted with the recorded SHA-256")
