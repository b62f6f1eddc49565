"""git: `git bundle create --all` of a repository, bare or working, with its branch heads recorded."""

from __future__ import annotations

import subprocess

from dse_tui.core.config import Repository
from dse_tui.core.drivers import BackupContext, BackupError
from dse_tui.core.stream import Stage


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
