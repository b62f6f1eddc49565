"""SQLite: a consistent copy of a live database through SQLite's online backup API, never a raw copy."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
import urllib.parse

from dse_tui.core.drivers.base import (
    PATH_SOURCE, BackupContext, BackupError, Driver, RestoreTarget, check_path, check_result, same_path,
)
from dse_tui.core.engine.locks import claim_temporary
from dse_tui.core.profile.model import Repository
from dse_tui.core.engine.pipeline import Cancelled, TimedOut

COPY_PAGES = 1024  # pages per backup step: other connections get the lock between steps


def tools(repo: Repository) -> list[str]:
    return ["zstd"]


def describe(repo: Repository) -> str:
    return f"SQLite database {repo.source['path']} (online backup API)"


def backup(ctx: BackupContext) -> None:
    path = ctx.repo.source["path"]
    if not path.exists():
        raise BackupError(f"the database {path} does not exist: check source.path in the profile")
    copy = ctx.workdir / ".copy.sqlite"
    try:
        src = sqlite3.connect(f"file:{urllib.parse.quote(str(path))}?mode=ro", uri=True, timeout=ctx.remaining(30))
        dst = sqlite3.connect(copy)
        try:
            src.backup(dst, pages=COPY_PAGES, progress=lambda *_: _check(ctx))
            tables = _counts(dst)
            integrity = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            src.close()
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup of {path} failed: {exc}") from None
    if integrity != "ok":
        raise BackupError(f"the copy of {path} fails PRAGMA integrity_check: {integrity}")
    ctx.meta["tables"] = tables
    ctx.meta["sqlite_version"] = sqlite3.sqlite_version

    def feed(pipe):
        with open(copy, "rb") as f:
            shutil.copyfileobj(f, pipe, 1 << 20)

    try:
        ctx.part(f"{ctx.repo.id}.sqlite.zst", [], feed=feed)
    finally:
        copy.unlink(missing_ok=True)


def _check(ctx: BackupContext) -> None:
    # Called after every step, busy ones included: a source locked by a writer still honours both.
    if ctx.cancel.is_set():
        raise Cancelled()
    if ctx.deadline is not None and time.monotonic() > ctx.deadline:
        raise TimedOut()


def contents(manifest: dict) -> list[str]:
    return [f"table {name}: {rows} rows" for name, rows in manifest.get("tables", {}).items()]


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [n for (n,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: conn.execute(f'SELECT count(*) FROM "{name.replace(chr(34), chr(34) * 2)}"').fetchone()[0]
            for name in names}


def _open_copy(v, part) -> sqlite3.Connection:
    copy = v.decompressed(part)
    return sqlite3.connect(f"file:{urllib.parse.quote(str(copy))}?mode=ro", uri=True)


def structure(v) -> None:
    for part in v.parts(".sqlite.zst"):
        try:
            conn = _open_copy(v, part)
            try:
                result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            finally:
                conn.close()
        except sqlite3.Error as exc:
            v.check(f"integrity {part['file']}", False, f"not a readable SQLite database: {exc}")
            continue
        v.check(f"integrity {part['file']}", result == ["ok"],
                "PRAGMA integrity_check: ok" if result == ["ok"] else "; ".join(result[:3]))


def trial(v) -> None:
    for part in v.parts(".sqlite.zst"):
        try:
            conn = _open_copy(v, part)
            try:
                counts = _counts(conn)
            finally:
                conn.close()
        except sqlite3.Error as exc:
            v.check(f"open {part['file']}", False, str(exc))
            continue
        from dse_tui.core.verification.levels import compare_counts

        compare_counts(v, f"rows {part['file']}", v.manifest.get("tables"), counts)


def _not_sqlite(path) -> str | None:
    try:
        with sqlite3.connect(f"file:{urllib.parse.quote(str(path))}?mode=ro", uri=True) as db:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        return f"{path} is not a readable SQLite database: {exc}"
    return None


def check_source(repo: Repository, timeout: float) -> list[tuple[str, str]]:
    return check_path(repo, timeout, _not_sqlite)


def plan_restore(repo: Repository, run_id: int, manifest: dict, target: str, database: str | None,
                 check_exists: bool) -> RestoreTarget:
    from pathlib import Path

    path = Path(target).expanduser().absolute()
    if path.is_dir():
        path = path / Path(repo.source["path"]).name
    return RestoreTarget(str(path), "file", None, same_path(path, repo.source["path"]), path.exists())


def restore(v, t: RestoreTarget, force: bool) -> None:
    """The database file whole, or the old one left as it was: written beside it, fsynced, renamed."""
    from pathlib import Path

    target = Path(t.target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with claim_temporary(target.parent, target.name) as claimed:  # a killed restore's is removed by the next
        tmp = claimed.path / target.name
        with open(tmp, "wb") as f:
            part = v.parts(".sqlite.zst")[0]
            result, _ = v.pipe(part, [], f)
            check_result(v, result, part["file"])
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)


def suggest_target(repo: Repository, run_id: int, databases: list[str]) -> str:
    from pathlib import Path

    return str(Path.cwd() / f"{repo.id}-restore-r{run_id}{Path(repo.source['path']).suffix}")


DRIVER = Driver(
    name="sqlite", source=PATH_SOURCE,
    backup=backup, describe=describe, contents=contents, tools=tools, structure=structure, trial=trial,
    check_source=check_source, plan_restore=plan_restore, restore=restore, suggest_target=suggest_target,
    manual_part=(".sqlite.zst", "an SQLite database file"),
)
