"""dse-tui's own catalog as a repository (`storage.catalog_backup:` in the profile makes it, id dse-catalog):
a consistent copy through SQLite's online backup, checked before it is kept (PRAGMA integrity_check and the
event log's hash chain, in the copy), then copied, verified, labelled and pruned like any run.

The copy is taken during its own run: it holds that run as running, with its "run started" event, and none
of what follows (its end, verification, copies). `dse-tui catalog rebuild` completes that run from the
run's manifest on the copies (core/records/rebuild.py). A catalog on PostgreSQL is dumped instead
(catalog_pg.py): the chain checked in the snapshot pg_dump dumps, and again in the copy."""

from __future__ import annotations

import shutil
from pathlib import Path

from dse_tui.core.catalog.backend import is_postgresql, redact
from dse_tui.core.drivers import catalog_pg
from dse_tui.core.drivers import sqlite as sqlite_driver
from dse_tui.core.drivers.base import PATH_SOURCE, BackupContext, BackupError, Driver
from dse_tui.core.profile.model import Repository
from dse_tui.core.texts import Text, said

PART = "catalog.sqlite.zst"


def tools(repo: Repository) -> list[str]:
    return ["zstd", "pg_dump", "pg_restore"] if is_postgresql(repo.source["path"]) else ["zstd"]


def describe(repo: Repository) -> str:
    if is_postgresql(repo.source["path"]):
        return f"the dse-tui catalog {redact(repo.source['path'])} (pg_dump of one snapshot, hash chain checked)"
    return f"the dse-tui catalog {repo.source['path']} (online backup API, hash chain checked)"


def location(repo: Repository) -> str:
    path = repo.source["path"]
    return f"catalog {redact(path) if is_postgresql(path) else path}"


def _open_live(repo: Repository):
    from dse_tui.core.catalog import Catalog

    return Catalog(repo.source["path"], readonly=True, passfile=repo.source.get("passfile"),
                   password_env=repo.source.get("password_env"))


def chain_problems(catalog) -> list[str]:
    """What is wrong with the log's hash chain in `catalog`; [] when it verifies."""
    from dse_tui.core.records.audit import verify_chain

    return [str(b.message) for b in verify_chain(catalog)[1]]


def backup(ctx: BackupContext) -> None:
    from dse_tui.core.catalog import Catalog, CatalogError

    path = ctx.repo.source["path"]
    try:
        live = _open_live(ctx.repo)
    except CatalogError as exc:
        if not is_postgresql(path) and not Path(path).exists():
            raise BackupError(f"the catalog {path} does not exist") from None
        raise BackupError(str(exc)) from None
    if live.url:  # the catalog is a PostgreSQL database: what the Catalog opened says, not the path's spelling
        with live:
            return catalog_pg.backup(ctx, live, chain_problems)
    copy = ctx.workdir / ".catalog.sqlite"
    try:
        try:
            with live:
                live.backup_to(copy, progress=lambda: sqlite_driver._check(ctx))
            with Catalog(copy, readonly=True) as taken:
                integrity = taken.integrity()
                broken = chain_problems(taken)
                counts = taken.table_counts()
                head_id, head_hash = taken.head()
                schema = taken.schema_version
        except CatalogError as exc:
            raise BackupError(str(exc)) from None
        if integrity != ["ok"]:
            raise BackupError(f"the copy of {path} fails PRAGMA integrity_check: {'; '.join(integrity[:3])}")
        if broken:
            raise BackupError(f"the event log's hash chain does not verify in the copy of {path}: {broken[0]} "
                              "(dse-tui audit verify says more)")
        ctx.meta["tables"] = counts
        ctx.meta["catalog"] = {"schema_version": schema, "last_event_id": head_id, "last_event_hash": head_hash,
                               "taken": "during this run: it holds this run as running, and nothing after"}

        def feed(pipe):
            with open(copy, "rb") as f:
                shutil.copyfileobj(f, pipe, 1 << 20)

        ctx.part(PART, [], feed=feed)
    finally:
        for leftover in (copy, copy.with_name(copy.name + "-wal"), copy.with_name(copy.name + "-shm")):
            leftover.unlink(missing_ok=True)


def structure(v) -> None:
    """The SQLite driver's integrity check, then the hash chain in the copy (a dump's: catalog_pg.py)."""
    catalog_pg.structure(v, chain_problems)
    sqlite_driver.structure(v)
    from dse_tui.core.catalog import Catalog, CatalogError

    for part in v.parts(".sqlite.zst"):
        try:
            with Catalog(v.decompressed(part), readonly=True) as copy:
                broken = chain_problems(copy)
        except CatalogError as exc:
            v.check(f"event chain {part['file']}", False, str(exc))
            continue
        v.check(f"event chain {part['file']}", not broken, broken[0] if broken else said("verify.chain_ok"))


def check_source(repo: Repository, timeout: float) -> list[tuple[str, str]]:
    path = repo.source["path"]
    if not is_postgresql(path):
        return sqlite_driver.check_source(repo, timeout)
    from dse_tui.core.catalog import CatalogError

    try:
        _open_live(repo).close()
    except CatalogError as exc:
        return [("error", str(exc))]
    return [("ok", Text("check.catalog_answers", url=redact(path)))]


def plan_restore(repo, run_id, manifest, target, database, check_exists):
    return sqlite_driver.plan_restore(repo, run_id, manifest, target, database, check_exists)


def suggest_target(repo: Repository, run_id: int, databases: list[str]) -> str:
    return str(Path.cwd() / f"catalog-restore-r{run_id}.sqlite")


DRIVER = Driver(
    name="catalog", source=PATH_SOURCE,
    backup=backup, describe=describe, contents=sqlite_driver.contents, tools=tools, structure=structure,
    trial=sqlite_driver.trial, check_source=check_source, plan_restore=plan_restore,
    restore=sqlite_driver.restore, suggest_target=suggest_target, location=location,
    manual_part=(".sqlite.zst", "a copy of the dse-tui catalog"),
)
