"""`dse-tui catalog rebuild --from PLACE…`: a working catalog again from the copies on media, as Bareos'
bscan does from volumes.

1. The newest catalog backup among the copies (a run of dse-catalog, whose manifest has a `catalog` block)
   is restored as the base: media codes, sessions, verifications and the event log as they were when it
   was taken. It is checked first (its part's SHA-256, PRAGMA integrity_check, the hash chain).
2. The log is carried on past it with the events the newer runs' audit-log parts hold, appended as they
   were written (same ids, same hashes), as far as they chain onto it.
3. The runs and copies found on the places that the base does not know are added through the catalog
   (their ids kept; each with a "run recovered" / "copy recovered" event); the catalog backup's own run,
   which its copy holds as running, is completed from its manifest.
4. What could not be recovered is said: events past the last one any copy carried, runs the log says
   ended good but whose copies were not among the places, runs of the base none of whose copies is there.

An existing catalog that holds records is never overwritten unless forced, and then it is kept aside."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from dse_tui.core.catalog import Catalog, CatalogError
from dse_tui.core.catalog.lifecycle import CopyState, RunState
from dse_tui.core.catalog.recovery import CATALOG_REBUILT
from dse_tui.core.common.timeutil import utcnow
from dse_tui.core.keys.crypto import manifest_key_ids
from dse_tui.core.records.found import Found, NotReadable, scan
from dse_tui.core.records.rebuild_copies import add_copies, add_media
from dse_tui.core.texts import Text, Told


class RebuildError(Told):
    """The rebuild cannot start or its base cannot be used; the message says why and what to do."""


@dataclass
class Rebuilt:
    catalog: Path
    base: Found | None = None
    base_events: int = 0
    events_added: int = 0
    runs_added: list[int] = field(default_factory=list)
    runs_completed: list[int] = field(default_factory=list)
    copies_added: list[tuple[int, str, str]] = field(default_factory=list)  # (run, destination, path)
    media_added: list[str] = field(default_factory=list)  # codes
    unknown_disks: list[str] = field(default_factory=list)  # devices holding copies that no medium records
    destinations: dict[Path, str] = field(default_factory=dict)  # folder → destination id (a profile's)
    not_recovered: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what could not be read in the places
    kept_aside: Path | None = None

    def as_json(self) -> dict:
        return {"catalog": str(self.catalog), "kept_aside": str(self.kept_aside) if self.kept_aside else None,
                "base": {"run_id": self.base.run_id, "path": str(self.base.path),
                         "taken_at": self.base.manifest["started_at"]} if self.base else None,
                "base_events": self.base_events, "events_added": self.events_added,
                "runs_added": self.runs_added, "runs_completed": self.runs_completed,
                "copies_added": [{"run_id": r, "destination": d, "path": p} for r, d, p in self.copies_added],
                "media_added": self.media_added,
                "not_recovered": self.not_recovered, "problems": self.problems}


def site_of(places: list[Path]) -> str | None:
    """The site the copies found are of (for the default catalog path when there is no profile)."""
    with tempfile.TemporaryDirectory(prefix="dse-rebuild-") as scratch:
        found, _ = scan(places, Path(scratch))
    sites = {f.manifest.get("site") for f in found if f.manifest.get("site")}
    return sites.pop() if len(sites) == 1 else None


def rebuild(catalog_path: Path, places: list[Path], *, force: bool = False, operator: str | None = None,
            keyring=None, destinations: dict[Path, str] | None = None, log=lambda line: None) -> Rebuilt:
    """`keyring` (keys.crypto.Keyring): the identities that open encrypted copies (a catalog backup or a
    run's log encrypted on its way to an offsite disk). `destinations`: folder → destination id, the
    profile's when there is one, for copies in places that no recorded copy names."""
    from dse_tui.core.catalog.backend import is_postgresql, redact

    if is_postgresql(str(catalog_path)):
        raise RebuildError("rebuild.to_postgresql", url=redact(str(catalog_path)))
    out = Rebuilt(Path(catalog_path), destinations=dict(destinations or {}))
    out.kept_aside = _make_room(out.catalog, force)
    with tempfile.TemporaryDirectory(prefix="dse-rebuild-") as scratch:
        scratch = Path(scratch)
        found, out.problems = scan(places, scratch)
        sites = sorted({f.manifest.get("site") for f in found if f.manifest.get("site")})
        if len(sites) > 1:
            raise RebuildError(f"the places hold copies of several sites ({', '.join(sites)}): rebuild each "
                               "site's catalog from its own places")
        log(f"{len(found)} cop{'y' if len(found) == 1 else 'ies'} of runs found")
        out.base = _restore_base(out.catalog, found, scratch, out, keyring)
        with Catalog(out.catalog) as catalog:
            out.base_events = catalog.last_event_id()
            out.events_added = _carry_log_on(catalog, found, scratch, out, keyring)
            _add_runs(catalog, found, out, operator)
            add_media(catalog, out, operator)
            add_copies(catalog, found, out, operator)
            _say_what_is_missing(catalog, found, out)
            catalog.record_event(CATALOG_REBUILT, "ok", operator=operator, detail={
                "places": [str(p) for p in places], "base_run": out.base.run_id if out.base else None,
                "runs_added": out.runs_added, "runs_completed": out.runs_completed,
                "copies_added": len(out.copies_added), "media_added": out.media_added, "events_added": out.events_added,
                "not_recovered": len(out.not_recovered)})
    return out


# ---------------------------------------------------------------------- 0. never over a catalog in use

def _make_room(path: Path, force: bool) -> Path | None:
    """Refuse a catalog that holds records (unless forced: then it is moved aside, whole)."""
    if not path.exists():
        return None
    try:
        with Catalog(path) as existing:
            holds = existing.holds_records()
            if holds and force:
                existing.checkpoint()  # the -wal folded in: the file moved aside is the whole catalog
    except CatalogError as exc:
        if not force:
            raise RebuildError(f"{path} is there and cannot be read ({exc}): --force keeps it aside") from None
        holds = True
    if holds and not force:
        raise RebuildError(f"the catalog {path} holds records: rebuilding would replace them. --force keeps it "
                           f"aside as {path.name}.before-rebuild-… and rebuilds")
    aside = path.with_name(f"{path.name}.before-rebuild-{utcnow().strftime('%Y%m%dT%H%M%SZ')}") if holds else None
    if aside:
        os.rename(path, aside)
    else:
        path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return aside


# ---------------------------------------------------------------------- 1. the newest catalog backup

def _restore_base(path: Path, found: list[Found], scratch: Path, out: Rebuilt, keyring) -> Found | None:
    backups = sorted((f for f in found if isinstance(f.manifest.get("catalog"), dict)),
                     key=lambda f: (f.started_at, f.run_id), reverse=True)
    for candidate in backups:
        why = _try_base(path, candidate, scratch, keyring)
        if why is None:
            return candidate
        out.not_recovered.append(f"the catalog backup of run {candidate.run_id} at {candidate.path} was not "
                                 f"used: {why}")
    out.not_recovered.append("no usable catalog backup among the places: the media inventory, the sessions and "
                             "the event log before the runs found are not recovered")
    return None


def _try_base(path: Path, candidate: Found, scratch: Path, keyring) -> str | None:
    from dse_tui.core.drivers.catalog import PART, chain_problems
    from dse_tui.core.drivers.catalog_pg import PART as DUMP

    parts = candidate.manifest.get("parts", [])
    part = next((p for p in parts if p["file"].startswith(PART)), None)
    if part is None and any(p["file"].startswith(DUMP) for p in parts):
        return str(Text("rebuild.base_is_a_dump", file=DUMP))
    if part is None:
        return "it has no catalog part"
    tmp = path.with_name(f".{path.name}.rebuild")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        candidate.unpack(part["file"], scratch, tmp, keyring)
        with Catalog(tmp, readonly=True) as copy:
            if copy.integrity() != ["ok"]:
                return "it fails PRAGMA integrity_check"
            broken = chain_problems(copy)
            if broken:
                return f"its event log does not verify: {broken[0]}"
        os.replace(tmp, path)
    except NotReadable as exc:
        return str(exc)
    except (OSError, CatalogError) as exc:
        return f"it cannot be restored: {exc}"
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
    return None


# ---------------------------------------------------------------------- 2. the log past the base

def _carry_log_on(catalog: Catalog, found: list[Found], scratch: Path, out: Rebuilt, keyring) -> int:
    """The events the runs' audit-log parts hold past the log's end, as far as they chain onto it."""
    head_id, _ = catalog.head()
    carried: dict[int, dict] = {}
    furthest = head_id
    for f in sorted(found, key=lambda f: f.run_id, reverse=True):
        block = f.manifest.get("audit_log")
        if not isinstance(block, dict) or block.get("last_id", 0) <= head_id or f.part(block.get("part")) is None:
            continue
        try:
            f.unpack(block["part"], scratch, scratch / "audit-log.jsonl", keyring)
            lines = (scratch / "audit-log.jsonl").read_bytes().splitlines()
        except (NotReadable, OSError):
            continue  # another copy of the run, or a later run, may carry the same events
        for line in lines:
            if line.strip():
                event = json.loads(line)
                carried.setdefault(event["id"], event)
                furthest = max(furthest, event["id"])
    chain = []
    next_id = head_id + 1
    while next_id in carried:
        chain.append(carried[next_id])
        next_id += 1
    from dse_tui.core.catalog.recovery import ChainMismatch

    try:
        added = catalog.append_recovered_events(chain)
    except ChainMismatch as exc:
        out.not_recovered.append(f"the events the runs' logs carry past event {head_id} do not chain onto the "
                                 f"restored log ({exc}): not added")
        return 0
    if furthest > head_id + added:
        out.not_recovered.append(f"events {head_id + added + 1}–{furthest} are in the runs' logs but do not "
                                 f"follow event {head_id + added} (a run's log is missing): not added")
    return added


# ---------------------------------------------------------------------- 3. runs and copies

def _add_runs(catalog: Catalog, found: list[Found], out: Rebuilt, operator) -> None:
    by_run: dict[int, list[Found]] = {}
    for f in found:
        by_run.setdefault(f.run_id, []).append(f)
    for run_id, copies in sorted(by_run.items()):
        usable = [f for f in copies if f.complete() is None]
        if not usable:
            out.not_recovered.append(f"run {run_id} of {copies[0].repository}: no complete copy of it "
                                     f"({'; '.join(f'{f.path}: {f.complete()}' for f in copies)})")
            continue
        f = next((c for c in usable if not c.encrypted_on_the_way), usable[0])
        known = catalog.run(run_id)
        if known is not None and known.repository != f.repository:
            out.not_recovered.append(f"run {run_id} at {f.path} is of {f.repository}, but run {run_id} of the "
                                     f"restored catalog is of {known.repository}: copies of another catalog?")
            continue
        key_ids = None if f.encrypted_on_the_way else (" ".join(manifest_key_ids(f.manifest)) or None)
        size = f.manifest.get("data_size", f.manifest.get("size"))
        if known is None:
            catalog.recover_run(run_id, f.repository, started_at=f.started_at, ended_at=f.ended_at,
                                trigger=f.manifest.get("trigger") or "auto", operator=f.manifest.get("operator"),
                                size=size, sha256=f.run_sha256, key_ids=key_ids, found_at=str(f.path), by=operator,
                                host=f.manifest.get("host"))
            out.runs_added.append(run_id)
        elif known.state == RunState.RUNNING:
            catalog.complete_recovered_run(run_id, ended_at=f.ended_at, size=size, sha256=f.run_sha256,
                                           key_ids=key_ids, found_at=str(f.path), by=operator)
            out.runs_completed.append(run_id)


# ---------------------------------------------------------------------- 4. what is missing

def _say_what_is_missing(catalog: Catalog, found: list[Found], out: Rebuilt) -> None:
    seen = {f.run_id for f in found}
    known = set(catalog.run_ids())
    for event in catalog.events(100_000, action="run ended"):
        detail = json.loads(event["detail"] or "{}")
        run_id = detail.get("run_id")
        if event["outcome"] == RunState.GOOD and run_id not in known:
            out.not_recovered.append(f"run {run_id} of {event['repository']} ended good at {event['at']} (the "
                                     "event log says) but no copy of it was on the places given")
    for copy in catalog.verified_copies_list():
        run = catalog.run(copy.run_id)
        if copy.run_id in seen or (run.artifact and Path(run.artifact).is_dir()):
            continue
        seen.add(copy.run_id)
        out.not_recovered.append(f"run {copy.run_id} of {run.repository}: none of its copies is on the places "
                                 f"given (one is recorded on {copy.destination}: {copy.path}) and its folder is "
                                 "not on this machine")
    if out.base is not None and (out.runs_added or out.runs_completed):
        taken = out.base.manifest["started_at"]
        last = out.base_events + out.events_added
        out.not_recovered.append(f"after the catalog backup ({taken}) only runs, copies and the events the runs "
                                 f"carried (to event {last}) are recovered: verifications, restores, sessions "
                                 "and media moves made since are in the event log only")


def rebuilt_state(catalog: Catalog) -> tuple[int, int]:
    """(runs, verified copies) of a catalog: what the command prints at the end."""
    return len(catalog.run_ids()), len([c for c in catalog.verified_copies_list() if c.state == CopyState.VERIFIED])

