"""files: a directory tree as a tar stream compressed with zstd (what GNU tar makes of it, see
core/tarstream.py), with a per-file manifest (path, type, mode, mtime, owner; size and SHA-256 of files,
targets of links) and the list of what is not archived as it is on disk. Locally the tree is read once, by
Python, hashing as it archives; over SSH the remote `tar` streams it back and the manifest is read from
that stream."""

from __future__ import annotations

import json
import shlex
import sys
import tarfile
from collections import Counter
from pathlib import Path

from dse_tui.core.texts import said
from dse_tui.core.profile.model import Repository
from dse_tui.core.drivers.base import (
    PATH_SOURCE, BackupContext, BackupError, Driver, RestoreTarget, check_path, folder_target, remote_shell,
    suggest_folder,
)
from dse_tui.core.profile.schema import Bool, Field, List, Mapping, Str
from dse_tui.core.engine.pipeline import Cancelled, Stage, TimedOut
from dse_tui.core.drivers.files.listing import expected_entries, kind_word, not_archived_line, some_diffs
from dse_tui.core.drivers.files.parts import select_parts
from dse_tui.core.drivers.files.tarstream import FAILING, TreeReport, member_entry
from dse_tui.core.verification.manifest import JsonLines


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
    # The entries, one JSON line each, go into the manifest from this file unread (the runner removes it);
    # a failed run's work folder goes with it.
    entries = ctx.workdir / ".files.jsonl"
    argv = [sys.executable, "-m", "dse_tui.core.drivers.files.tarwriter", str(root), str(report_file), str(entries)]
    argv += [f"--include={p}" for p in source["include"]] + [f"--exclude={p}" for p in source["exclude"]]
    try:
        ctx.part(f"{ctx.repo.id}.tar.zst", [Stage(argv, name="tar writer")])
        report = json.loads(report_file.read_text())
    finally:
        report_file.unlink(missing_ok=True)
    _record(ctx, report, JsonLines(entries))


def _record(ctx: BackupContext, report: dict, entries: JsonLines) -> None:
    """`report`: what the tar writer (or tartee) says besides the entries: root, file_count, bytes_read,
    not_archived."""
    ctx.meta["files"] = entries
    if report["root"] is not None:
        ctx.meta["root"] = report["root"]
    ctx.meta["file_count"] = report["file_count"]
    ctx.meta["bytes"] = report["bytes_read"]
    ctx.meta["not_archived"] = not_archived = report["not_archived"]
    if not_archived:
        _log_not_archived(ctx, not_archived)
    if ctx.meta["file_count"] == 0 and not ctx.repo.source.get("allow_empty"):
        raise BackupError(f"no file was archived from {ctx.repo.source['path']} (an unmounted disk? patterns that "
                          "match nothing?); set source.allow_empty: true if an empty tree is expected")
    ctx.unsatisfactory = _why_unsatisfactory(not_archived)


# What exists and was not kept (tarstream.FAILING) makes the run unsatisfactory: what it says, what to do.
_FAILURES = {
    "unreadable": ("could not be read", "run as a user who can read them, or exclude them in the profile"),
    "shrank": ("shrank while they were read", "their copy is padded, not what was on disk; run again when they "
                                              "are quiet, or exclude them"),
}


def _why_unsatisfactory(entries: list[dict]) -> str | None:
    reasons = []
    for reason in FAILING:
        bad = [e for e in entries if e["reason"] == reason]
        if bad:
            shown = "; ".join(e["path"] + (f": {e['detail']}" if e.get("detail") else "") for e in bad[:5])
            more = f" … and {len(bad) - 5} more, all in the run's log" if len(bad) > 5 else ""
            what, advice = _FAILURES[reason]
            reasons.append(f"{len(bad)} file(s) {what} ({shown}{more}): {advice}")
    return "; ".join(reasons) or None


def _log_not_archived(ctx: BackupContext, entries: list[dict]) -> None:
    """The whole list, in the live log and in the log the catalog keeps with the run."""
    counts = Counter(e["reason"] for e in entries)
    title = (f"not archived as on disk: {len(entries)} path(s) ("
             + ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items())) + ")")
    lines = [not_archived_line(e) for e in entries]
    ctx.log(f"warning: {title}")
    for line in lines:
        ctx.log(f"  {line}")
    ctx.stderr.append("\n".join([f"--- {title}", *lines]))


