"""What the backup user may do in each database, read from the server's own account of its grants.

mariadb-dump leaves a database's triggers out without a word when the user lacks TRIGGER there (its exit
status stays 0), and the routines another user defined when it may not read mysql.proc; without EVENT or
SHOW VIEW (on a database with views) it fails. So check and the run ask the server what the user holds.

As MariaDB 10.11 decides it: the global privileges (information_schema.USER_PRIVILEGES), and of the
database-level grants (SCHEMA_PRIVILEGES, whose TABLE_SCHEMA is a LIKE pattern: `_` and `%` wildcards, `\\`
escapes) only the most specific one that matches the database (an exact grant on `db` hides a GRANT ALL
on `d\\_%`), whatever the others hold. The two views show a user only its own grants, never those of the
role it has enabled (its default role, and the roles granted to that one): these come from SHOW GRANTS,
which lists them with the user's, and count as well, the role's own most specific grant apart."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dse_tui.core.texts import Text

# What the dump needs on each database, and what becomes of it without.
NEEDED = {
    "SELECT": Text("check.grant.select"),
    "SHOW VIEW": Text("check.grant.show_view"),
    "TRIGGER": Text("check.grant.trigger"),
    "EVENT": Text("check.grant.event"),
}
# What the run refuses to go without: a dump that silently lacks triggers is no good backup. SELECT and
# SHOW VIEW are left to the dump itself, which fails on the first table or view it may not read, in
# its own words; a user granted SELECT table by table has nothing missing yet.
RUN_NEEDS = ("TRIGGER", "EVENT")

SQL = ("SELECT 'me', CURRENT_USER(); "
       "SELECT 'global', GRANTEE, PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES; "
       "SELECT 'schema', GRANTEE, TABLE_SCHEMA, PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES; "
       "SHOW GRANTS")

ALL = "ALL PRIVILEGES"
MAX_NAME = 64  # characters in a database name

# A role's global or database-level grant as SHOW GRANTS lists it; a user's ends `TO `u`@`h``.
_ROLE_GRANT = re.compile(r"^GRANT (?P<privs>.+?) ON (?P<on>\*\.\*|`(?:[^`]|``)*`\.\*) TO `(?:[^`]|``)*`(?!@)")
_BATCH_ESCAPE = re.compile(r"\\(.)")
_BATCH_CHARS = {"0": "\0", "t": "\t", "n": "\n", "\\": "\\"}


def like(name: str, pattern: str) -> bool:
    """Whether a grant's database pattern covers `name`, as LIKE would (case as written: on Linux,
    database names are case-sensitive)."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.fullmatch("".join(out), name, re.DOTALL) is not None


def specificity(pattern: str) -> tuple:
    """Smaller for a pattern that matches fewer names, the order in which MariaDB tries them: a name
    without wildcards first, then the fewer `_`, and of the patterns with `%` those that leave the fewest
    characters free."""
    literal = ones = manys = 0
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "%":
            manys += 1
            while i + 1 < len(pattern) and pattern[i + 1] == "%":
                i += 1
        elif c == "_":
            ones += 1
        else:
            literal += 1
            if c == "\\":  # an escaped wildcard is a plain character
                i += 1
        i += 1
    if not manys:
        return (0, ones)
    return (1, MAX_NAME - literal - ones, manys, ones)


def in_effect(schemas: dict[str, set[str]], db: str) -> tuple[str | None, set[str]]:
    """The pattern MariaDB uses for `db` among one grantee's, and its privileges. Equally specific patterns
    are taken together for what all of them hold: which one the server tries first is not to be known."""
    matching = [p for p in schemas if like(db, p)]
    if not matching:
        return None, set()
    best = min(map(specificity, matching))
    chosen = [p for p in matching if specificity(p) == best]
    return chosen[0], set.intersection(*(schemas[p] for p in chosen))


def _unescape(text: str) -> str:
    """A field of the client's batch output, where a backslash, a tab or a newline are escaped."""
    return _BATCH_ESCAPE.sub(lambda m: _BATCH_CHARS.get(m.group(1), m.group(0)), text)


def _privileges(listed: str) -> set[str]:
    """SHOW GRANTS's privilege list ("SELECT, SHOW VIEW", "ALL PRIVILEGES", "SELECT (`a`, `b`)")."""
    return {p.strip() for p in re.sub(r"\s*\([^)]*\)", "", listed).split(",")}


def _unquote(name: str) -> str:
    return name[1:-1].replace("``", "`")


@dataclass
class Grants:
    account: str = ""  # 'user'@'host', as GRANT names it
    user_global: set[str] = field(default_factory=set)
    user_schemas: dict[str, set[str]] = field(default_factory=dict)
    role_global: set[str] = field(default_factory=set)
    role_schemas: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, rows: list[list[str]]) -> Grants:
        """From the rows of SQL (the client's batch output). An account that reads every user's grants
        (global SELECT on mysql) sees them all in the views: only its own are kept."""
        rows = [[_unescape(f) for f in row] for row in rows]
        me = next(row[1] for row in rows if row[0] == "me")
        user, _, host = me.rpartition("@")
        grants = cls(account=f"'{user}'@'{host}'")
        for row in rows:
            if row[0] == "global" and row[1] == grants.account:
                grants.user_global.add(row[2])
            elif row[0] == "schema" and row[1] == grants.account:
                grants.user_schemas.setdefault(row[2], set()).add(row[3])
            elif len(row) == 1 and (found := _ROLE_GRANT.match(row[0])):
                privileges, on = _privileges(found["privs"]), found["on"]
                if on == "*.*":
                    grants.role_global |= privileges
                else:  # a role's grants on one pattern merge with those of the roles granted to it
                    grants.role_schemas.setdefault(_unquote(on[:-2]), set()).update(privileges)
        return grants

    def held(self, db: str) -> set[str]:
        held = self.user_global | self.role_global
        held |= in_effect(self.user_schemas, db)[1] | in_effect(self.role_schemas, db)[1]
        return held | set(NEEDED) if ALL in held else held

    def missing(self, db: str, needed=tuple(NEEDED)) -> list[str]:
        held = self.held(db)
        return [p for p in needed if p not in held]

    def lacks(self, db: str, needed=tuple(NEEDED)) -> Text | None:
        """What the user lacks on `db` of what the dump needs, what becomes of the dump, and the GRANT that
        gives it; None when nothing is missing."""
        missing = self.missing(db, needed)
        if not missing:
            return None
        # Granted on the pattern already in effect, or the new exact grant would hide that one's privileges.
        pattern = in_effect(self.user_schemas, db)[0] or re.sub(r"([\\_%])", r"\\\1", db)
        target = "`" + pattern.replace("`", "``") + "`"
        effects = "; ".join(str(Text("check.grant.without", privilege=p, effect=NEEDED[p])) for p in missing)
        return Text("check.mysql_lacks", account=self.account, missing=", ".join(missing), db=db, effects=effects,
                    target=target)
