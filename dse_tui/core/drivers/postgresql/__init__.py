"""PostgreSQL: `pg_dump -Fc` of each database (or every database of the server) and
`pg_dumpall --globals-only` for the roles. Connection through libpq's environment; the password only
through PGPASSWORD (from the variable `password_env` names) or a passfile, never argv."""

from __future__ import annotations

import os
import shlex
import subprocess

from dse_tui.core.profile.model import Repository
from dse_tui.core.keys.crypto import plain_name
from dse_tui.core.common.probe import first_error
from dse_tui.core.drivers.base import (
    DB_SOURCE, BackupContext, BackupError, Driver, RestoreError, RestoreTarget, advice, attempt, check_result,
    database_contents, database_location, database_plan, dumps_folder, manifest_databases, password_env_missing,
    remote, suggest_database,
)
from dse_tui.core.profile.schema import BoolOr, Field, Mapping
from dse_tui.core.drivers.postgresql.snapshot import Snapshot, count_rows
from dse_tui.core.engine.pipeline import Stage
from dse_tui.core.texts import Text, said

WITHOUT_PASSWORDS = "without-passwords"  # the `globals` setting that dumps roles without their password hashes
LIST_DATABASES = "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1"


def tools(repo: Repository) -> list[str]:
    # pg_restore reads the dumps back (verification, restore).
    return ["zstd", "ssh", "pg_restore"] if repo.ssh else ["pg_dump", "pg_dumpall", "pg_restore", "psql", "zstd"]


def describe(repo: Repository) -> str:
    return f"PostgreSQL {repo.location}"


def pg_env(source: dict, timeout: int | None = None) -> dict[str, str]:
    """libpq environment for a `postgresql` source: PGHOST/PGPORT/PGUSER, the password from the variable
    `password_env` names (as PGPASSWORD) or a passfile (PGPASSFILE)."""
    env = {}
    if timeout:
        env["PGCONNECT_TIMEOUT"] = str(timeout)
    for key, var in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER")):
        if source.get(key) is not None:
            env[var] = str(source[key])
    if source.get("passfile"):
        env["PGPASSFILE"] = str(source["passfile"])
    if source.get("password_env"):
        env["PGPASSWORD"] = os.environ.get(source["password_env"], "")
    return {**os.environ, **env}


def command_env(repo: Repository) -> dict[str, str]:
    """A checklist step's command reads the connection as libpq's own tools do (PG*), password included."""
    return {k: v for k, v in pg_env(repo.source).items() if k.startswith("PG")}


def _libpq_settings(repo: Repository) -> dict[str, str]:
    s = repo.source
    return {var: str(s[key]) for key, var in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"))
            if s.get(key) is not None}


def connect_stage(repo: Repository, argv: list[str], name: str, *, stops_early: bool = False) -> Stage:
    """`argv` (a libpq tool) connected as the profile says, locally or on the SSH host; also used by `check`.
    `stops_early`: a reader that may not read its input to the end (pg_restore)."""
    if repo.ssh:
        # On the server: its own .pgpass or peer authentication; no secret travels in the command.
        return Stage(remote(repo, argv, env=_libpq_settings(repo)), name=f"ssh {name}", stops_early=stops_early)
    return Stage(argv, env=_secret_env(repo), name=name, stops_early=stops_early)


def _secret_env(repo: Repository) -> dict[str, str]:
    full = pg_env(repo.source)
    return {k: v for k, v in full.items() if k.startswith("PG")}


def psql(repo: Repository, db: str, sql: str, timeout: float = 60) -> subprocess.CompletedProcess:
    stage = connect_stage(repo, ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql], "psql")
    env = {**os.environ, **(stage.env or {})}
    return subprocess.run(stage.argv, capture_output=True, text=True, env=env, timeout=timeout)


