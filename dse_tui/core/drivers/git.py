"""git: `git bundle create --all` of a repository, bare or working, with its branch heads recorded."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from dse_tui.core.profile.model import Repository
from dse_tui.core.drivers.base import (
    PATH_SOURCE, BackupContext, BackupError, Driver, RestoreError, RestoreTarget, check_path, folder_target,
    suggest_folder,
)
from dse_tui.core.engine.pipeline import Stage
from dse_tui.core.texts import Text, said


def tools(repo: Repository) -> list[str]:
    return ["git", "zstd"]


def describe(repo: Repository) -> str:
    return f"git repository {repo.source['path']} (bundle of every ref)"


def heads(path, timeout: float = 60) -> dict[str, str]:
    out = subprocess.run(["git", "-C", str(path), "for-each-ref", "--format=%(refname) %(objectname)"],
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise BackupError("backup.git_not_repo", path=path, error=out.stderr.strip())
    return dict(line.split(" ", 1) for line in out.stdout.splitlines() if line)


def backup(ctx: BackupContext) -> None:
    path = ctx.repo.source["path"]
    if not path.exists():
        raise BackupError("backup.git_missing", path=path)
    refs = heads(path, ctx.remaining())
    if not refs:
        raise BackupError("backup.git_empty", path=path)
    ctx.meta["heads"] = refs
    ctx.part(f"{ctx.repo.id}.bundle.zst", [Stage(["git", "-C", str(path), "bundle", "create", "--quiet", "-",
                                                  "--all"], name="git bundle")])


def contents(manifest: dict) -> list[str]:
    return [f"{ref} {sha[:12]}" for ref, sha in manifest.get("heads", {}).items()]


def _git(v, *args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *(["-C", str(cwd)] if cwd else []), *args], capture_output=True, text=True,
                          timeout=v.remaining())


def _bundle_heads(v, bundle) -> dict[str, str]:
    out = _git(v, "bundle", "list-heads", str(bundle))
    return {ref: sha for sha, ref in (line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
            if ref != "HEAD"}


def _compare_heads(v, name: str, found: dict[str, str]) -> None:
    expected = v.manifest.get("heads", {})
    diffs = [said("verify.git.ref_moved", ref=ref, found=found[ref][:12], recorded=sha[:12]) if ref in found
             else said("verify.git.ref_missing", ref=ref, recorded=sha[:12])
             for ref, sha in expected.items() if found.get(ref) != sha]
    diffs += [said("verify.git.ref_extra", ref=ref) for ref in found if ref not in expected]
    v.check(name, not diffs, "; ".join(diffs[:4]) if diffs else said("verify.git.refs_ok", n=len(expected)))


def structure(v) -> None:
    for part in v.parts(".bundle.zst"):
        bundle = v.decompressed(part)
        empty = v.scratch / "empty.git"
        _git(v, "init", "-q", "--bare", str(empty))  # `bundle verify` wants a repository, even an empty one
        out = _git(v, "bundle", "verify", "-q", str(bundle), cwd=empty)
        if not v.check(f"bundle {part['file']}", out.returncode == 0,
                       said("verify.git.bundle_ok") if out.returncode == 0 else out.stderr.strip()[-300:]):
            continue
        _compare_heads(v, f"heads {part['file']}", _bundle_heads(v, bundle))


def trial(v) -> None:
    for part in v.parts(".bundle.zst"):
        clone = v.scratch / "clone.git"
        out = _git(v, "clone", "-q", "--mirror", str(v.decompressed(part)), str(clone))
        if not v.check(f"clone {part['file']}", out.returncode == 0, said("verify.git.cloned") if out.returncode == 0
                       else out.stderr.strip()[-300:]):
            continue
        fsck = _git(v, "fsck", "--full", "--no-progress", cwd=clone)
        v.check(f"fsck {part['file']}", fsck.returncode == 0, said("verify.git.fsck_ok") if fsck.returncode == 0
                else (fsck.stderr or fsck.stdout).strip()[-300:])
        _compare_heads(v, f"cloned heads {part['file']}", heads(clone, v.remaining()))


def _not_a_repository(path) -> str | None:
    if not shutil.which("git"):
        return None  # said once, among the tools
    probe = subprocess.run(["git", "-C", str(path), "rev-parse", "--git-dir"], capture_output=True, text=True,
                           timeout=10)
    return Text("check.not_git", path=path) if probe.returncode != 0 else None


def check_source(repo: Repository, timeout: float) -> list[tuple[str, str]]:
    return check_path(repo, timeout, _not_a_repository)


def plan_restore(repo: Repository, run_id: int, manifest: dict, target: str, database: str | None,
                 check_exists: bool) -> RestoreTarget:
    return folder_target(repo, target)


def restore(v, t: RestoreTarget, force: bool) -> None:
    """A clone of the bundle with every branch as a local branch (a mirror for a name ending .git), or,
    into an existing repository, every ref fetched as it was in the run."""
    target = Path(t.target)
    bundle = v.decompressed(v.parts(".bundle.zst")[0])
    if t.live or (target / ".git").exists() or target.name.endswith(".git") and target.exists():
        argv = ["git", "-C", str(target), "fetch", "--quiet", "--force", "--update-head-ok", str(bundle), "refs/*:refs/*"]
    elif target.name.endswith(".git"):
        argv = ["git", "clone", "--quiet", "--mirror", str(bundle), str(target)]
    else:
        if target.exists() and any(target.iterdir()):
            raise RestoreError("restore.git.not_empty", target=target)
        argv = ["git", "clone", "--quiet", str(bundle), str(target)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=v.remaining())
    if out.returncode != 0:
        raise RestoreError("restore.git.failed", error=out.stderr.strip()[-300:])
    if argv[1] == "clone" and "--mirror" not in argv:
        # Every branch of the run as a local branch, as it was, and no remote pointing at a scratch file.
        subprocess.run(["git", "-C", str(target), "fetch", "--quiet", "--update-head-ok", str(bundle),
                        "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"], capture_output=True,
                       timeout=v.remaining())
        subprocess.run(["git", "-C", str(target), "remote", "remove", "origin"], capture_output=True)
    elif "--mirror" in argv:
        subprocess.run(["git", "-C", str(target), "remote", "remove", "origin"], capture_output=True)


def select_parts(repo: Repository, manifest: dict, parts: tuple[str, ...], t: RestoreTarget) -> tuple[str, ...]:
    """A bundle holds commits, not files as they were on a day: a path is a `git checkout` of the clone."""
    if not parts:
        return ()
    raise RestoreError("restore.git.whole")


DRIVER = Driver(
    name="git", source=PATH_SOURCE, select_parts=select_parts,
    backup=backup, describe=describe, contents=contents, tools=tools, structure=structure, trial=trial,
    check_source=check_source, plan_restore=plan_restore, restore=restore, suggest_target=suggest_folder,
    manual_part=(".bundle.zst", "a git bundle"),
)
