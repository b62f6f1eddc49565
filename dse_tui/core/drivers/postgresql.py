"""PostgreSQL: `pg_dump -Fc` of each database (or every database of the server) and
`pg_dumpall --globals-only` for the roles. Connection through libpq's environment; the password only
through PGPASSWORD (from the variable `password_env` names) or a passfile, never argv."""

from __future__ import annotations

import os
import subprocess

from dse_tui.core.config import Repository
from dse_tui.core.dbconn import pg_env
from dse_tui.core.drivers import BackupContext, BackupError, remote
from dse_tui.core.stream import Stage

LIST_DATABASES = "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1"


def tools(repo: Repository) -> list[str]:
    # pg_restore reads the dumps back (verification, restore).
    return ["zstd", "ssh", "pg_restore"] if repo.ssh else ["pg_dump", "pg_dumpall", "pg_restore", "psql", "zstd"]


def describe(repo: Repository) -> str:
    return f"PostgreSQL {repo.location}"


def _libpq_settings(repo: Repository) -> dict[str, str]:
    s = repo.source
    return {var: str(s[key]) for key, var in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"))
            if s.get(key) is not None}


def connect_stage(repo: Repository, argv: list[str], name: str) -> Stage:
    """`argv` (a libpq tool) connected as the profile says, locally or on the SSH host; also used by `check`."""
    if repo.ssh:
        # On the server: its own .pgpass or peer authentication; no secret travels in the command.
        return Stage(remote(repo, argv, env=_libpq_settings(repo)), name=f"ssh {name}")
    return Stage(argv, env=_secret_env(repo), name=name)


def _secret_env(repo: Repository) -> dict[str, str]:
    full = pg_env(repo.source)
    return {k: v for k, v in full.items() if k.startswith("PG")}


def databases(repo: Repository, timeout: float = 60) -> list[str]:
    listed = repo.source.get("databases")
    if listed:
        return list(listed)
    stage = connect_stage(repo, ["psql", "-XAtq", "-d", "postgres", "-c", LIST_DATABASES], "psql")
    env = {**os.environ, **(stage.env or {})}
    out = subprocess.run(stage.argv, capture_output=True, text=True, env=env, timeout=timeout)
    if out.returncode != 0:
        raise BackupError(f"cannot list the server's databases: {out.stderr.strip() or out.returncode}")
    return out.stdout.split()


def backup(ctx: BackupContext) -> None:
    repo = ctx.repo
    dbs = databases(repo, ctx.remaining())
    ctx.meta["databases"] = dbs
    if repo.source.get("globals", True):
        ctx.part("globals.sql.zst", [connect_stage(repo, ["pg_dumpall", "--globals-only"], "pg_dumpall")])
    for db in dbs:
        # -Z0: zstd compresses better and faster than pg_dump's own zlib; restore with
        # `zstd -dc FILE | pg_restore -d DB`.
        ctx.part(f"{db}.pgdump.zst", [connect_stage(repo, ["pg_dump", "-Fc", "-Z0", "-d", db], "pg_dump")])


def contents(manifest: dict) -> list[str]:
    return [f"database {db}" for db in manifest.get("databases", [])] + ["roles and globals"]
