"""What every driver shares: the interface a driver module fills in (`Driver`, one per module as `DRIVER`),
the context a backup writes its parts through, the errors, and the helpers for database sources, path
sources and restore targets. A driver is one module (or package) of dse_tui/core/drivers/; see
docs/developers.md, "Adding a driver"."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable

from dse_tui.core.profile.model import Profile, Repository
from dse_tui.core.profile.schema import Field, FilePath, Int, List, Mapping, Str
from dse_tui.core.common.probe import ssh_probe
from dse_tui.core.common.ssh import remote_command, target_argv
from dse_tui.core.engine.pipeline import Stage, StageResult, Tap, stream
from dse_tui.core.texts import Text, Told, said

EMPTY_FRAME = 64  # a zstd stream this small may hold nothing at all: look inside before trusting it


class BackupError(Told):
    """The run cannot be satisfactory; the message says what went wrong and what to do."""


@dataclass
class Part:
    file: str
    size: int  # of what was written (encrypted, when it is)
    sha256: str
    commands: list[list[str]]
    exit_status: list[dict[str, Any]]
    plaintext: Tap | None = None  # the zstd stream before age, when encrypted
    # Read back from the disk as it was written, and found as its stream hashed it (engine/readbehind.py):
    # the run's read-back need not read it again.
    read_back: bool = False

    def as_json(self) -> dict:
        out = {"file": self.file, "size": self.size, "sha256": self.sha256, "compression": "zstd",
               "commands": self.commands, "exit_status": self.exit_status}
        if self.plaintext is not None:
            out |= {"encryption": "age", "plaintext_size": self.plaintext.size,
                    "plaintext_sha256": self.plaintext.sha256}
        return out


@dataclass
class BackupContext:
    profile: Profile
    repo: Repository
    workdir: Path
    cancel: threading.Event
    deadline: float | None = None
    on_bytes: Callable[[int], None] | None = None  # total bytes written by the run so far
    log: Callable[[str], None] = lambda line: None
    parts: list[Part] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    stderr: list[str] = field(default_factory=list)
    recipients: tuple[str, ...] = ()  # age public keys: every part is encrypted as it is written
    # Why a complete run is still not a satisfactory backup (files it could not read): the run is kept, as
    # evidence and for what it does hold, but marked failed.
    unsatisfactory: str | None = None
    _written: int = 0

    def remaining(self, cap: float = 60.0) -> float:
        """Seconds left before the run's timeout, for steps that are not streamed (at most `cap`)."""
        if self.deadline is None:
            return cap
        return max(0.1, min(cap, self.deadline - time.monotonic()))

    def zstd(self) -> Stage:
        return Stage(["zstd", "-q", "-c", "-T0", f"-{self.profile.compression_level}"], name="zstd")

    def part(self, file: str, stages: list[Stage], *, feed: Callable[[BinaryIO], None] | None = None,
             expect_data: bool = True, tolerate: Callable[[StageResult], bool] | None = None) -> Part:
        """Stream `stages` | zstd [| age -r …] into `file` in the run's work folder (`file.age` when
        encrypted: no plaintext ever reaches the disk); fail on any non-zero exit, but for those `tolerate`
        says the driver has understood and accounts for itself (GNU tar's per-file warnings)."""
        from dse_tui.core.keys.crypto import SUFFIX, encrypt_stage

        tail = [self.zstd()]
        if self.recipients:
            file += SUFFIX
            tail = [Stage(tail[0].argv, name="zstd", tap=True), encrypt_stage(self.recipients)]
        path = self.workdir / file
        shown = " | ".join(shlex.join(s.argv) for s in stages + tail)
        self.log(f"{file}: {shown}")
        base = self._written

        def progress(n: int) -> None:
            self._written = base + n
            if self.on_bytes:
                self.on_bytes(self._written)

        with open(path, "wb") as out:
            result = stream(stages + tail, out, feed=feed, cancel=self.cancel, deadline=self.deadline,
                            progress=progress, read_back=True)
        for s in result.stages:
            if s.stderr.strip():
                self.stderr.append(f"--- {file}: {s.name} (exit {s.returncode})\n{s.stderr.rstrip()}")
        understood = tolerate is not None and result.feed_error is None and all(
            s.returncode == 0 or tolerate(s) for s in result.stages)
        if not result.ok and not understood:
            failure = result.failure()
            raise BackupError("backup.part_failed", file=file, failure=failure, advice=advice(failure))
        plain = result.tap
        if expect_data and (plain.size if plain else result.size) <= EMPTY_FRAME and \
                decompressed_size(plain.head if plain else path.read_bytes()) == 0:
            raise BackupError("backup.dump_empty", file=file)
        if result.read_back != (result.size, result.sha256):
            raise BackupError("backup.read_back_differs", file=file, size=result.read_back[0], expected=result.size,
                              folder=self.workdir.parent)
        part = Part(file, result.size, result.sha256, [s.argv for s in stages + tail],
                    [{"process": s.name, "status": s.returncode} for s in result.stages], plain, read_back=True)
        self.parts.append(part)
        self.log(f"{file}: {result.size} bytes, sha256 {result.sha256[:16]}…")
        return part


