"""The media inventory: codes from the profile's pattern (unique, never reused), expiry from the retention
of what a medium holds, what may be retired, and the inventory as data."""

from __future__ import annotations

from datetime import datetime, timedelta

from dse_tui.core.catalog import Catalog
from dse_tui.core.catalog.media import MEDIUM_STATES, Medium
from dse_tui.core.catalog.lifecycle import ERASING, MEDIUM, RETIRED, Refused
from dse_tui.core.profile.model import Retention
from dse_tui.core.common.timeutil import iso, utcnow
from dse_tui.core.texts import Text, Told


class MediaError(Told):
    """The change is refused; the message says why."""


def new_code(profile, catalog: Catalog, dest, now: datetime | None = None) -> tuple[str, str, int]:
    """(code, scope, seq) for a new medium of `dest`: the pattern filled with the next number of its scope
    (DSE-2026-0001, DSE-2026-0002, … and DSE-2027-0001 next year)."""
    now = now or utcnow()
    pattern = dest.settings.get("code") or profile.media_code
    fields = {"year": now.year, "month": f"{now.month:02}", "site": profile.site.id, "dest": dest.id}
    scope = pattern + "".join(f"|{k}={v}" for k, v in fields.items() if "{" + k in pattern)
    seq = catalog.next_medium_seq(scope)
    while catalog.medium(pattern.format(**fields, seq=seq)) is not None:  # a code typed in by hand, say
        seq += 1
    return pattern.format(**fields, seq=seq), scope, seq


def allocate_medium(profile, catalog: Catalog, dest, kind: str, **fields) -> tuple[str, int]:
    """A new medium with the next code, in one write transaction: two copies made at once (parallel runs,
    another console) never draw the same number."""
    with catalog.transaction():
        code, scope, seq = new_code(profile, catalog, dest)
        mid = catalog.create_medium(code, kind, destination=dest.id, scope=scope, seq=seq, **fields)
    return code, mid


def retention_span(r: Retention) -> timedelta:
    """How long the longest-kept class of the repository's retention keeps a run."""
    if r.yearly:
        return timedelta(days=366 * r.yearly)
    if r.monthly:
        return timedelta(days=31 * r.monthly)
    if r.weekly:
        return timedelta(weeks=r.weekly)
    return timedelta(days=max(r.daily, 1))


def medium_runs(catalog: Catalog, medium: Medium) -> list:
    """The runs a medium holds, each as it is on it: a copy encrypted on its way there has keys its run
    has not, and a manifest of its own."""
    from dataclasses import replace

    seen, runs = set(), []
    for copy, _ in catalog.medium_copies(medium.id):
        if copy.run_id not in seen:
            seen.add(copy.run_id)
            run = catalog.run(copy.run_id)
            # Its manifest on the medium is the encrypted twin's: the label's hash is of that one.
            runs.append(replace(run, key_ids=copy.key_ids, sha256=copy.sha256) if run is not None and copy.key_ids
                        else run)
    return runs


def expiry(profile, catalog: Catalog, medium: Medium) -> datetime | None:
    """When the last of what it holds leaves its retention (None while empty)."""
    ends = []
    for run in medium_runs(catalog, medium):
        try:
            repo = profile.repository(run.repository)
        except KeyError:
            continue
        ends.append(run.started_at + retention_span(repo.retention))
    return max(ends) if ends else None


def refresh_expiry(profile, catalog: Catalog, medium_id: int) -> None:
    medium = catalog.medium(medium_id)
    when = expiry(profile, catalog, medium)
    if when is not None:
        catalog.update_medium(medium_id, expires_at=when)


def is_expired(medium: Medium, now: datetime | None = None) -> bool:
    return medium.expires_at is not None and medium.expires_at < (now or utcnow()) and medium.state not in RETIRED


