"""MariaDB/MySQL: `mariadb-dump` (else `mysqldump`) --single-transaction --routines --triggers --events
of each database (or every database of the server). The password only through a temporary 0600 option
file (locally) or the ssh connection's stdin (remotely), never argv."""

from __future__ import annotations

import subprocess

from dse_tui.core.config import Repository
from dse_tui.core.dbconn import mysql_connection_args, mysql_option_file, mysql_option_text
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


def backup(ctx: BackupContext) -> None:
    repo = ctx.repo
    with mysql_option_file({} if repo.ssh else repo.source) as option_file:
        def command(tool: str, args: list[str]) -> tuple[Stage, object]:
            if repo.ssh:
                text = mysql_option_text(repo.source)
                extra = ["--defaults-extra-file=/dev/stdin"] if text else []
                stage = Stage(remote(repo, [tool, *extra, *mysql_connection_args(repo.source), *args]),
                              name=f"ssh {tool.rsplit('/', 1)[-1]}")
                return stage, (lambda pipe: pipe.write(text.encode())) if text else None
            extra = [f"--defaults-extra-file={option_file}"] if option_file else []
            return Stage([tool, *extra, *mysql_connection_args(repo.source), *args],
                         name=tool.rsplit("/", 1)[-1]), None

        dbs = repo.source.get("databases") or _all_databases(repo, command)
        ctx.meta["databases"] = dbs
        dump = _tool("mariadb-dump|mysqldump", repo)
        for db in dbs:
            stage, feed = command(dump, [*DUMP_OPTIONS, db])
            ctx.part(f"{db}.sql.zst", [stage], feed=feed)


def _all_databases(repo: Repository, command) -> list[str]:
    stage, feed = command(_tool("mariadb|mysql", repo), ["-N", "-B", "-e", "SHOW DATABASES"])
    text = mysql_option_text(repo.source) if feed else None
    out = subprocess.run(stage.argv, input=text, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise BackupError(f"cannot list the server's databases: {out.stderr.strip() or out.returncode}")
    return [d for d in out.stdout.split() if d not in SYSTEM_DATABASES]


def contents(manifest: dict) -> list[str]:
    return [f"database {db}" for db in manifest.get("databases", [])]
