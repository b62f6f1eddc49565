"""dse-tui's own catalog as a repository (`storage.catalog_backup:` in the profile makes it, id dse-catalog):
a consistent copy through SQLite's online backup, checked before it is kept (PRAGMA integrity_check and the
event log's hash chain, in the copy), then copied, verified, labelled and pruned like any run.

The copy is taken during its own run: it holds that run as running, with its "run started" event, and none
of what follows (its end, verification, copies). `dse-tui catalog rebuild` completes that run from the
run's manifest on the copies (core/records/rebuild.py)."""

from __future__ import annotations

import shutil

from dse_tui.core.drivers import sqlite as sqlite_driver
from dse_tui.core.drivers.base import PATH_SOURCE, BackupContext, BackupError, Driver
from dse_tui.core.profile.model import Repository

PART = "catalog.sqlite.zst"


def tools(repo: Repository) -> list[str]:
    return ["zstd"]


def describe(repo: Repository) -> str:
    return f"the dse-tui catalog {repo.source['path']} (online backup API, hash chain checked)"


def location(repo: Repository) -> str:
    return f"catalog {repo.source['path']}"


def chain_problems(catalog) -> list[str]:
    """What is wrong with the log's hash chain in `catalog`; [] when it verifies."""
    from dse_tui.core.records.audit import verify_chain

    return [str(b.message) for b in verify_chain(catalog)[1]]


def backup(ctx: BackupContext) -> None:
    from dse_tui.core.catalog import Catalog, CatalogError

    path = ctx.repo.source["path"]
    if not path.exists():
        raise BackupError(f"the catalog {path} does not exist")
    copy = ctx.workdir / ".catalog.sqlite"
    try:
        try:
            with Catalog(path, readonly=True) as live:
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
    """The SQLite driver's integrity check, then the hash chain in the copy."""
    sqlite_driver.structure(v)
    from dse_tui.core.catalog import Catalog, CatalogError

    for part in v.parts(".sqlite.zst"):
        try:
            with Catalog(v.decompressed(part), readonly=True) as copy:
                broken = chain_problems(copy)
        except CatalogError as exc:
            v.check(f"event chain {part['file']}", False, str(exc))
            continue
        v.check(f"event chain {part['file']}", not broken, broken[0] if broken else "the hash chain verifies")


def plan_restore(repo, run_id, manifest, target, database, check_exists):
    return sqlite_driver.plan_restore(repo, run_id, manifest, target, database, check_exists)


def suggest_target(repo: Repository, run_id: int, databases: list[str]) -> str:
    from pathlib import Path

    return str(Path.cwd() / f"catalog-restore-r{run_id}.sqlite")


DRIVER = Driver(
    name="catalog", source=PATH_SOURCE,
    backup=backup, describe=describe, contents=sqlite_driver.contents, tools=tools, structure=structure,
    trial=sqlite_driver.trial, check_source=sqlite_driver.check_source, plan_restore=plan_restore,
    restore=sqlite_driver.restore, suggest_target=suggest_target, location=location,
    manual_part=(".sqlite.zst", "a copy of the dse-tui catalog"),
)