def _backup_remote(ctx: BackupContext) -> None:
    """The server's tar streams the tree back; Python reads the stream on its way to zstd, hashing
    each member for the manifest, so nothing is read twice and nothing is left on the server."""
    source = ctx.repo.source
    # As the local writer: pax headers for nanosecond times (not the access and change times, which
    # extraction does not restore), owners by number (the server's names mean nothing here).
    tar = ["tar", "-cf", "-", "--format=posix", "--pax-option=delete=atime,delete=ctime", "--numeric-owner",
           *[f"--exclude={p}" for p in source["exclude"]], "--"]
    # Include patterns are globs the server's shell expands inside the folder (the profile's schema
    # allows no other shell characters in them).
    script = f"cd {shlex.quote(str(source['path']))} && {shlex.join(tar)} {' '.join(source['include']) or '.'}"
    ssh = Stage(remote_shell(ctx.repo, script), name="ssh tar")
    report_file, entries = ctx.workdir / ".files.json", ctx.workdir / ".files.jsonl"  # as the local writer's
    tee = [sys.executable, "-m", "dse_tui.core.drivers.files.tartee", str(report_file), str(entries)]
    named = set(source["include"])

    def per_file_only(stage) -> bool:
        # GNU tar goes on past a file it cannot read (exit 2) or that changed as it read it (exit 1), and
        # still ends the archive well: those are the tree's news, listed as not archived, not a broken part.
        return (stage.name == ssh.name and stage.returncode in (1, 2)
                and _tar_warnings(stage.stderr, named) is not None)

    ctx.part(f"{ctx.repo.id}.tar.zst", [ssh, Stage(tee, name="manifest")], tolerate=per_file_only)
    report = json.loads(report_file.read_text())
    report_file.unlink()
    # Sockets come with exit 0, the rest with 1 or 2: the stderr of every stage, read by the same words.
    warned = _tar_warnings("\n".join(ctx.stderr), named, strict=False)
    types = _types_of({path for path, _, _ in warned}, entries)  # tar's words do not say what the path was
    missed = TreeReport()
    for path, kind, reason in warned:
        missed.miss(path, types.get(path, kind), reason)
    _record(ctx, {**report, "not_archived": missed.not_archived}, JsonLines(entries))


def _types_of(paths: set[str], entries: Path) -> dict[str, str]:
    """The manifest's type of each of `paths` that the entries list, read through once."""
    found: dict[str, str] = {}
    if paths:
        with open(entries, "rb") as f:
            for line in f:
                entry = json.loads(line)
                if entry["path"] in paths:
                    found[entry["path"]] = entry["type"]
    return found


# GNU tar's words for a file it did not archive as it was, and what that is in the manifest's terms.
_TAR_WARNINGS = (
    (": Cannot open: Permission denied", "file", "unreadable"),
    (": Cannot savedir: Permission denied", "dir", "unreadable"),
    (": Cannot stat: Permission denied", "other", "unreadable"),
    (": file changed as we read it", "file", "changed"),
    (": File removed before we read it", "file", "vanished"),
    (": Cannot stat: No such file or directory", "other", "vanished"),
    (": Cannot open: No such file or directory", "file", "vanished"),
    (": socket ignored", "socket", "socket"),  # with exit 0
)
# Lines that say nothing of the tree: tar's summary, ssh's note on a host key it has just learned.
_TAR_NOISE = ("tar: Exiting with failure status due to previous errors", "Warning: Permanently added ")