# What the tools say, and what the operator can do about it.
ADVICE = (  # (what the tool says, the key of the advice: texts/<lang>_backup.py); first match wins
    ('permission denied for table pg_authid', 'advice.pg_authid'),
    ('permission denied for table', 'advice.pg_table'),
    ('permission denied for schema', 'advice.pg_schema'),
    ('permission denied for sequence', 'advice.pg_sequence'),
    ('permission denied to create database', 'advice.pg_createdb'),
    ('the PROCESS privilege', 'advice.my_process'),
    ("' to database '", 'advice.my_database'),
    ('command denied to user', 'advice.my_command'),
    ('Access denied', 'advice.password'),
    ('password authentication failed', 'advice.password'),
    ('Permission denied (publickey', 'advice.ssh_key'),
    ('Could not resolve hostname', 'advice.ssh_host'),
    ('Connection refused', 'advice.server_down'),
    ('Connection timed out', 'advice.unreachable'),
    ("Can't connect", 'advice.server_down'),
    ('does not exist', 'advice.names'),
    ('Unknown database', 'advice.names'),
    ('Cannot stat', 'advice.paths'),
    ('No space left on device', 'advice.disk_full'),
)


def advice(failure: str | None) -> str:
    for needle, hint in ADVICE:
        if failure and needle in failure:
            return f" — {said(hint)}"
    return ""


