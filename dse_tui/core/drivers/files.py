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
