"""git: `git bundle create --all` of a repository, bare or working, with its branch heads recorded."""

from __future__ import annotations

import subprocess

from dse_tui.core.profile.config import Repository
from dse_tui.core.drivers import BackupContext, BackupError
from dse_tui.core.engine.pipeline import Stage


def tools(repo: Repository) -> list[str]:
    return ["git", "zstd"]


def describe(repo: Repository) -> str:
    return f"git repository {repo.source['path']} (bundle of every ref)"


def heads(path, timeout: float = 60) -> dict[str, str]:
    out = subprocess.run(["git", "-C", str(path), "for-each-ref", "--format=%(refname) %(objectname)"],
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise BackupError(f"{path} is not a git repository: {out.stderr.strip()}")
    return dict(line.split(" ", 1) for line in out.stdout.splitlines() if line)


def backup(ctx: BackupContext) -> None:
    path = ctx.repo.source["path"]
    if not path.exists():
        raise BackupError(f"the repository {path} does not exist: check source.path in the profile")
    refs = heads(path, ctx.remaining())
    if not refs:
        raise BackupError(f"{path} has no commits yet: there is nothing to bundle")
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
    diffs = [f"{ref}: {found.get(ref, 'missing')[:12]} instead of {sha[:12]}" for ref, sha in expected.items()
             if found.get(ref) != sha]
    diffs += [f"{ref}: not in the manifest" for ref in found if ref not in expected]
    v.check(name, not diffs, "; ".join(diffs[:4]) if diffs else f"{len(expected)} ref(s) as recorded")


def structure(v) -> None:
    for part in v.parts(".bundle.zst"):
        bundle = v.decompressed(part)
        empty = v.scratch / "empty.git"
        _git(v, "init", "-q", "--bare", str(empty))  # `bundle verify` wants a repository, even an empty one
        out = _git(v, "bundle", "verify", "-q", str(bundle), cwd=empty)
        if not v.check(f"bundle {part['file']}", out.returncode == 0,
                       "git bundle verify: ok" if out.returncode == 0 else out.stderr.strip()[-300:]):
            continue
        _compare_heads(v, f"heads {part['file']}", _bundle_heads(v, bundle))


def trial(v) -> None:
    for part in v.parts(".bundle.zst"):
        clone = v.scratch / "clone.git"
        out = _git(v, "clone", "-q", "--mirror", str(v.decompressed(part)), str(clone))
        if not v.check(f"clone {part['file']}", out.returncode == 0, "cloned" if out.returncode == 0
                       else out.stderr.strip()[-300:]):
            continue
        fsck = _git(v, "fsck", "--full", "--no-progress", cwd=clone)
        v.check(f"fsck {part['file']}", fsck.returncode == 0, "git fsck --full: ok" if fsck.returncode == 0
                else (fsck.stderr or fsck.stdout).strip()[-300:])
        _compare_heads(v, f"cloned heads {part['file']}", heads(clone, v.remaining()))