def _tar_warnings(stderr: str, named: set[str] = frozenset(), *, strict: bool = True):
    """(path, type, reason) of each per-file warning of GNU tar's stderr. `strict`: None when it says
    anything else (a fatal error, ssh's own words, a path the profile names that is not there): then the
    part failed as it says; otherwise such lines are passed over."""
    found = []
    for line in stderr.splitlines():
        if not line.strip() or line.startswith(_TAR_NOISE):
            continue
        match = next(((suffix, kind, reason) for suffix, kind, reason in _TAR_WARNINGS
                      if line.startswith("tar: ") and line.endswith(suffix)), None)
        if match is None:
            if strict:
                return None
            continue
        suffix, kind, reason = match
        path = line.removeprefix("tar: ").removesuffix(suffix).removeprefix("./")
        if reason == "vanished" and path in named:
            if strict:
                return None  # not a file gone while read: the profile's include names nothing there
            continue
        found.append((path, kind, reason))
    return found


def contents(manifest: dict) -> list[str]:
    return [f"{f['path']}" + ("/" if f["type"] == "dir" else "") for f in manifest.get("files", [])]


def structure(v) -> None:
    """zstd's own frame checks, and the archive's full listing against the per-file manifest."""
    for part in v.parts(".tar.zst"):
        listed: dict[str, dict] = {}

        def read(stream) -> None:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    v.stopping()
                    entry = member_entry(member)
                    listed[entry["path"]] = entry | ({"size": member.size} if entry["type"] == "file" else {})

        result, raised = v.read_with(part, read)
        if isinstance(raised, (Cancelled, TimedOut)):
            raise raised
        error = v.failure(result) if not result.ok else None  # zstd's frame checksum, age's authentication
        if error is None and raised is not None:
            error = said("verify.archive_unreadable", error=raised)
        if not v.check(f"archive {part['file']}", error is None, error or said("verify.members", n=len(listed))):
            continue
        listed.pop("", None)
        listed.pop(".", None)
        if "files" not in v.manifest:  # a manual backup's archive: no per-file record to hold it against
            continue
        diffs = []
        for path, entry in expected_entries(v).items():
            got = listed.pop(path, None)
            why = said("verify.listed.missing") if got is None else _listed_differently(got, entry)
            if why:
                diffs.append(f"{path}: {why}")
        diffs += [f"{path}: {said('verify.listed.extra')}" for path in listed]
        v.check(f"listing {part['file']}", not diffs, some_diffs(diffs) if diffs
                else said("verify.listing_ok", n=len(expected_entries(v))))


def _listed_differently(got: dict, want: dict) -> str | None:
    if got["type"] != want["type"]:
        return said("verify.listed.kind", found=kind_word(got["type"]), kind=kind_word(want["type"]))
    if want["type"] == "file" and got["size"] != want["size"]:
        return said("verify.listed.size", found=got["size"], recorded=want["size"])
    if "target" in want and got.get("target") != want["target"]:
        return said("verify.listed.target", found=got.get("target"), recorded=want["target"])
    return None


def check_source(repo: Repository, timeout: float) -> list[tuple[str, str]]:
    return check_path(repo, timeout)


def plan_restore(repo: Repository, run_id: int, manifest: dict, target: str, database: str | None,
                 check_exists: bool) -> RestoreTarget:
    return folder_target(repo, target)


def _trial(v) -> None:
    from dse_tui.core.drivers.files.extract import trial

    trial(v)


def _restore(v, t: RestoreTarget, force: bool) -> None:
    if t.parts:
        from dse_tui.core.drivers.files.parts import restore_parts

        return restore_parts(v, t, force)
    from dse_tui.core.drivers.files.extract import restore

    restore(v, t, force)


_GLOB = Str(r"[A-Za-z0-9_.*?\[\]/@+:=,~%-]+", "a path pattern such as 'cache/*' or '*.log' (no spaces or quotes)")

DRIVER = Driver(
    name="files",
    source=Mapping({**PATH_SOURCE.fields, "include": Field(List(_GLOB), default=list),
                    "exclude": Field(List(_GLOB), default=list), "allow_empty": Field(Bool(), default=False)}),
    backup=backup, describe=describe, contents=contents, tools=tools, structure=structure, trial=_trial,
    check_source=check_source, plan_restore=plan_restore, restore=_restore, suggest_target=suggest_folder,
    manual_part=(".tar.zst", "a tar archive (or a folder)"), over_ssh=True, parts="paths", select_parts=select_parts,
)