def attempt(stage: Stage, timeout: float, *, stdin: str | None = None,
            env: dict[str, str] | None = None) -> str | None:
    """Run a tool as the backup would (what `check` tries), its output thrown away: None, or the error in
    its own words and what to do about it."""
    from dse_tui.core.engine.pipeline import error_line

    try:
        out = subprocess.run(stage.argv, input=stdin or "", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return said("tool.no_answer", seconds=timeout)
    if out.returncode == 0:
        return None
    failure = error_line(out.stderr) or said("tool.exit_status", status=out.returncode)
    return failure + advice(failure)


def database_contents(manifest: dict) -> list[str]:
    out = []
    for db in manifest.get("databases", []):
        counts = manifest.get("row_counts", {}).get(db)
        out.append(f"database {db}" + (f": {len(counts)} tables, {sum(counts.values())} rows" if counts else ""))
    return out


def decompressed_size(data: bytes) -> int:
    """The size of a (tiny) zstd stream's content; 0 when it holds nothing or is not zstd."""
    out = subprocess.run(["zstd", "-dc"], input=data, capture_output=True)
    return len(out.stdout) if out.returncode == 0 else 0


def remote_shell(repo: Repository, script: str) -> list[str]:
    """A shell line run on the repository's SSH host (the caller quotes what needs quoting)."""
    return target_argv(repo.ssh) + ["--", script]


def remote(repo: Repository, command: list[str], env: dict[str, str] | None = None) -> list[str]:
    """`command` run on the repository's SSH host, its output streamed back; nothing is written there."""
    return remote_shell(repo, remote_command(command, env))


class RestoreError(Told):
    """The restore cannot be done as asked; the message says why and what to do."""


@dataclass(frozen=True)
class RestoreTarget:
    """Where a restore goes, as the driver understands the target the operator typed."""

    target: str
    into: str  # folder | file | database
    database: str | None  # the run's database restored (database drivers)
    live: bool  # the target is the live source: only with a typed confirmation
    exists: bool
    # Only these parts of the run, in the driver's terms (Driver.parts: paths of a files run, tables of a
    # database); () is the whole run. plan() has them checked against the run (Driver.select_parts).
    parts: tuple[str, ...] = ()


def no_extra_env(repo: Repository) -> dict[str, str]:
    return {}


def no_scratch(repo: Repository, name: str) -> str | None:
    return None


def no_databases(manifest: dict) -> list[str]:
    return []


def no_parts(repo: Repository, manifest: dict, parts: tuple[str, ...], t: RestoreTarget) -> tuple[str, ...]:
    """The select_parts of a driver that restores a run whole."""
    if not parts:
        return ()
    raise RestoreError("restore.whole_only", driver=repo.driver)


def path_location(repo: Repository) -> str:
    return str(repo.source.get("path", ""))


@dataclass(frozen=True)
class Driver:
    """One driver: how a kind of source is backed up, checked, verified, restored and backed up by hand.

    Every driver module ends with `DRIVER = Driver(...)`; the registry (drivers/__init__.py) finds it by
    the module's name, which is the `driver:` of the profile."""

    name: str
    source: Mapping  # the profile schema of the repository's `source`
    backup: Callable[[BackupContext], None]  # make the run's parts with ctx.part(...), fill ctx.meta
    describe: Callable[[Repository], str]  # one line on what is backed up (no secrets)
    contents: Callable[[dict], list[str]]  # what a run holds, for people, from its manifest
    tools: Callable[[Repository], list[str]]  # the programs it runs ("a|b": either), for check and manifests
    structure: Callable[[Any], None]  # the structure-level checks of a run (VerifyContext)
    trial: Callable[[Any], None]  # the trial restore of restore-level verification (VerifyContext)
    # `check`: does the source answer, and can the profile's role do what the run will (level, message)
    check_source: Callable[[Repository, float], list[tuple[str, str]]]
    # Restore: what a typed target means (repo, run id, manifest, target, database, check_exists), and doing it
    plan_restore: Callable[..., RestoreTarget]
    restore: Callable[[Any, RestoreTarget, bool], None]  # (VerifyContext, target, force)
    suggest_target: Callable[[Repository, int, list[str]], str]  # the console's default target for a run
    manual_part: tuple[str, str]  # the part suffix a manual backup must hold, and what that is, for people
    over_ssh: bool = False  # may back up a source on an SSH host
    location: Callable[[Repository], str] = path_location  # where the data comes from, for people
    databases: Callable[[dict], list[str]] = no_databases  # the databases a run holds (restore choices)
    command_env: Callable[[Repository], dict[str, str]] = no_extra_env  # for a checklist step's command
    drop_scratch: Callable[[Repository, str], str | None] = no_scratch  # a trial's scratch database, left over
    manual_meta: Callable[[list[str]], dict] = lambda parts: {}  # manifest entries of a manual backup's parts
    # What of a run it restores alone (RestoreTarget.parts): "paths" (files and folders of a files run, a
    # folder with everything under it), "tables" (tables or schemas of a database), or None (the run whole).
    parts: str | None = None
    # The parts asked for (repo, manifest, parts, the planned target) checked against the run and normalised,
    # before anything is written; RestoreError naming a part the run does not hold, or why this driver (or
    # this target) cannot.
    select_parts: Callable[[Repository, dict, tuple[str, ...], RestoreTarget], tuple[str, ...]] = no_parts


# ---------------------------------------------------------------- sources

DB_SOURCE = {
    "host": Field(Str()),
    "port": Field(Int(1, 65535)),
    "user": Field(Str()),
    "databases": Field(List(Str(), min_items=1)),
    # A password pasted here by mistake must not be echoed back in the error.
    "password_env": Field(Str(r"[A-Za-z_][A-Za-z0-9_]*", "the name of an environment variable, not the "
                                                         "password itself", echo=False)),
    "passfile": Field(FilePath()),
}
PATH_SOURCE = Mapping({"path": Field(FilePath(), required=True)})


def database_location(repo: Repository) -> str:
    s = repo.source
    where = s.get("host") or "local socket"
    if s.get("port"):
        where += f":{s['port']}"
    return f"{','.join(s.get('databases') or ['*'])} @ {where}"


def manifest_databases(manifest: dict) -> list[str]:
    return list(manifest.get("databases", []))


def password_env_missing(repo: Repository) -> list[tuple[str, str]]:
    var = repo.source.get("password_env")
    if var and not repo.ssh and var not in os.environ:
        return [("error", Text("check.password_env_unset", var=var))]
    return []


def check_path(repo: Repository, timeout: float, inspect: Callable[[Path], str | None] | None = None
               ) -> list[tuple[str, str]]:
    """A path source: readable here, or on the SSH host; `inspect` says what is wrong with a readable
    local path (not a git repository, not an SQLite database), or None."""
    path = repo.source["path"]
    if repo.ssh:
        return [ssh_probe(target_argv(repo.ssh), f"test -r {shlex.quote(str(path))}",
                          Text("check.source_readable_remote", path=path))]
    if not path.exists():
        return [("error", Text("check.source_missing", path=path))]
    if not os.access(path, os.R_OK):
        return [("error", Text("check.source_unreadable", path=path, user=os.environ.get("USER") or "?"))]
    wrong = inspect(path) if inspect else None
    if wrong:
        return [("error", wrong)]
    return [("ok", Text("check.source_readable", path=path))]


# ---------------------------------------------------------------- restore targets

def is_path(target: str) -> bool:
    return "/" in target or target.startswith((".", "~"))


def non_empty(path: Path) -> bool:
    return path.is_file() or (path.is_dir() and any(path.iterdir()))


def same_path(a: Path, b: Path) -> bool:
    return Path(os.path.realpath(a)) == Path(os.path.realpath(b))


def inside(inner: Path, outer: Path) -> bool:
    return Path(os.path.realpath(inner)).is_relative_to(Path(os.path.realpath(outer)))


def folder_target(repo: Repository, target: str) -> RestoreTarget:
    """A folder restore of a path source: live when it is the source, inside it, or holds it."""
    path = Path(target).expanduser().absolute()
    source = Path(repo.source["path"])
    live = not repo.ssh and (same_path(path, source) or inside(path, source) or inside(source, path))
    return RestoreTarget(str(path), "folder", None, live, non_empty(path))


def database_target(repo: Repository, run_id: int, manifest: dict, target: str, database: str | None,
                    check_exists: bool, exists: Callable[[Repository, str], bool]) -> RestoreTarget:
    """A database run restored into a database of the repository's server (`exists` asks the server), or
    its plain dumps into a folder ("./dumps")."""
    dbs = manifest.get("databases", [])
    if database is None and len(dbs) == 1:
        database = dbs[0]
    if database not in dbs:
        raise RestoreError("restore.name_database", run=run_id, databases=", ".join(dbs))
    if is_path(target):
        path = Path(target).expanduser().absolute()
        return RestoreTarget(str(path), "folder", database, False, non_empty(path))
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}", target):
        raise RestoreError("restore.bad_database_name", target=target)
    # Any database the repository backs up is live data: the one restored, its siblings, and (for a
    # repository of the whole server) any database that already exists.
    there = exists(repo, target) if check_exists else False
    live = target in dbs or (not repo.source.get("databases") and there)
    return RestoreTarget(target, "database", database, live, there)


