"""MariaDB/MySQL: `mariadb-dump` (else `mysqldump`) --single-transaction --routines --triggers --events
of each database (or every database of the server). The password reaches the tool as an option file read
from its stdin (locally, and through the ssh connection remotely): never argv, never a file on disk."""

from __future__ import annotations

import os
import re
import secrets
import subprocess

from dse_tui.core.profile.model import Repository
from dse_tui.core.keys.crypto import plain_name
from dse_tui.core.common.probe import first_error
from dse_tui.core.drivers.base import (
    DB_SOURCE, BackupContext, BackupError, Driver, RestoreError, RestoreTarget, advice, attempt, check_result,
    database_contents, database_location, database_plan, dumps_folder, manifest_databases, password_env_missing,
    remote, suggest_database,
)
from dse_tui.core.drivers.mysql.grants import RUN_NEEDS, SQL as GRANTS_SQL, Grants
from dse_tui.core.profile.schema import Mapping
from dse_tui.core.common.tools import find_tool
from dse_tui.core.engine.pipeline import Stage, error_line
from dse_tui.core.texts import Text, said

SYSTEM_DATABASES = {"information_schema", "performance_schema", "sys"}
DUMP_OPTIONS = ["--single-transaction", "--routines", "--triggers", "--events", "--hex-blob"]


def tools(repo: Repository) -> list[str]:
    return ["zstd", "ssh"] if repo.ssh else ["mariadb-dump|mysqldump", "mariadb|mysql", "zstd"]


def describe(repo: Repository) -> str:
    return f"MariaDB/MySQL {repo.location}"


def mysql_option_text(source: dict) -> str | None:
    """What a MariaDB tool reads as its option file (from stdin): the profile's `passfile` as it is, or a
    [client] section with the password from the variable `password_env` names; None when there is none.
    Raises OSError when the passfile cannot be read."""
    if source.get("passfile"):
        return source["passfile"].read_text()
    if not source.get("password_env"):
        return None
    password = os.environ.get(source["password_env"], "")
    escaped = password.replace("\\", "\\\\").replace('"', '\\"')
    return f'[client]\npassword="{escaped}"\n'


def mysql_connection_args(source: dict) -> list[str]:
    args = [f"--host={source['host']}"] if source.get("host") else []
    args += [f"--port={source['port']}"] if source.get("port") else []
    args += [f"--user={source['user']}"] if source.get("user") else []
    return args


def command_env(repo: Repository) -> dict[str, str]:
    """A checklist step's command: the mariadb tools read the password from MYSQL_PWD, never the command."""
    var = repo.source.get("password_env")
    return {"MYSQL_PWD": os.environ.get(var, "")} if var else {}


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
    client = _tool("mariadb|mysql", repo)
    ctx.meta["row_counts"] = {}
    grants = read_grants(repo, client, ctx.remaining())
    for db in dbs:
        # Counted in a consistent snapshot just before the dump's own: exact on a quiet database (MariaDB
        # cannot share one snapshot between two sessions, as PostgreSQL can).
        ctx.meta["row_counts"][db] = count_rows(repo, client, db, ctx.remaining())
        ctx.meta.setdefault("objects", {})[db] = list_objects(repo, client, db, ctx.remaining())
        # Without TRIGGER the dump exits 0 and lacks the triggers: no good backup, so none is recorded.
        lacking = grants.lacks(db, RUN_NEEDS)
        if lacking:
            raise BackupError(lacking)
        stage, text = command(repo, dump, [*DUMP_OPTIONS, db])
        ctx.part(f"{db}.sql.zst", [stage], feed=(lambda pipe, t=text: pipe.write(t.encode())) if text else None)


