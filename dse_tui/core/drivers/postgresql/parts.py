"""PostgreSQL: some tables or schemas of a database's dump restored, with pg_restore's own selection
(`-n SCHEMA` for a schema, `-n SCHEMA -t TABLE` for a table), checked against the run's row counts.

What pg_restore selects is what is restored: a schema with everything in it; a table with its definition
and rows (pg_restore -t), not the indexes, constraints, defaults and sequences that are objects of their
own in the dump. The schema a table is in is made first when the target lacks it (pg_restore -n never
restores the CREATE SCHEMA itself)."""

from __future__ import annotations

from collections import defaultdict

from dse_tui.core.drivers.base import RestoreError, RestoreTarget, check_result
from dse_tui.core.keys.crypto import plain_name
from dse_tui.core.profile.model import Repository

WHOLE = ".*"  # a schema's part: "hr.*"


def select_parts(repo: Repository, manifest: dict, parts: tuple[str, ...], database: str | None) -> tuple[str, ...]:
    """`schema.table`, a table alone in one schema (`staff`), a schema (`hr` or `hr.*`): as
    `schema.table` and `schema.*`, from the run's row counts (the tables pg_dump dumped)."""
    if not parts:
        return ()
    tables = manifest.get("row_counts", {}).get(database)
    if tables is None:
        raise RestoreError(f"the run does not list the tables of {database} (a backup made by hand): restore the "
                           "database whole, or pg_restore -l its dump and choose with pg_restore -L")
    schemas = {name.split(".", 1)[0] for name in tables}
    out, missing = set(), []
    for asked in parts:
        name = asked.strip()
        if name.endswith(WHOLE):
            (out.add(name) if name.removesuffix(WHOLE) in schemas else missing.append(asked))
            continue
        if name in tables:  # schema.table
            out.add(name)
            continue
        named = _table_named(tables, name)
        if name in schemas:
            if named:
                raise RestoreError(f"{asked!r} is both a schema and a table of {database}: write {name}{WHOLE} for "
                                   f"the schema, or the table as {named[0]}")
            out.add(name + WHOLE)
        elif len(named) == 1:
            out.add(named[0])
        elif named:
            raise RestoreError(f"{asked!r} is a table of several schemas of {database} ({', '.join(named)}): "
                               "name it as schema.table")
        else:
            missing.append(asked)
    if missing:
        raise RestoreError(f"the run's {database} holds no table or schema " + ", ".join(repr(m) for m in missing)
                           + f" (its tables: {_some(sorted(tables))})")
    whole = {p.removesuffix(WHOLE) for p in out if p.endswith(WHOLE)}
    return tuple(sorted(p for p in out if p.endswith(WHOLE) or p.split(".", 1)[0] not in whole))


def _table_named(tables: dict, name: str) -> list[str]:
    return sorted(t for t in tables if "." not in name and t.split(".", 1)[1] == name)


def _some(names: list[str]) -> str:
    return ", ".join(names[:8]) + (f" … ({len(names)} in all)" if len(names) > 8 else "")


def groups(parts: tuple[str, ...]) -> dict[str, list[str]]:
    """schema → its tables ([]: the schema whole): one pg_restore each, as -n and -t combine as a product."""
    out: dict[str, list[str]] = defaultdict(list)
    for part in parts:
        schema, _, table = part.partition(".")
        if table == "*":
            out[schema] = []
        elif schema not in out or out[schema]:
            out[schema].append(table)
    return dict(out)


def restore_parts(v, t: RestoreTarget, clean: list[str], *, connect_stage, psql) -> None:
    """Into a database (made by the caller) or, for a folder, as a plain SQL file of the parts.
    `connect_stage` and `psql` are the driver's own (passed in: this module is imported by the driver)."""
    from dse_tui.core.drivers.postgresql.snapshot import count_rows
    from dse_tui.core.engine.pipeline import Stage

    repo = v.repo
    part = next(x for x in v.parts(".pgdump.zst") if plain_name(x["file"]) == f"{t.database}.pgdump.zst")
    chosen = groups(t.parts)
    if t.into == "folder":
        from pathlib import Path

        folder = Path(t.target)
        folder.mkdir(parents=True, exist_ok=True)
        for schema, tables in chosen.items():
            with open(folder / f"{t.database}.{schema}.sql", "wb") as out:
                result, _ = v.pipe(part, [Stage(["pg_restore", *_selection(schema, tables), "-f", "-"],
                                                name="pg_restore", stops_early=True)], out)
            check_result(v, result, f"{t.database}: {schema}")
        return
    for schema, tables in chosen.items():
        ident = '"' + schema.replace('"', '""') + '"'
        made = psql(repo, t.target, f"CREATE SCHEMA IF NOT EXISTS {ident}", v.remaining(60))
        if made.returncode != 0:
            raise RestoreError(f"cannot create the schema {schema} in {t.target}: {made.stderr.strip()}")
        stage = connect_stage(repo, ["pg_restore", *clean, "--exit-on-error", *_selection(schema, tables),
                                     "-d", t.target], "pg_restore", stops_early=True)
        result, _ = v.pipe(part, [stage])
        check_result(v, result, f"restore of {schema} into {t.target}")
    # The rows restored, held to those the run counted in pg_dump's own snapshot.
    counted = v.manifest.get("row_counts", {}).get(t.database, {})
    got = count_rows(connect_stage(repo, ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", t.target], "psql"),
                     v.remaining())
    wanted = {name: n for name, n in counted.items() if _chosen(name, chosen)}
    wrong = [f"{name}: {got.get(name, 'missing')} rows, the run counted {n}" for name, n in wanted.items()
             if got.get(name) != n]
    if wrong:
        raise RestoreError(f"restored into {t.target}, but not as the run holds it: {'; '.join(wrong[:4])}")
    v.log(f"{len(wanted)} table(s) restored into {t.target} with the rows the run counted")


def _selection(schema: str, tables: list[str]) -> list[str]:
    return ["-n", schema, *[a for table in tables for a in ("-t", table)]]


def _chosen(name: str, chosen: dict[str, list[str]]) -> bool:
    schema, _, table = name.partition(".")
    return schema in chosen and (not chosen[schema] or table in chosen[schema])