def database_plan(exists: Callable[[Repository, str], bool]) -> Callable[..., RestoreTarget]:
    """A database driver's plan_restore, for a server that answers `exists(repo, name)`."""
    def plan_restore(repo: Repository, run_id: int, manifest: dict, target: str, database: str | None,
                     check_exists: bool) -> RestoreTarget:
        return database_target(repo, run_id, manifest, target, database, check_exists, exists)
    return plan_restore


def suggest_database(repo: Repository, run_id: int, databases: list[str]) -> str:
    return f"{databases[0] if databases else repo.id}_restore_r{run_id}"


def suggest_folder(repo: Repository, run_id: int, databases: list[str]) -> str:
    return str(Path.cwd() / f"{repo.id}-restore-r{run_id}")


def check_result(v, result, what: str) -> None:
    """A restore stage that failed, as a RestoreError in the tool's words."""
    if not result.ok:
        raise RestoreError("restore.stage_failed", what=what, failure=v.failure(result))


def dumps_folder(v, t: RestoreTarget, force: bool) -> None:
    """A database run's plain dump files, for the operator's own pg_restore or mariadb."""
    from dse_tui.core.keys.crypto import plain_name

    target = Path(t.target)
    target.mkdir(parents=True, exist_ok=True)
    for part in v.parts():
        with open(target / plain_name(part["file"]).removesuffix(".zst"), "wb") as f:
            result, _ = v.pipe(part, [], f)
        check_result(v, result, part["file"])
