"""MariaDB/MySQL: `mariadb-dump` (else `mysqldump`) --single-transaction --routines --triggers --events
of each database (or every database of the server). The password reaches the tool as an option file read
from its stdin (locally, and through the ssh connection remotely): never argv, never a file on disk."""

from __future__ import annotations

import subprocess

from dse_tui.core.config import Repository
from dse_tui.core.dbconn import mysql_connection_args, mysql_option_text
from dse_tui.core.drivers import BackupContext, BackupError, remote
from dse_tui.core.preflight import find_tool
from dse_tui.core.stream import Stage

SYSTEM_DATABASES = {"information_schema", "performance_schema", "sys"}
DUMP_OPTIONS = ["--single-transaction", "--routines", "--triggers", "--events", "--hex-blob"]


def tools(repo: Repository) -> list[str]:
    return ["zstd", "ssh"] if repo.ssh else ["mariadb-dump|mysqldump", "mariadb|mysql", "zstd"]


def describe(repo: Repository) -> str:
    return f"MariaDB/MySQL {repo.location}"


def _tool(spec: str, repo: Repository) -> str:
    if repo.ssh:
        return spec.split("|")[0]  # the server's PATH decides; mariadb tools first
    found = find_tool(spec)
    if not found:
        raise BackupError(f"{spec.replace('|', ' or ')} is not installed: install mariadb-client")
    return found


def _option_text(repo: Repository) -> str | None:
    """What the tool reads as its option file on stdin: the password (from the environment variable the
    profile names) or the contents of the profile's `passfile`. Nothing is written to disk."""
    try:
        return mysql_option_text(repo.source)
    except OSError as exc:
        raise BackupError(f"cannot read passfile {repo.source['passfile']}: {exc.strerror}") from None


def command(repo: Repository, tool: str, args: list[str]) -> tuple[Stage, str | None]:
    """The stage, and the option file text to give its stdin, locally or on the SSH host alike; also used
    by `check`."""
    text = _option_text(repo)
    argv = [tool, *(["--defaults-extra-file=/dev/stdin"] if text else []), *mysql_connection_args(repo.source), *args]
    name = tool.rsplit("/", 1)[-1]
    stage = Stage(remote(repo, argv), name=f"ssh {name}") if repo.ssh else Stage(argv, name=name)
    return stage, text


def backup(ctx: BackupContext) -> None:
    repo = ctx.repo
    dbs = repo.source.get("databases") or _all_databases(repo, ctx.remaining())
    ctx.meta["databases"] = dbs
    dump = _tool("mariadb-dump|mysqldump", repo)
    for db in dbs:
        stage, text = command(repo, dump, [*DUMP_OPTIONS, db])
        ctx.part(f"{db}.sql.zst", [stage], feed=(lambda pipe, t=text: pipe.write(t.encode())) if text else None)


def _all_databases(repo: Repository, timeout: float) -> list[str]:
    stage, text = command(repo, _tool("mariadb|mysql", repo), ["-N", "-B", "-e", "SHOW DATABASES"])
    out = subprocess.run(stage.argv, input=text or "", capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise BackupError(f"cannot list the server's databases: {out.stderr.strip() or out.returncode}")
    return [d for d in out.stdout.split() if d not in SYSTEM_DATABASES]


def contents(manifest: dict) -> list[str]:
    return [f"database {db}" for db in manifest.get("databases", [])]