def only_copies(catalog: Catalog, medium: Medium) -> list[int]:
    """Runs retention still keeps whose every usable verified copy is on this medium."""
    mine = {c.id for c, _ in catalog.medium_copies(medium.id)}
    out = []
    for run in medium_runs(catalog, medium):
        if run is None or catalog.is_pruned(run.id):
            continue  # retention let it go: its copies may go too
        # Copies on retired media do not count.
        others = [c for c in catalog.verified_copies_list([run.id]) if c.id not in mine]
        if not others:
            out.append(run.id)
    return out


# The `n` key of the media screen: where a medium goes next, never erased or retired by a key press.
CYCLE = ("in-use", "full", "offsite")


def next_state(state: str) -> str | None:
    """The state after `state` in the everyday cycle (in use → full → off site → in use)."""
    if state == "blank":
        return "in-use"
    return CYCLE[(CYCLE.index(state) + 1) % len(CYCLE)] if state in CYCLE else None


def check_transition(catalog: Catalog, medium: Medium, state: str) -> None:
    """MediaError unless `medium` may become `state` now."""
    if state not in MEDIUM_STATES:
        raise MediaError("media.unknown_state", state=state, states=", ".join(MEDIUM_STATES))
    if state != medium.state:
        try:
            MEDIUM.next(medium.state, state)
        except Refused:
            if medium.state in RETIRED:
                raise MediaError("media.retired_stays", code=medium.code, state=Text(f"medium.{medium.state}")) from None
            allowed = sorted(to for (s, to) in MEDIUM.moves if s == medium.state)
            raise MediaError("media.cannot_become", code=medium.code, state=Text(f"medium.{medium.state}"),
                             allowed=", ".join(allowed),
                             wanted=state) from None
    if state in ERASING and state != medium.state:
        only = only_copies(catalog, medium)
        if only:
            raise MediaError("media.only_copy", code=medium.code, runs=", ".join(map(str, only)), n=len(only))


def move(catalog: Catalog, code: str, *, location: str | None = None, state: str | None = None,
         operator: str | None = None) -> Medium:
    medium = _get(catalog, code)
    if state in RETIRED:
        return retire(catalog, code, state=state, operator=operator)
    if state is not None:
        check_transition(catalog, medium, state)
    elif medium.state in RETIRED:
        raise MediaError("media.retired_stays", code=code, state=Text(f"medium.{medium.state}"))
    catalog.move_medium(medium.id, state=state, location=location, operator=operator)  # blank: its copies erased
    return catalog.medium(medium.id)


def retire(catalog: Catalog, code: str, *, state: str = "destroyed", reason: str | None = None,
           operator: str | None = None) -> Medium:
    medium = _get(catalog, code)
    if state not in RETIRED:
        raise MediaError("media.retire_states", states=" or ".join(RETIRED), state=state)
    check_transition(catalog, medium, state)
    catalog.retire_medium(medium.id, state, reason, operator=operator)
    return catalog.medium(medium.id)


def _get(catalog: Catalog, code: str) -> Medium:
    medium = catalog.medium(code)
    if medium is None:
        raise MediaError("media.no_medium", code=code)
    return medium


def inventory_item(catalog: Catalog, medium: Medium, now: datetime | None = None) -> dict:
    runs = medium_runs(catalog, medium)
    sets = {cm.copy_id: (cm.seq, cm.total) for _, cm in catalog.medium_copies(medium.id)}
    return {
        "code": medium.code, "kind": medium.kind, "state": medium.state, "location": medium.location,
        "destination": medium.destination, "volume": medium.volume, "capacity": medium.capacity,
        "created_at": iso(medium.created_at), "expires_at": iso(medium.expires_at) if medium.expires_at else None,
        "expired": is_expired(medium, now),
        "runs": [{"run_id": r.id, "repository": r.repository, "started_at": iso(r.started_at),
                  "key_ids": r.key_ids.split() if r.key_ids else []} for r in runs if r],
        "sequence": [f"{seq} of {total}" for seq, total in sets.values()],
        "note": medium.note,
    }
