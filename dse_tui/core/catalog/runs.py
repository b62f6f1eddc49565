"""The catalog's runs as its queries return them: Run, LastStatus and the columns they are read from.
A module of its own so the parts of Catalog (checks.py, media.py) read them without importing the package."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from dse_tui.core.catalog.media import GONE_MEDIA


@dataclass(frozen=True)
class Run:
    id: int
    repository: str
    started_at: datetime
    ended_at: datetime | None
    state: str
    trigger: str
    operator: str | None
    size: int | None
    sha256: str | None
    artifact: str | None
    manifest: str | None
    message: str | None
    key_ids: str | None = None  # the age keys its artifact is encrypted to, space-separated; None: plaintext
    host: str | None = None  # the host that made it (None: recorded before hosts were)

    @property
    def encrypted(self) -> bool:
        return bool(self.key_ids)


@dataclass(frozen=True)
class LastStatus:
    """What the catalog knows of one repository: its last attempt, last good run and flags."""

    repository: str
    last_attempt: Run | None
    last_good: Run | None
    copies: int  # verified copies of the last good run
    manual_required_since: datetime | None
    manual_required_reason: str | None


_new = object.__new__
_parse = datetime.fromisoformat


def run_from_row(row, key: str) -> Run:
    """A Run from RUN_COLUMNS, `key` being its repository's. The status of a big site builds thousands:
    filling the instance's dict at once costs half of the frozen dataclass's __init__, which sets each
    field through object.__setattr__ (bench/catalog_scale.py)."""
    run = _new(Run)
    ended = row[3]
    run.__dict__.update({
        "id": row[0], "repository": key, "started_at": _parse(row[2]),
        "ended_at": None if ended is None else _parse(ended),
        "state": row[4], "trigger": row[5], "operator": row[6], "size": row[7], "sha256": row[8],
        "artifact": row[9], "manifest": row[10], "message": row[11], "key_ids": row[12],
        "host": row[13]})
    return run


def last_status_from_row(row, width: int) -> LastStatus:
    """One row of LAST_STATUS_SQL, built as run_from_row builds a Run (for the same reason). A last good run
    that is also the last attempt (most often) comes once, and is one Run."""
    key, since = row[0], row[1]
    attempt = run_from_row(row[5:5 + width], key) if row[5] is not None else None
    if row[3] is None:
        good = None
    elif row[5 + width] is None:
        good = attempt
    else:
        good = run_from_row(row[5 + width:5 + 2 * width], key)
    status = _new(LastStatus)
    status.__dict__.update({
        "repository": key, "last_attempt": attempt, "last_good": good, "copies": row[4],
        "manual_required_since": None if since is None else _parse(since), "manual_required_reason": row[2]})
    return status


RUN_COLUMNS = ("id, repository_id, started_at, ended_at, state, trigger, operator, size, sha256, artifact, manifest, "
               "message, key_ids, host")


def prefixed(alias: str) -> str:
    """RUN_COLUMNS of the table named `alias` in a join."""
    return ", ".join(f"{alias}.{c.strip()}" for c in RUN_COLUMNS.split(","))


# The last attempt and last good run of every repository: two key lookups per repository, whatever the
# number of runs (bench/catalog_scale.py measures it with a million), by the ids that migration 16's triggers
# keep on its row; the last good run's columns only when it is not the last attempt, which they repeat on
# most rows (last_status_from_row builds one Run).
LAST_STATUS_SQL = f"""
SELECT r.key, r.manual_required_since, r.manual_required_reason, r.last_good_id,
       (SELECT count(DISTINCT coalesce(c.device, c.destination)) FROM copies c
        WHERE c.run_id = r.last_good_id AND c.state = 'verified'
        AND NOT EXISTS (SELECT 1 FROM copy_media cm JOIN media m ON m.id = cm.medium_id
                        WHERE cm.copy_id = c.id AND m.state IN {GONE_MEDIA})),
       {prefixed('a')}, {prefixed('g')}
FROM repositories r
LEFT JOIN runs a ON a.id = r.last_attempt_id
LEFT JOIN runs g ON g.id = r.last_good_id AND g.id <> r.last_attempt_id
"""

# Both builders above name every field: one added to the dataclasses must be added there too.
assert [f.name for f in fields(Run)][2:] == [c.strip() for c in RUN_COLUMNS.split(",")][2:]
assert len(fields(LastStatus)) == 6
