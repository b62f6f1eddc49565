"""Restoring a run: into a new folder, file or database, and only with a typed confirmation into the
live source. The artifact's checksums are read first: a damaged artifact is never restored.

Targets by driver:
    files, git   a folder (new or empty; --force for a non-empty one with files)
    sqlite       a file (or a folder to put it in)
    postgresql,  a database name on the repository's server (must not exist unless --force), or a
    mysql        folder ("./dumps", "/srv/x") where the plain dump files are written
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from dse_tui.core.catalog import Catalog, Run, current_operator
from dse_tui.core.profile.config import Profile, Repository
from dse_tui.core.keys.crypto import IdentityError, Keyring, plain_name
from dse_tui.core.drivers import BackupError
from dse_tui.core.engine.pipeline import Cancelled, Stage, TimedOut
from dse_tui.core.engine.locks import claim_temporary
from dse_tui.core.verification.levels import VerifyContext, VerifyFailed, checksum, claim_scratch, load_manifest


class RestoreError(Exception):
    """The restore cannot be done as asked; the message says why and what to do."""


@dataclass(frozen=True)
class RestorePlan:
    repository: Repository
    run: Run
    target: str
    into: str  # folder | file | database
    database: str | None  # the run's database restored (database drivers)
    live: bool  # the target is the live source: only with a typed confirmation
    exists: bool

    def describe(self) -> str:
        what = f"database {self.database} of run {self.run.id}" if self.database else f"run {self.run.id}"
        where = {"database": f"the database {self.target}", "file": f"the file {self.target}",
                 "folder": f"the folder {self.target}"}[self.into]
        return f"{what} of {self.repository.id} into {where}" + (" (THE LIVE SOURCE)" if self.live else "")


@dataclass
class RestoreOutcome:
    run_id: int
    target: str
    outcome: str  # done | failed | cancelled
    message: str | None
    elapsed: float

    def as_json(self) -> dict:
        return {"run_id": self.run_id, "target": self.target, "outcome": self.outcome, "message": self.message,
                "elapsed": round(self.elapsed, 3)}


def plan(profile: Profile, run: Run, target: str, database: str | None = None, *,
         check_exists: bool = True) -> RestorePlan:
    """What restoring `run` into `target` means. `check_exists=False` skips asking the database server
    (the console re-plans on every key typed)."""
    repo = profile.repository(run.repository)
    if run.artifact is None or not Path(run.artifact).is_dir():
        raise RestoreError(f"run {run.id} has no artifact to restore (it failed, or retention pruned it)")
    manifest = load_manifest(run.manifest or "")
    if repo.driver in ("postgresql", "mysql"):
        dbs = manifest.get("databases", [])
        if database is None and len(dbs) == 1:
            database = dbs[0]
        if database not in dbs:
            raise RestoreError(f"run {run.id} holds the database(s) {', '.join(dbs)}: name one with --database")
        if _is_path(target):
            path = Path(target).expanduser().absolute()
            return RestorePlan(repo, run, str(path), "folder", database, False, _non_empty(path))
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}", target):
            raise RestoreError(f"'{target}' is not a database name dse-tui restores into (letters, digits, _ . -); "
                               "a folder for the dump files needs a '/' (./dumps)")
        # Any database the repository backs up is live data: the one restored, its siblings, and (for a
        # repository of the whole server) any database that already exists.
        live = target in dbs or (not repo.source.get("databases") and check_exists
                                 and _database_exists(repo, target))
        return RestorePlan(repo, run, target, "database", database, live,
                           _database_exists(repo, target) if check_exists else False)
    path = Path(target).expanduser().absolute()
    if repo.driver == "sqlite":
        if path.is_dir():
            path = path / Path(repo.source["path"]).name
        live = _same(path, repo.source["path"])
        return RestorePlan(repo, run, str(path), "file", None, live, path.exists())
    source = Path(repo.source["path"])
    live = not repo.ssh and (_same(path, source) or _inside(path, source) or _inside(source, path))
    return RestorePlan(repo, run, str(path), "folder", None, live, _non_empty(path))


def restore(profile: Profile, catalog: Catalog, p: RestorePlan, *, force: bool = False, confirm: str | None = None,
            operator: str | None = None, cancel: threading.Event | None = None,
            log: Callable[[str], None] | None = None, keyring=None) -> RestoreOutcome:
    """Restore as planned and record it. Refuses (RestoreError, nothing recorded) what needs --force or
    the typed confirmation."""
    repo, run = p.repository, p.run
    if p.live and confirm != repo.id:
        raise RestoreError(f"{p.target} is the live source of {repo.id}: restoring there overwrites it. "
                           f"Type the repository id to confirm (--confirm {repo.id})")
    if p.exists and not force and not p.live:
        raise RestoreError(f"{p.target} already exists" + (" and is not empty" if p.into == "folder" else "")
                           + ": choose another target, or --force to restore over it")
    if run.encrypted:  # the key first: nothing is created or truncated for a restore that cannot read
        keyring = keyring or Keyring.for_profile(profile)
        try:
            keyring.secret_for(run.key_ids.split())
        except IdentityError as exc:
            raise RestoreError(f"run {run.id} is encrypted: {exc}") from None
    operator = operator or current_operator()
    log = log or (lambda line: None)
    cancel = cancel or threading.Event()
    t0 = time.monotonic()
    log(f"restoring {p.describe()}")
    try:  # the restore's own errors are its outcome (_restored): an OSError here is of the storage root
        with catalog.begin_step(profile.storage_root) as lock, claim_scratch(profile, run.id) as scratch:
            restore_id = catalog.start_restore(run.id, p.target, operator=operator, lock=lock.mark)
            v = VerifyContext(profile, repo, run.id, Path(run.artifact), {}, scratch.path, cancel,
                              deadline=time.monotonic() + repo.timeout.total_seconds(), log=log, keyring=keyring)
            outcome, message = _restored(v, p, force, run)
            catalog.finish_restore(restore_id, outcome, message)
    except OSError as exc:
        raise RestoreError(f"cannot work under {profile.storage_root}: {exc.strerror or exc}") from None
    catalog.record_event("restore", outcome, repository=repo.id, operator=operator,
                         detail={"run_id": run.id, "target": p.target, "database": p.database, "live": p.live,
                                 "message": message})
    return RestoreOutcome(run.id, p.target, outcome, message, time.monotonic() - t0)


def _restored(v: VerifyContext, p: RestorePlan, force: bool, run: Run) -> tuple[str, str | None]:
    """(done | failed | cancelled, why not done): the artifact's checksums, then the driver's restore."""
    try:
        v.manifest = load_manifest(run.manifest)
        checksum(v, run.sha256)
        bad = [c for c in v.checks if not c.ok]
        if bad:
            raise RestoreError(f"the artifact does not match its manifest ({bad[0].name}: {bad[0].detail}): "
                               "restore another run, or a copy")
        _RESTORERS[(v.repo.driver, p.into)](v, p, force)
        v.log(f"restored {p.describe()}")
        return "done", None
    except (RestoreError, BackupError, VerifyFailed, IdentityError) as exc:
        return "failed", str(exc)
    except Cancelled:
        return "cancelled", "cancelled by the operator"
    except TimedOut:
        return "failed", f"timed out after {v.repo.timeout}"
    except OSError as exc:
        return "failed", f"{exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}"
    except Exception as exc:  # a tool's timeout, a bug: recorded as a failed restore, never left running
        return "failed", f"{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------- per driver and target

def _check(v: VerifyContext, result, what: str) -> None:
    if not result.ok:
        raise RestoreError(f"{what}: {v.failure(result)}")


def _files_folder(v: VerifyContext, p: RestorePlan, force: bool) -> None:
    from dse_tui.core.drivers.files import devices_left_out, extract_argv, not_archived_line

    target = Path(p.target)
    target.mkdir(parents=True, exist_ok=True)
    devices = devices_left_out(v.manifest, target)
    for part in v.parts(".tar.zst"):  # the archives (not the audit log, or a manual backup's notes)
        result, _ = v.pipe(part, [Stage(extract_argv(target, devices), name="tar -x", stops_early=True)])
        _check(v, result, part["file"])
    for path in devices:
        v.log(f"not made: {path}, a device (only root can make one)")
    missing = v.manifest.get("not_archived", [])
    if missing:  # all the run holds is restored; what it never held, the operator reads here too
        v.log(f"the run did not archive {len(missing)} path(s) as they were on disk:")
        for entry in missing:
            v.log(f"  {not_archived_line(entry)}")


def _git_folder(v: VerifyContext, p: RestorePlan, force: bool) -> None:
    import subprocess

    target = Path(p.target)
    bundle = v.decompressed(v.parts(".bundle.zst")[0])
    if p.live or (target / ".git").exists() or target.name.endswith(".git") and target.exists():
        # Into an existing repository: every ref as it was in the run, forced.
        argv = ["git", "-C", str(target), "fetch", "--quiet", "--force", "--update-head-ok", str(bundle), "refs/*:refs/*"]
    elif target.name.endswith(".git"):
        argv = ["git", "clone", "--quiet", "--mirror", str(bundle), str(target)]
    else:
        if target.exists() and any(target.iterdir()):
            raise RestoreError(f"git cannot restore into the non-empty folder {target} that is not a repository")
        argv = ["git", "clone", "--quiet", str(bundle), str(target)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=v.remaining())
    if out.returncode != 0:
        raise RestoreError(f"git: {out.stderr.strip()[-300:]}")
    if argv[1] == "clone" and "--mirror" not in argv:
        # Every branch of the run as a local branch, as it was, and no remote pointing at a scratch file.
        subprocess.run(["git", "-C", str(target), "fetch", "--quiet", "--update-head-ok", str(bundle),
                        "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"], capture_output=True, timeout=v.remaining())
        subprocess.run(["git", "-C", str(target), "remote", "remove", "origin"], capture_output=True)
    elif "--mirror" in argv:
        subprocess.run(["git", "-C", str(target), "remote", "remove", "origin"], capture_output=True)


def _sqlite_file(v: VerifyContext, p: RestorePlan, force: bool) -> None:
    target = Path(p.target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with claim_temporary(target.parent, target.name) as claimed:  # a killed restore's is removed by the next
        tmp = claimed.path / target.name
        with open(tmp, "wb") as f:
            part = v.parts(".sqlite.zst")[0]
            result, _ = v.pipe(part, [], f)
            _check(v, result, part["file"])
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)  # the target is the old file or the whole restored one, never half


def _dumps_folder(v: VerifyContext, p: RestorePlan, force: bool) -> None:
    """The plain dump files, for the operator's own pg_restore or mariadb."""
    target = Path(p.target)
    target.mkdir(parents=True, exist_ok=True)
    for part in v.parts():
        with open(target / plain_name(part["file"]).removesuffix(".zst"), "wb") as f:
            result, _ = v.pipe(part, [], f)
        _check(v, result, part["file"])


