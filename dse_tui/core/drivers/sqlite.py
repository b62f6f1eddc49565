"""SQLite: a consistent copy of a live database through SQLite's online backup API, never a raw copy."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
import urllib.parse

from dse_tui.core.drivers.base import (
    PATH_SOURCE, BackupContext, BackupError, Driver, RestoreError, RestoreTarget, check_path, check_result,
    same_path,
)
from dse_tui.core.engine.locks import claim_temporary
from dse_tui.core.profile.model import Repository
from dse_tui.core.engine.pipeline import Cancelled, TimedOut
from dse_tui.core.texts import Text, said

COPY_PAGES = 1024  # pages per backup step: other connections get the lock between steps


def tools(repo: Repository) -> list[str]:
    return ["zstd"]


def describe(repo: Repository) -> str:
    return f"SQLite database {repo.source['path']} (online backup API)"


def backup(ctx: BackupContext) -> None:
    path = ctx.repo.source["path"]
    if not path.exists():
        raise BackupError("backup.sqlite_missing", path=path)
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
        raise BackupError("backup.sqlite_failed", path=path, error=exc) from None
    if integrity != "ok":
        raise BackupError("backup.sqlite_integrity", path=path, integrity=integrity)
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
            v.check(f"integrity {part['file']}", False, said("verify.sqlite.unreadable", error=exc))
            continue
        v.check(f"integrity {part['file']}", result == ["ok"],
                said("verify.sqlite.integrity_ok") if result == ["ok"] else "; ".join(result[:3]))


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
        return Text("check.not_sqlite", path=path, error=exc)
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
    """The database file whole (or a new file of some of its tables), or the old one left as it was: written
    beside it, fsynced, renamed."""
    from pathlib import Path

    target = Path(t.target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with claim_temporary(target.parent, target.name) as claimed:  # a killed restore's is removed by the next
        tmp = claimed.path / target.name
        part = v.parts(".sqlite.zst")[0]
        if t.parts:
            _copy_tables(v, v.decompressed(part), tmp, t.parts)
        else:
            with open(tmp, "wb") as f:
                result, _ = v.pipe(part, [], f)
                check_result(v, result, part["file"])
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, target)


def select_parts(repo: Repository, manifest: dict, parts: tuple[str, ...], t: RestoreTarget) -> tuple[str, ...]:
    """Tables of the run (its manifest's `tables`), into a new file: never into the live database, whose other
    tables a file restore would replace."""
    if not parts:
        return ()
    if t.live:
        raise RestoreError("restore.sqlite.tables_live")
    tables = manifest.get("tables", {})
    missing = [p for p in parts if p not in tables]
    if missing:
        raise RestoreError("restore.sqlite.no_table", n=len(missing), names=", ".join(repr(m) for m in missing),
                           tables=", ".join(sorted(tables)) or "-")
    return tuple(sorted(set(parts)))


def _copy_tables(v, copy, into, tables: tuple[str, ...]) -> None:
    """The tables as the run's copy holds them, through SQLite itself: each one's CREATE statement and its
    indexes, its rows with their rowids, its AUTOINCREMENT counter; then the counts held to the run's.
    Triggers and views are left out: they may name tables that are not restored."""
    src_uri = f"file:{urllib.parse.quote(str(copy))}?mode=ro"
    dst = sqlite3.connect(f"file:{urllib.parse.quote(str(into))}", uri=True, isolation_level=None)
    try:
        dst.execute("ATTACH DATABASE ? AS src", (src_uri,))
        dst.execute("BEGIN")
        for table in tables:
            v.stopping()
            _copy_table(dst, table)
        dst.execute("COMMIT")
        dst.execute("DETACH DATABASE src")
        counts = {t: n for t, n in _counts(dst).items() if t in tables}
        integrity = dst.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        raise RestoreError("restore.sqlite.copy_failed", error=exc) from None
    finally:
        dst.close()
    wanted = {t: n for t, n in v.manifest.get("tables", {}).items() if t in tables}
    if counts != wanted or integrity != "ok":
        raise RestoreError("restore.sqlite.counts_differ", counts=counts, wanted=wanted, integrity=integrity)
    with open(into, "rb+") as f:
        os.fsync(f.fileno())
    v.log(f"{len(tables)} table(s) restored with their indexes; triggers and views are not restored alone")


def _copy_table(dst: sqlite3.Connection, table: str) -> None:
    name = '"' + table.replace('"', '""') + '"'
    (create,) = dst.execute("SELECT sql FROM src.sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    dst.execute(create)
    # Stored columns only (generated ones are computed again); the rowid too, where the table has one.
    columns = ['"' + c[1].replace('"', '""') + '"' for c in dst.execute(f"PRAGMA src.table_xinfo({name})")
               if c[6] == 0]
    try:
        dst.execute(f"SELECT rowid FROM src.{name} LIMIT 0")
        columns = ["rowid", *columns]
    except sqlite3.OperationalError:  # WITHOUT ROWID
        pass
    listed = ", ".join(columns)
    dst.execute(f"INSERT INTO main.{name} ({listed}) SELECT {listed} FROM src.{name}")
    for (sql,) in dst.execute("SELECT sql FROM src.sqlite_master WHERE type = 'index' AND tbl_name = ? "
                              "AND sql IS NOT NULL", (table,)).fetchall():
        dst.execute(sql)
    has_sequence = dst.execute("SELECT 1 FROM main.sqlite_master WHERE name = 'sqlite_sequence'").fetchone()
    if has_sequence:
        # The counter as it was (past rows deleted since), not as the rows just copied moved it.
        dst.execute("DELETE FROM main.sqlite_sequence WHERE name = ?", (table,))
        dst.execute("INSERT INTO main.sqlite_sequence SELECT * FROM src.sqlite_sequence WHERE name = ?", (table,))


def suggest_target(repo: Repository, run_id: int, databases: list[str]) -> str:
    from pathlib import Path

    return str(Path.cwd() / f"{repo.id}-restore-r{run_id}{Path(repo.source['path']).suffix}")


DRIVER = Driver(
    name="sqlite", source=PATH_SOURCE,
    backup=backup, describe=describe, contents=contents, tools=tools, structure=structure, trial=trial,
    check_source=check_source, plan_restore=plan_restore, restore=restore, suggest_target=suggest_target,
    manual_part=(".sqlite.zst", "an SQLite database file"), parts="tables", select_parts=select_parts,
)