def probe(repo: Repository, timeout: float) -> list[tuple[str, str]]:
    """What `check` tries with the profile's user, as the run will: the dump of each database with the same
    options, each table read with WHERE 0 (so a SELECT missing shows, yet no row is read), the privileges
    whose absence the dump would not report (grants.py), and a scratch database created and dropped when
    verification restores. [(level, message)]: only the problems, one error at most per database."""
    problems = []
    try:
        dump, client = _tool("mariadb-dump|mysqldump", repo), _tool("mariadb|mysql", repo)
        dbs = repo.source.get("databases") or _all_databases(repo, timeout)
        grants = read_grants(repo, client, timeout)
    except BackupError as exc:
        return [("error", str(exc))]
    for db in dbs:
        stage, text = command(repo, dump, ["--where=0", *DUMP_OPTIONS, db])
        failed = attempt(stage, timeout, stdin=text)
        lacking = grants.lacks(db)
        found = [Text("check.mysql_dump_fails", db=db, failed=failed)] if failed else []
        found += [lacking] if lacking else []
        if found:
            problems.append(("error", found[0] if len(found) == 1 else Text("check.and", first=found[0],
                                                                              then=found[1])))
    problems += _routines_unreadable(repo, client, grants, timeout)
    if repo.verify == "restore":
        name = f"dse_verify_check_{secrets.token_hex(3)}"
        try:
            query(repo, client, f"CREATE DATABASE {quote_name(name)}", timeout, Text("mysql.do.create_scratch"))
            query(repo, client, f"DROP DATABASE {quote_name(name)}", timeout, Text("mysql.do.drop_scratch"))
        except BackupError as exc:
            problems.append(("error", Text("check.mysql_scratch", error=exc)))
    return problems


def read_grants(repo: Repository, client: str, timeout: float) -> Grants:
    """What the user may do in each database: one query for all of them."""
    return Grants.parse(query(repo, client, GRANTS_SQL, timeout, Text("mysql.do.read_grants")))


def _routines_unreadable(repo: Repository, client: str, grants: Grants, timeout: float) -> list[tuple[str, str]]:
    """MariaDB shows a routine's definition only to its definer and to who may read mysql.proc; mariadb-dump
    leaves the others out without a word. Whether the databases have routines the user cannot see is not
    to be known, hence a warning."""
    try:
        query(repo, client, "SELECT 1 FROM mysql.proc LIMIT 0", timeout, Text("mysql.do.read_proc"))
    except BackupError as exc:
        if "doesn't exist" in str(exc):  # MySQL 8 keeps routines elsewhere
            return []
        return [("warn", Text("check.mysql_routines", account=grants.account))]
    return []