def _postgresql_database(v: VerifyContext, p: RestorePlan, force: bool) -> None:
    from dse_tui.core.drivers.postgresql import connect_stage, psql

    repo = v.repo
    clean = []
    if p.exists:
        clean = ["--clean", "--if-exists"]
    else:
        made = psql(repo, "postgres", f'CREATE DATABASE "{p.target}"', v.remaining(60))
        if made.returncode != 0:
            raise RestoreError(f"cannot create the database {p.target}: {made.stderr.strip()}")
    superuser = psql(repo, "postgres", "SELECT rolsuper FROM pg_roles WHERE rolname = current_user", v.remaining(60))
    if superuser.stdout.strip() != "t":
        # Only a superuser may give objects to their recorded owners: the restoring role keeps them.
        clean.append("--no-owner")
        v.log("the role is not a superuser: the restored objects belong to it, not to their recorded owners")
    part = next(x for x in v.parts(".pgdump.zst") if plain_name(x["file"]) == f"{p.database}.pgdump.zst")
    result, _ = v.pipe(part, [connect_stage(repo, ["pg_restore", *clean, "--exit-on-error", "-d", p.target],
                                            "pg_restore", stops_early=True)])
    _check(v, result, f"restore into {p.target}")


def _mysql_database(v: VerifyContext, p: RestorePlan, force: bool) -> None:
    from dse_tui.core.drivers.mysql import _tool, load, query, quote_name

    client = _tool("mariadb|mysql", v.repo)
    if not p.exists:
        query(v.repo, client, f"CREATE DATABASE {quote_name(p.target)}", v.remaining(60), f"create {p.target}")
    part = next(x for x in v.parts(".sql.zst") if plain_name(x["file"]) == f"{p.database}.sql.zst")
    _check(v, load(v, part, v.repo, client, p.target), f"restore into {p.target}")


