"""`dse-tui catalog migrate --to postgresql://…`: a SQLite catalog copied, row for row and id for id,
into an empty PostgreSQL one. Ids are kept, so the event log's chain (which hashes its fields, not its
ids, but whose ids audit verify reads for holes) is the same chain there."""

from __future__ import annotations

from dse_tui.core.catalog.backend import reset_sequences

# Parents before children: foreign keys are checked row by row.
TABLES = ("repositories", "media", "sessions", "runs", "session_steps", "copies", "copy_media", "verifications",
          "restores", "events", "outbox")


class TransferError(Exception):
    pass


def columns(catalog, table: str) -> list[str]:
    cur = catalog.conn.execute(f"SELECT * FROM {table} LIMIT 0")
    # session_steps' rowid is PostgreSQL's own column (SQLite's is implicit): it is made again there.
    return [d[0] for d in cur.description if d[0] != "rowid"]


def copy_catalog(source, target, *, batch: int = 1000, log=lambda line: None) -> dict[str, int]:
    """Every row of `source` into `target` (which must hold no records); the number copied per table."""
    if source.schema_version != target.schema_version:
        raise TransferError(f"the catalogs' schema versions differ ({source.schema_version}, "
                            f"{target.schema_version}): open the source with this dse-tui first")
    busy = [t for t in TABLES if target.conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()]
    if busy:
        raise TransferError(f"the target catalog {target.where} already holds records ({', '.join(busy)})")
    counts = {}
    with target.transaction(), target.dialect.runs_copied(target.conn):
        for table in TABLES:
            names = columns(source, table)
            insert = f"INSERT INTO {table}({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
            cur = source.conn.execute(f"SELECT {', '.join(names)} FROM {table} ORDER BY 1")
            counts[table] = 0
            while rows := cur.fetchmany(batch):
                target.conn.executemany(insert, rows)
                counts[table] += len(rows)
            log(f"{table}: {counts[table]}")
        reset_sequences(target.conn)
    return counts