def query(repo: Repository, client: str, sql: str, timeout: float, what: Text) -> list[list[str]]:
    """The rows `sql` gives; BackupError saying it cannot `what` (a mysql.do.* text) and why."""
    stage, text = command(repo, client, ["-N", "-B", "-e", sql])
    out = subprocess.run(stage.argv, input=text or "", capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        failure = error_line(_ECHOED.sub("", out.stderr)) or said("tool.exit_status", status=out.returncode)
        raise BackupError("mysql.cannot", what=what, failure=failure, advice=advice(failure))
    return [line.split("\t") for line in out.stdout.splitlines()]


# The client repeats the failing statement between dashed lines ahead of its ERROR line: a statement may
# itself hold the word "error" (a table named so), which would pass for the error line.
_ECHOED = re.compile(r"^-{14}\n.*?^-{14}\n", re.MULTILINE | re.DOTALL)


def _all_databases(repo: Repository, timeout: float) -> list[str]:
    rows = query(repo, _tool("mariadb|mysql", repo), "SHOW DATABASES", timeout, Text("mysql.do.list_databases"))
    return [r[0] for r in rows if r[0] not in SYSTEM_DATABASES]


def quote_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def count_rows(repo: Repository, client: str, db: str, timeout: float) -> dict[str, int]:
    literal = db.replace("\\", "\\\\").replace("'", "''")
    tables = [r[0] for r in query(repo, client, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                                  f"TABLE_SCHEMA = '{literal}' AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1",
                                  timeout, Text("mysql.do.list_tables", db=db))]
    if not tables:
        return {}
    union = " UNION ALL ".join(f"SELECT {i}, COUNT(*) FROM {quote_name(db)}.{quote_name(t)}" for i, t in enumerate(tables))
    rows = query(repo, client, f"START TRANSACTION WITH CONSISTENT SNAPSHOT; {union}; COMMIT;", timeout,
                 Text("mysql.do.count_rows", db=db))
    return {tables[int(i)]: int(n) for i, n in rows}


def list_objects(repo: Repository, client: str, db: str, timeout: float) -> dict:
    """What the dump holds besides tables, by kind ({"view": [...], "procedure": [...], "function": [...],
    "event": [...], "trigger": {name: its table}}): a restore of tables says what a name not a table is."""
    literal = db.replace("\\", "\\\\").replace("'", "''")
    rows = query(repo, client, " UNION ALL ".join((
        f"SELECT 'view', TABLE_NAME, '' FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '{literal}'",
        f"SELECT LOWER(ROUTINE_TYPE), ROUTINE_NAME, '' FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '{literal}'",
        f"SELECT 'event', EVENT_NAME, '' FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '{literal}'",
        f"SELECT 'trigger', TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS "
        f"WHERE TRIGGER_SCHEMA = '{literal}'")), timeout, Text("mysql.do.list_objects", db=db))
    out: dict = {}
    for row in rows:
        kind, name, table = (row + ["", ""])[:3]
        if kind == "trigger":
            out.setdefault(kind, {})[name] = table
        else:
            out.setdefault(kind, []).append(name)
    return out


def load_stage(repo: Repository, client: str, db: str) -> tuple[Stage, str | None]:
    """Stages that feed a dump to `client` into `db`: (the consumer, a first stage or None, the text to feed
    it). With a password, the option file travels ahead of the SQL on the same stdin: `cat` passes it
    (fed from Python), then zstd the dump; on the other end `dd` takes exactly its bytes for the client's
    --defaults-extra-file and the client reads the SQL that follows. Nothing on disk, nothing in argv."""
    text = _option_text(repo)
    args = [*mysql_connection_args(repo.source), db]
    if not text:
        argv = [client, *args]
    else:
        script = f'exec "$0" --defaults-extra-file=<(dd bs=1 count={len(text.encode())} status=none) "$@"'
        argv = ["bash", "-c", script, client, *args]
    consumer = Stage(remote(repo, argv), name=f"ssh {client}") if repo.ssh else Stage(argv, name=client.rsplit("/", 1)[-1])
    return consumer, text


def structure(v) -> None:
    """zstd's frame checks, and the completion line the dump tool writes last (absent from a cut-short dump)."""
    for part in v.parts(".sql.zst"):
        v.ends_with(part, b"-- Dump completed", said("verify.dump_tool"))


def trial(v) -> None:
    """Each dump loaded into a scratch database on the same server, its rows counted, the database dropped."""
    from dse_tui.core.verification.levels import compare_counts

    repo = v.repo
    client = _tool("mariadb|mysql", repo)
    for part in v.parts(".sql.zst"):
        db = plain_name(part["file"]).removesuffix(".sql.zst")
        name = v.scratch_name()
        try:
            query(repo, client, f"CREATE DATABASE {quote_name(name)}", v.remaining(60), Text("mysql.do.create_scratch"))
        except BackupError as exc:
            v.check(f"scratch database for {db}", False, str(exc), unable=True)
            continue
        try:
            result = load(v, part, repo, client, name)
            if not v.check(f"restore {db}", result.ok, said("verify.my.loaded_into", name=name) if result.ok else v.failure(result)):
                continue
            compare_counts(v, f"rows {db}", v.manifest.get("row_counts", {}).get(db),
                           count_rows(repo, client, name, v.remaining()))
        finally:
            failure = drop_scratch(repo, name)
            if failure:
                v.check(f"drop {name}", False, failure)


def drop_scratch(repo: Repository, name: str) -> str | None:
    """Drop a scratch database; None, or why it could not be."""
    try:
        query(repo, _tool("mariadb|mysql", repo), f"DROP DATABASE IF EXISTS {quote_name(name)}", 120,
              Text("mysql.do.drop_scratch"))
    except BackupError as exc:
        return str(exc)
    return None


def load(v, part, repo: Repository, client: str, db: str, between: tuple[Stage, ...] = ()):
    """Stream a dump part into database `db` (through the stages `between`: the tables' filter); the
    StreamResult."""
    from dse_tui.core.engine.pipeline import secret_pipe, stream

    consumer, text = load_stage(repo, client, db)
    stages = v.source(part) + list(between)
    if text:
        # The option file goes ahead of the SQL on the client's stdin, from a pipe only this child reads.
        fd = secret_pipe(text.encode())
        stages.append(Stage(["bash", "-c", f"cat /dev/fd/{fd} && exec cat"], name="cat", pass_fds=(fd,)))

    class _Null:
        def write(self, data): pass
        def flush(self): pass

    result = stream(stages + [consumer], _Null(), cancel=v.cancel, deadline=v.deadline, sync=False)
    v.refuse_wrong_key(result)
    return result


def contents(manifest: dict) -> list[str]:
    return database_contents(manifest)


# ---------------------------------------------------------------- check

def check_source(repo: Repository, timeout: float) -> list[tuple[str, str]]:
    """Connects as the backup will (the driver's own command, password as an option file on stdin), then
    tries what the run and its verification will do with that user."""
    answer = _answers(repo)
    tried = probe(repo, timeout * 6) if answer[0] == "ok" else []
    return [answer] + tried + password_env_missing(repo)


def _answers(repo: Repository) -> tuple[str, str]:
    import shutil

    client = "mariadb" if repo.ssh else find_tool("mariadb|mysql")
    where = f"{repo.source.get('host') or 'local socket'}:{repo.source.get('port') or 3306}"
    where += f" via ssh {repo.ssh.destination}" if repo.ssh else ""
    databases = repo.source.get("databases") or [""]
    if not client or not shutil.which("ssh" if repo.ssh else client):
        return "error", Text("check.mysql_no_client")
    for db in databases:
        try:
            stage, text = command(repo, client, ["--connect-timeout=5", "-e", "select 1", *([db] if db else [])])
        except BackupError as exc:  # the passfile cannot be read
            return "error", str(exc)
        result = first_error(stage.argv, stdin=text)
        if result is not None:
            return "error", Text("check.mysql_db_fails" if db else "check.mysql_fails", where=where, db=db,
                                 result=result)
    shown = f" ({', '.join(databases)})" if databases != [""] else ""
    return "ok", Text("check.mysql_answers", where=where, shown=shown)


# ---------------------------------------------------------------- restore

def database_exists(repo: Repository, name: str) -> bool:
    literal = name.replace("\\", "\\\\").replace("'", "''")
    try:
        rows = query(repo, _tool("mariadb|mysql", repo), f"SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
                     f"WHERE SCHEMA_NAME = '{literal}'", 15, Text("mysql.do.reach"))
    except BackupError as exc:
        raise RestoreError(str(exc)) from None
    return bool(rows)


def restore(v, t: RestoreTarget, force: bool) -> None:
    if t.into == "folder":
        if t.parts:
            from dse_tui.core.drivers.mysql.tables import restore_into_folder

            return restore_into_folder(v, t)
        return dumps_folder(v, t, force)
    client = _tool("mariadb|mysql", v.repo)
    if not t.exists:
        query(v.repo, client, f"CREATE DATABASE {quote_name(t.target)}", v.remaining(60), Text("mysql.do.create", db=t.target))
    part = next(x for x in v.parts(".sql.zst") if plain_name(x["file"]) == f"{t.database}.sql.zst")
    if t.parts:
        from dse_tui.core.drivers.mysql.tables import counted, table_filter

        check_result(v, load(v, part, v.repo, client, t.target, (table_filter(t.parts),)),
                     f"restore into {t.target}")
        return counted(v, t, count_rows(v.repo, client, t.target, v.remaining()))
    check_result(v, load(v, part, v.repo, client, t.target), f"restore into {t.target}")


def _select_parts(repo: Repository, manifest: dict, parts: tuple[str, ...], t: RestoreTarget) -> tuple[str, ...]:
    from dse_tui.core.drivers.mysql.tables import select_parts

    return select_parts(manifest, parts, t)


def manual_meta(parts: list[str]) -> dict:
    dbs = [p.removesuffix(".sql.zst") for p in parts if p.endswith(".sql.zst")]
    return {"databases": dbs} if dbs else {}


DRIVER = Driver(
    name="mysql", source=Mapping(dict(DB_SOURCE)),
    backup=backup, describe=describe, contents=contents, tools=tools, structure=structure, trial=trial,
    check_source=check_source, plan_restore=database_plan(database_exists), restore=restore,
    suggest_target=suggest_database,
    manual_part=(".sql.zst", "an SQL dump (.sql)"),
    over_ssh=True, location=database_location, databases=manifest_databases, command_env=command_env,
    drop_scratch=drop_scratch, manual_meta=manual_meta, parts="tables", select_parts=_select_parts,
)