_RESTORERS = {
    ("files", "folder"): _files_folder,
    ("git", "folder"): _git_folder,
    ("sqlite", "file"): _sqlite_file,
    ("postgresql", "folder"): _dumps_folder,
    ("mysql", "folder"): _dumps_folder,
    ("postgresql", "database"): _postgresql_database,
    ("mysql", "database"): _mysql_database,
}


# ---------------------------------------------------------------- helpers

def _is_path(target: str) -> bool:
    return "/" in target or target.startswith((".", "~"))


def _non_empty(path: Path) -> bool:
    return path.is_file() or (path.is_dir() and any(path.iterdir()))


def _same(a: Path, b: Path) -> bool:
    return Path(os.path.realpath(a)) == Path(os.path.realpath(b))


def _inside(inner: Path, outer: Path) -> bool:
    return Path(os.path.realpath(inner)).is_relative_to(Path(os.path.realpath(outer)))


def _database_exists(repo: Repository, name: str) -> bool:
    if repo.driver == "postgresql":
        from dse_tui.core.drivers.postgresql import psql

        literal = name.replace("'", "''")
        out = psql(repo, "postgres", f"SELECT 1 FROM pg_database WHERE datname = '{literal}'", 15)
        if out.returncode != 0:
            raise RestoreError(f"cannot reach the server: {out.stderr.strip()}")
        return out.stdout.strip() == "1"
    from dse_tui.core.drivers.mysql import _tool, query

    literal = name.replace("\\", "\\\\").replace("'", "''")
    try:
        rows = query(repo, _tool("mariadb|mysql", repo), f"SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
                     f"WHERE SCHEMA_NAME = '{literal}'", 15, "reach the server")
    except BackupError as exc:
        raise RestoreError(str(exc)) from None
    return bool(rows)