def databases(repo: Repository, timeout: float = 60) -> list[str]:
    listed = repo.source.get("databases")
    if listed:
        return list(listed)
    out = psql(repo, "postgres", LIST_DATABASES, timeout)
    if out.returncode != 0:
        raise BackupError(f"cannot list the server's databases: {out.stderr.strip() or out.returncode}")
    return out.stdout.split()


def backup(ctx: BackupContext) -> None:
    repo = ctx.repo
    dbs = databases(repo, ctx.remaining())
    ctx.meta["databases"] = dbs
    if repo.source.get("globals", True):
        ctx.part("globals.sql.zst", [connect_stage(repo, globals_argv(repo), "pg_dumpall")])
    ctx.meta["row_counts"] = {}
    for db in dbs:
        # The rows are counted in the very snapshot pg_dump then dumps, so a trial restore can compare
        # them exactly even while the database is written to.
        with Snapshot(connect_stage(repo, ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", db], "psql"),
                      ctx.remaining(86400), f"{db}.pgdump.zst", ctx.stderr) as snap:
            snapshot = snap.begin()
            ctx.meta["row_counts"][db] = snap.counts()
            # -Z0: zstd compresses better and faster than pg_dump's own zlib; restore with
            # `zstd -dc FILE | pg_restore -d DB`.
            ctx.part(f"{db}.pgdump.zst", [connect_stage(repo, ["pg_dump", "-Fc", "-Z0", f"--snapshot={snapshot}",
                                                               "-d", db], "pg_dump")])


def globals_argv(repo: Repository) -> list[str]:
    """pg_dumpall of the roles and tablespaces. `globals: without-passwords` leaves the password hashes
    out (--no-role-passwords), which lets a role that is not a superuser dump them: pg_authid, where the
    hashes are, is readable by superusers only."""
    argv = ["pg_dumpall", "--globals-only"]
    return argv + ["--no-role-passwords"] if repo.source.get("globals") == WITHOUT_PASSWORDS else argv


def probe(repo: Repository, timeout: float) -> list[tuple[str, str]]:
    """What `check` tries with the profile's role, as the run will: pg_dump of each database's schema
    (which locks every table as the dump does, so a missing SELECT shows), the globals, and the CREATEDB
    that restore-level verification needs. [(level, message)]: only the problems."""
    problems = []
    try:
        dbs = databases(repo, timeout)  # every database the run will dump, listed as the run lists them
    except BackupError as exc:
        return [("error", str(exc))]
    for db in dbs:
        failed = _tries(repo, ["pg_dump", "--schema-only", "-d", db], timeout)
        if not failed:
            failed = _unreadable(repo, db, timeout)  # the schema dump reads no sequence, nor any row
        if failed:
            problems.append(("error", Text("check.pg_dump_fails", db=db, failed=failed)))
    if repo.source.get("globals", True):
        failed = _tries(repo, globals_argv(repo), timeout)
        if failed:
            problems.append(("error", Text("check.pg_globals_fail", command=shlex.join(globals_argv(repo)),
                                                 failed=failed)))
    if repo.verify == "restore":
        out = psql(repo, "postgres", "SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user",
                   timeout)
        if out.returncode == 0 and out.stdout.strip() != "t":
            problems.append(("error", Text("check.pg_createdb")))
    return problems


# What pg_dump will SELECT from and the role may not read (tables, sequences, materialized views).
UNREADABLE = ("SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
              " WHERE c.relkind IN ('r', 'p', 'S', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
              " AND n.nspname NOT LIKE 'pg\\_%' AND NOT has_table_privilege(c.oid, 'SELECT') ORDER BY 1 LIMIT 6")


def _unreadable(repo: Repository, db: str, timeout: float) -> str | None:
    out = psql(repo, db, UNREADABLE, timeout)
    names = out.stdout.splitlines() if out.returncode == 0 else []
    if not names:
        return None
    shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
    failure = f"permission denied for table or sequence {shown}"
    return failure + advice(failure)


def _tries(repo: Repository, argv: list[str], timeout: float) -> str | None:
    """A libpq tool run as the backup runs it (attempt): None, or the error in its own words."""
    stage = connect_stage(repo, argv, argv[0])
    return attempt(stage, timeout, env={**os.environ, "PGCONNECT_TIMEOUT": "5", **(stage.env or {})})


def contents(manifest: dict) -> list[str]:
    return database_contents(manifest) + ["roles and globals"]


def structure(v) -> None:
    """pg_restore reads each dump's table of contents; the globals end with pg_dumpall's completion line."""
    for part in v.parts(".pgdump.zst"):
        listing = v.scratch / f"{part['file']}.list"
        with open(listing, "wb") as out:
            result, _ = v.pipe(part, [Stage(["pg_restore", "--list"], name="pg_restore --list",
                                                       stops_early=True)], out)
        entries = [line for line in listing.read_text(errors="replace").splitlines() if line and line[0] != ";"]
        data = sum(" TABLE DATA " in line for line in entries)
        v.check(f"pg_restore --list {part['file']}", result.ok,
                said("verify.pg.listed", n=len(entries), data=data) if result.ok else v.failure(result))
    for part in v.parts("globals.sql.zst"):
        v.ends_with(part, b"PostgreSQL database cluster dump complete", "pg_dumpall")


def trial(v) -> None:
    """Each dump restored into a scratch database on the same server, its rows counted, the database dropped."""
    from dse_tui.core.verification.levels import compare_counts

    repo = v.repo
    for part in v.parts(".pgdump.zst"):
        db = plain_name(part["file"]).removesuffix(".pgdump.zst")
        name = v.scratch_name()
        made = psql(repo, "postgres", f'CREATE DATABASE "{name}"', v.remaining(60))
        if not v.check(f"scratch database for {db}", made.returncode == 0, unable=True, detail=
                       name if made.returncode == 0 else made.stderr.strip()):
            continue
        try:
            restore = connect_stage(repo, ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                                           "-d", name], "pg_restore", stops_early=True)
            result, _ = v.pipe(part, [restore])
            if not v.check(f"restore {db}", result.ok, said("verify.pg.restored_into", name=name) if result.ok else v.failure(result)):
                continue
            counts = count_rows(connect_stage(repo, ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", name], "psql"),
                                v.remaining())
            compare_counts(v, f"rows {db}", v.manifest.get("row_counts", {}).get(db), counts)
        finally:
            failure = drop_scratch(repo, name)
            if failure:
                v.check(f"drop {name}", False, said("verify.pg.not_dropped", failure=failure))


def drop_scratch(repo: Repository, name: str) -> str | None:
    """Drop a scratch database; None, or why it could not be."""
    dropped = psql(repo, "postgres", f'DROP DATABASE IF EXISTS "{name}"', 120)
    if dropped.returncode != 0:  # a session still in it (a stuck client, a killed pg_restore): PostgreSQL 13+ ends it
        dropped = psql(repo, "postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', 120)
    return dropped.stderr.strip() or said("verify.pg.drop_failed") if dropped.returncode != 0 else None


# ---------------------------------------------------------------- check

def check_source(repo: Repository, timeout: float) -> list[tuple[str, str]]:
    """Connects as the backup will (the driver's own connection, locally or on the SSH host), then tries
    what the run and its verification will do with that role."""
    answer = _answers(repo)
    tried = probe(repo, timeout * 6) if answer[0] == "ok" else []
    return [answer] + tried + password_env_missing(repo)


def _answers(repo: Repository) -> tuple[str, str]:
    import shutil

    databases = repo.source.get("databases") or ["postgres"]
    where = f"{repo.source.get('host') or 'local socket'}:{repo.source.get('port') or 5432}"
    where += f" via ssh {repo.ssh.destination}" if repo.ssh else ""
    if not shutil.which("ssh" if repo.ssh else "psql"):
        return "error", Text("check.pg_no_client", tool="ssh" if repo.ssh else "psql")
    for db in databases:
        stage = connect_stage(repo, ["psql", "-XAtq", "-d", db, "-c", "select 1"], "psql")
        result = first_error(stage.argv, env={**os.environ, "PGCONNECT_TIMEOUT": "5", **(stage.env or {})})
        if result is not None:
            return "error", Text("check.pg_fails", where=where, db=db, result=result)
    return "ok", Text("check.pg_answers", where=where, databases=", ".join(databases))


# ---------------------------------------------------------------- restore

def database_exists(repo: Repository, name: str) -> bool:
    literal = name.replace("'", "''")
    out = psql(repo, "postgres", f"SELECT 1 FROM pg_database WHERE datname = '{literal}'", 15)
    if out.returncode != 0:
        raise RestoreError(f"cannot reach the server: {out.stderr.strip()}")
    return out.stdout.strip() == "1"


def restore(v, t: RestoreTarget, force: bool) -> None:
    if t.into == "folder":
        if t.parts:
            from dse_tui.core.drivers.postgresql.parts import restore_parts

            return restore_parts(v, t, [], connect_stage=connect_stage, psql=psql)
        return dumps_folder(v, t, force)
    from dse_tui.core.drivers.postgresql.roles import restore_flags

    repo = v.repo
    part = next(x for x in v.parts(".pgdump.zst") if plain_name(x["file"]) == f"{t.database}.pgdump.zst")
    roles = restore_flags(v, repo, part, psql)  # asked before anything is made on the server
    clean = []
    if t.exists:
        clean = ["--clean", "--if-exists"]
    else:
        made = psql(repo, "postgres", f'CREATE DATABASE "{t.target}"', v.remaining(60))
        if made.returncode != 0:
            raise RestoreError(f"cannot create the database {t.target}: {made.stderr.strip()}")
    superuser = psql(repo, "postgres", "SELECT rolsuper FROM pg_roles WHERE rolname = current_user", v.remaining(60))
    if superuser.stdout.strip() != "t":
        # Only a superuser may give objects to their recorded owners: the restoring role keeps them.
        clean.append("--no-owner")
        v.log("the role is not a superuser: the restored objects belong to it, not to their recorded owners")
    clean += [f for f in roles if f not in clean]
    if t.parts:
        from dse_tui.core.drivers.postgresql.parts import restore_parts

        return restore_parts(v, t, clean, connect_stage=connect_stage, psql=psql)
    result, _ = v.pipe(part, [connect_stage(repo, ["pg_restore", *clean, "--exit-on-error", "-d", t.target],
                                            "pg_restore", stops_early=True)])
    check_result(v, result, f"restore into {t.target}")


def _select_parts(repo: Repository, manifest: dict, parts: tuple[str, ...], t: RestoreTarget) -> tuple[str, ...]:
    from dse_tui.core.drivers.postgresql.parts import select_parts

    return select_parts(repo, manifest, parts, t.database)


def manual_meta(parts: list[str]) -> dict:
    dbs = [p.removesuffix(".pgdump.zst") for p in parts if p.endswith(".pgdump.zst")]
    return {"databases": dbs} if dbs else {}


DRIVER = Driver(
    name="postgresql",
    source=Mapping({**DB_SOURCE, "globals": Field(BoolOr(WITHOUT_PASSWORDS), default=True)}),
    backup=backup, describe=describe, contents=contents, tools=tools, structure=structure, trial=trial,
    check_source=check_source, plan_restore=database_plan(database_exists), restore=restore,
    suggest_target=suggest_database,
    manual_part=(".pgdump.zst", "a pg_dump custom-format dump (pg_dump -Fc)"),
    over_ssh=True, location=database_location, databases=manifest_databases, command_env=command_env,
    drop_scratch=drop_scratch, manual_meta=manual_meta, parts="tables", select_parts=_select_parts,
)
