"""The catalog backup when the catalog is a PostgreSQL database (`storage.catalog: postgresql://…`): the
hash chain is checked and the tables counted in one repeatable-read snapshot, which pg_dump then dumps
(--snapshot), so what was checked is exactly what is kept. The password reaches pg_dump as the PostgreSQL
driver's does: PGPASSFILE or PGPASSWORD in its environment, never argv (the URL holds none)."""

from __future__ import annotations

import os

from dse_tui.core.drivers.base import BackupContext, BackupError
from dse_tui.core.engine.pipeline import Stage
from dse_tui.core.texts import said

PART = "catalog.pgdump.zst"
EVENTS = "events"


def libpq_env(source: dict) -> dict[str, str]:
    """The catalog's password for libpq's own tools, as the profile names it (storage.catalog_passfile /
    catalog_password_env)."""
    env = {}
    if source.get("passfile"):
        env["PGPASSFILE"] = str(source["passfile"])
    if source.get("password_env"):
        env["PGPASSWORD"] = os.environ.get(source["password_env"], "")
    return env


def backup(ctx: BackupContext, live, chain_problems) -> None:
    """`live`: the catalog, opened read-only on PostgreSQL."""
    from dse_tui.core.catalog.backend import exported_snapshot

    with exported_snapshot(live.conn) as snapshot:
        broken = chain_problems(live)
        if broken:
            raise BackupError(f"the event log's hash chain does not verify in the copy of {live.where} (the snapshot pg_dump "
                              f"would take): {broken[0]} "
                              "(dse-tui audit verify says more)")
        head_id, head_hash = live.head()
        ctx.meta["tables"] = live.table_counts()
        ctx.meta["catalog"] = {"schema_version": live.schema_version, "last_event_id": head_id,
                               "last_event_hash": head_hash, "backend": "postgresql",
                               "taken": "during this run: it holds this run as running, and nothing after"}
        # -Z0: zstd compresses (as the PostgreSQL driver's dumps); restore with `zstd -dc F | pg_restore -d DB`.
        ctx.part(PART, [Stage(["pg_dump", "-Fc", "-Z0", f"--snapshot={snapshot}", "-d", live.url],
                              env=libpq_env(ctx.repo.source), name="pg_dump")])


class DumpedLog:
    """The event log as a dump holds it (the COPY data pg_restore writes), read as audit.verify_chain reads a
    catalog's: the chain is checked in the copy without restoring it anywhere."""

    def __init__(self, script: str):
        self.rows: list[dict] = []
        columns = None
        for line in script.splitlines():
            if columns is None:
                if line.startswith("COPY ") and line.split(" ", 2)[1].split(".")[-1] == EVENTS:
                    columns = [c.strip().strip('"') for c in line[line.index("(") + 1:line.index(")")].split(",")]
                continue
            if line == "\\.":
                break
            values = [None if v == "\\N" else _unescape(v) for v in line.split("\t")]
            row = dict(zip(columns, values))
            row["id"] = int(row["id"])
            self.rows.append(row)
        self.found = columns is not None

    def event_chain(self, after_id: int = 0):
        return iter(sorted((r for r in self.rows if r["id"] > after_id), key=lambda r: r["id"]))


_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _unescape(value: str) -> str:
    """COPY's text format: backslash escapes (PostgreSQL writes only these for text columns)."""
    if "\\" not in value:
        return value
    out, i = [], 0
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt.isdigit():  # \ooo octal
                digits = value[i + 1:i + 4]
                out.append(chr(int(digits, 8)))
                i += 1 + len(digits)
                continue
            out.append(nxt)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def structure(v, chain_problems) -> None:
    """pg_restore reads the dump's table of contents, then the event log's rows, whose chain is checked."""
    from dse_tui.core.drivers import postgresql

    postgresql.structure(v)
    for part in v.parts(".pgdump.zst"):
        script = v.scratch / f"{part['file']}.events.sql"
        with open(script, "wb") as out:
            result, _ = v.pipe(part, [Stage(["pg_restore", "--data-only", "-t", EVENTS, "-f", "-"],
                                            name="pg_restore --data-only", stops_early=True)], out)
        if not result.ok:
            v.check(f"event chain {part['file']}", False, v.failure(result))
            continue
        log = DumpedLog(script.read_text(encoding="utf-8", errors="replace"))
        broken = chain_problems(log) if log.found else [said("verify.chain_no_log")]
        v.check(f"event chain {part['file']}", not broken, broken[0] if broken else said("verify.chain_ok"))
