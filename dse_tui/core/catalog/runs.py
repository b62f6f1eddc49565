"""The catalog's runs as its queries return them: Run, LastStatus and the columns they are read from.
A module of its own so the parts of Catalog (checks.py, media.py) read them without importing the package."""

from __future__ import annotations

from dataclasses import dataclass
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


RUN_COLUMNS = ("id, repository_id, started_at, ended_at, state, trigger, operator, size, sha256, artifact, manifest, "
               "message, key_ids")


def prefixed(alias: str) -> str:
    """RUN_COLUMNS of the table named `alias` in a join."""
    return ", ".join(f"{alias}.{c.strip()}" for c in RUN_COLUMNS.split(","))


# The last attempt and last good run of every repository: two index seeks per repository,
# whatever the number of runs (bench/catalog_scale.py measures it with a million).
LAST_STATUS_SQL = f"""SELECT r.key, r.manual_required_since, r.manual_required_reason,
       {prefixed('a')}, {prefixed('g')},
       (SELECT count(DISTINCT coalesce(c.device, c.destination)) FROM copies c WHERE c.run_id = g.id AND c.state = 'verified'
        AND NOT EXISTS (SELECT 1 FROM copy_media cm JOIN media m ON m.id = cm.medium_id
                        WHERE cm.copy_id = c.id AND m.state IN {GONE_MEDIA}))
FROM (
    SELECT r.*,
        (SELECT id FROM runs WHERE repository_id = r.id
            ORDER BY started_at DESC LIMIT 1) AS last_attempt_id,
        (SELECT id FROM runs WHERE repository_id = r.id AND state = 'good'
            ORDER BY started_at DESC LIMIT 1) AS last_good_id
    FROM repositories r
) r
LEFT JOIN runs a ON a.id = r.last_attempt_id
LEFT JOIN runs g ON g.id = r.last_good_id
"""
