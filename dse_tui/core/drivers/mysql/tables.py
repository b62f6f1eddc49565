"""MariaDB/MySQL: some tables of a database's dump, cut out of mariadb-dump's text by its own section
headings, and loaded into a new database; runnable as a filter, the dump on stdin and the tables' SQL on
stdout:

    python -m dse_tui.core.drivers.mysql.tables TABLE...

mariadb-dump writes one database as a header of session settings, then for each table a section "Table
structure for table `t`" and a section "Dumping data for table `t`" (its rows, then its triggers), then
views, events and routines, then a footer restoring the settings. Each heading is three comment lines
at the top level of the script; a row's text cannot hold one (the dump escapes every line break of a value
as \\n), and a trigger's or routine's body, which can, lies between DELIMITER lines, where no heading is
looked for. What is kept: the header, the two sections of each table named, the footer; views, events
and routines are not restored with a table (they may name tables that are not restored). A table named
that has no section ends the filter with status 3, naming it."""

from __future__ import annotations

import sys
from typing import BinaryIO, Iterable

TABLE_SECTIONS = (b"-- Table structure for table `", b"-- Dumping data for table `")
OTHER_SECTIONS = (b"-- Temporary table structure for view `", b"-- Temporary view structure for view `",
                  b"-- Final view structure for view `", b"-- Dumping events for database ",
                  b"-- Dumping routines for database ")
FOOTER = b"/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;"
# What the manifest's "objects" lists that is never restored alone: what it is said as.
NOT_ALONE = {"view": "restore.mysql.view_alone", "procedure": "restore.mysql.procedure_alone",
             "function": "restore.mysql.function_alone", "event": "restore.mysql.event_alone"}
NOT_FOUND = 3


def section_table(title: bytes) -> str | None:
    """The table a heading's line names (a table section), or None."""
    for prefix in TABLE_SECTIONS:
        if title.startswith(prefix):
            name = title[len(prefix):].rstrip(b"\r\n")
            return name[:-1].replace(b"``", b"`").decode("utf-8", "surrogateescape") if name.endswith(b"`") else None
    return None


def cut(lines: Iterable[bytes], tables: set[str], out: BinaryIO) -> set[str]:
    """Write the header, the named tables' sections and the footer of `lines` to `out`; returns the tables
    found."""
    found: set[str] = set()
    keep = True  # the header is kept
    in_body = False  # between DELIMITER ;; and DELIMITER ;: a trigger's or routine's body
    pending: list[bytes] = []  # a "--" line, held until the next says whether it opens a section
    for line in lines:
        if pending:
            if line.startswith(TABLE_SECTIONS) or line.startswith(OTHER_SECTIONS):
                table = section_table(line)
                keep = table in tables
                if keep:
                    found.add(table)
                    out.writelines([*pending, line])
                pending = []
                continue  # the heading's closing "--" follows, with the section
            if keep:
                out.writelines(pending)
            pending = []
        if not in_body and line.rstrip(b"\r\n") == b"--":
            pending = [line]
            continue
        if line.startswith(b"DELIMITER "):
            in_body = line.rstrip(b"\r\n") != b"DELIMITER ;"
        elif not in_body and line.startswith(FOOTER):
            keep = True
        if keep:
            out.write(line)
    if keep and pending:
        out.writelines(pending)
    return found


# ---------------------------------------------------------------- the driver's side

def select_parts(manifest: dict, parts: tuple[str, ...], t) -> tuple[str, ...]:
    """Tables of the run's database, as its row counts name them (base tables: a view is not restored alone)."""
    from dse_tui.core.drivers.base import RestoreError

    if not parts:
        return ()
    tables = manifest.get("row_counts", {}).get(t.database)
    if tables is None:
        raise RestoreError(f"the run does not list the tables of {t.database} (a backup made by hand): restore "
                           "the database whole")
    missing = [p for p in parts if p not in tables]
    objects = manifest.get("objects", {}).get(t.database, {})
    for name in missing:
        for kind, said in NOT_ALONE.items():
            if name in objects.get(kind, ()):
                raise RestoreError(said, name=name, db=t.database)
        if name in objects.get("trigger", {}):
            raise RestoreError("restore.mysql.trigger_alone", name=name, table=objects["trigger"][name])
    if missing:
        shown = ", ".join(sorted(tables)[:8]) + (f" … ({len(tables)} in all)" if len(tables) > 8 else "")
        raise RestoreError(f"the run's {t.database} holds no table " + ", ".join(repr(m) for m in missing)
                           + f" (its tables: {shown or 'none'})")
    return tuple(sorted(set(parts)))


def table_filter(tables: tuple[str, ...]):
    from dse_tui.core.engine.pipeline import Stage

    return Stage([sys.executable, "-m", __name__, *tables], name="table filter")


def counted(v, t, got: dict[str, int]) -> None:
    """The tables loaded, their rows held to those the run counted."""
    from dse_tui.core.drivers.base import RestoreError

    wanted = {name: n for name, n in v.manifest.get("row_counts", {}).get(t.database, {}).items() if name in t.parts}
    wrong = [f"{name}: {got.get(name, 'missing')} rows, the run counted {n}" for name, n in wanted.items()
             if got.get(name) != n]
    if wrong:
        raise RestoreError(f"restored into {t.target}, but not as the run holds it: {'; '.join(wrong[:4])}")
    v.log(f"{len(wanted)} table(s) restored into {t.target} with the rows the run counted")


def restore_into_folder(v, t) -> None:
    """The tables' SQL as one file, for the operator's own client."""
    from pathlib import Path

    from dse_tui.core.drivers.base import check_result
    from dse_tui.core.keys.crypto import plain_name

    folder = Path(t.target)
    folder.mkdir(parents=True, exist_ok=True)
    part = next(x for x in v.parts(".sql.zst") if plain_name(x["file"]) == f"{t.database}.sql.zst")
    with open(folder / f"{t.database}.tables.sql", "wb") as out:
        result, _ = v.pipe(part, [table_filter(t.parts)], out)
    check_result(v, result, part["file"])


def main(argv: list[str]) -> int:
    tables = set(argv)
    found = cut(sys.stdin.buffer, tables, sys.stdout.buffer)
    sys.stdout.buffer.flush()
    missing = sorted(tables - found)
    if missing:
        print(f"the dump has no section for the table(s) {', '.join(missing)}", file=sys.stderr)
        return NOT_FOUND
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
