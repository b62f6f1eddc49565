"""PostgreSQL: the roles a run names (its objects' owners in the dump's table of contents, the roles of its
globals) held against the server it is restored on. A new server (the worst day's) lacks the site's roles:
pg_restore --exit-on-error then stops at the first ALTER ... OWNER TO or GRANT naming one, and nothing is
restored. The objects are then given to the restoring role and their grants left out, said in the log, so
the data comes back; the roles can be made from globals.sql and the restore done again to keep both."""

from __future__ import annotations

import io
import re

from dse_tui.core.drivers.base import RestoreError
from dse_tui.core.engine.pipeline import Stage
from dse_tui.core.keys.crypto import plain_name
from dse_tui.core.texts import Text

# "216; 1259 231334 TABLE public staff OWNER": the owner is the last field; "-" where an entry has none.
_ENTRY = re.compile(rb"^\d+; \d+ \d+ .* (\S+)$")
_CREATE_ROLE = re.compile(rb'^CREATE ROLE ("(?:[^"]|"")+"|[^\s;]+);', re.M)


def dump_owners(v, part: dict) -> set[str]:
    listing = io.BytesIO()
    result, _ = v.pipe(part, [Stage(["pg_restore", "--list"], name="pg_restore --list", stops_early=True)], listing)
    if not result.ok:
        raise RestoreError(f"pg_restore --list {part['file']}: {v.failure(result)}")
    owners = set()
    for line in listing.getvalue().splitlines():
        m = _ENTRY.match(line)
        if m and m.group(1) != b"-":
            owners.add(m.group(1).decode("utf-8", "replace"))
    return owners


def globals_roles(v) -> set[str]:
    out = set()
    for part in v.parts("globals.sql.zst"):
        text = io.BytesIO()
        result, _ = v.pipe(part, [], text)
        if not result.ok:
            raise RestoreError(f"{part['file']}: {v.failure(result)}")
        for m in _CREATE_ROLE.finditer(text.getvalue()):
            name = m.group(1).decode("utf-8", "replace")
            out.add(name[1:-1].replace('""', '"') if name.startswith('"') else name)
    return out


def restore_flags(v, repo, part: dict, psql) -> list[str]:
    """pg_restore's options for the roles this server lacks: --no-owner when an owner is missing,
    --no-privileges when any role the run names is (a grant may name it); [] when all are here."""
    here = psql(repo, "postgres", "SELECT rolname FROM pg_roles", v.remaining(60))
    if here.returncode != 0:
        raise RestoreError(f"cannot list the server's roles: {here.stderr.strip()}")
    roles = set(here.stdout.split("\n")) - {""}
    owners = dump_owners(v, part) - roles
    others = globals_roles(v) - roles
    missing = sorted(owners | others)
    if not missing:
        return []
    v.log(str(Text("restore.pg.roles_missing", n=len(missing), roles=", ".join(missing),
                   db=plain_name(part["file"]).removesuffix(".pgdump.zst"))))
    return (["--no-owner"] if owners else []) + ["--no-privileges"]
