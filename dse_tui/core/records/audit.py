"""The event log as a record (ISO 9001 4.2.4): each event carries the hash of the one before it, so an
edited, deleted or inserted event breaks the chain where it happened; `verify_chain` says which. A copy of
the log travels with every backup set (`audit-log.jsonl.zst` in each run), so the catalog is never its only
copy."""

from __future__ import annotations

import json
from dataclasses import dataclass

from dse_tui.core.catalog import GENESIS_HASH, Catalog, event_hash
from dse_tui.core.verification.manifest import read_manifest
from dse_tui.core.texts import Text


@dataclass(frozen=True)
class Break:
    kind: str  # edited | deleted | inserted | truncated
    event_id: int | None
    message: Text  # read in the active language


def verify_chain(catalog: Catalog, expected_head: tuple[int, str] | None = None) -> tuple[int, list[Break]]:
    """(events checked, what is wrong). `expected_head` (id, hash) of the last event of a copy kept elsewhere
    (a run's audit log) also catches events deleted from the end."""
    breaks: list[Break] = []
    seen: dict[str, int] = {GENESIS_HASH: 0}  # hash → id of the event that has it
    prev_hash, prev_id, count = GENESIS_HASH, 0, 0
    for e in catalog.event_chain():
        count += 1
        fields = {k: e[k] for k in ("at", "operator", "repository", "action", "outcome", "detail")}
        own = event_hash(e["prev_hash"], fields)
        if own != e["hash"]:
            breaks.append(Break("edited", e["id"], Text("audit.break.edited", id=e["id"], action=e["action"],
                                                                at=e["at"])))
        if e["prev_hash"] != prev_hash:
            if e["prev_hash"] in seen and seen[e["prev_hash"]] < prev_id:
                breaks.append(Break("inserted", prev_id, Text(
                    "audit.break.inserted" if seen[e["prev_hash"]] else "audit.break.inserted_first", id=prev_id,
                    next=e["id"], follows=seen[e["prev_hash"]])))
            elif e["id"] == prev_id + 1:
                breaks.append(Break("edited", prev_id, Text("audit.break.rehashed", id=prev_id, next=e["id"])))
            else:
                breaks.append(Break("deleted", e["id"], Text("audit.break.deleted", first=prev_id + 1, last=e["id"] - 1,
                                                             id=e["id"])))
        elif e["id"] != prev_id + 1:
            # The chain was mended over the hole, but ids are never given twice: the hole shows.
            breaks.append(Break("deleted", e["id"], Text("audit.break.missing", first=prev_id + 1, last=e["id"] - 1)))
        seen[e["hash"]] = e["id"]
        prev_hash, prev_id = e["hash"], e["id"]
    if expected_head is not None:
        last_id, last = expected_head
        if prev_id < last_id or last not in seen:
            breaks.append(Break("truncated", prev_id or None,
                                Text("audit.break.truncated", id=prev_id, last=last_id, hash=last[:12])))
    return count, breaks


def export_jsonl(catalog: Catalog, after_id: int = 0) -> bytes:
    """The log (from event `after_id` + 1), one JSON object per line with its hashes: a segment of the chain
    that verifies on its own, since each event's hash covers the one before."""
    return b"".join(json.dumps(e, ensure_ascii=False, sort_keys=True).encode() + b"\n"
                    for e in catalog.event_chain(after_id))


def segment_start(catalog: Catalog, repo_id: str, overlap: int = 1000) -> int:
    """Where a run's copy of the log starts: just after what this repository's previous run carried, with
    an overlap (so consecutive copies chain), never more than the whole log."""
    manifest = catalog.last_manifest(repo_id)
    last = 0
    if manifest:
        try:
            # The head of the manifest: a files run's list of entries is not read.
            last = read_manifest(manifest).get("audit_log", {}).get("last_id", 0)
        except (OSError, ValueError):
            last = 0
    return max(0, last - overlap)


def head_of(jsonl: bytes) -> tuple[int, str] | None:
    """(id, hash) of the last event of an exported log."""
    lines = [line for line in jsonl.splitlines() if line.strip()]
    if not lines:
        return None
    last = json.loads(lines[-1])
    return last["id"], last["hash"]


def note_profile(catalog: Catalog, profile) -> bool:
    """Record a "profile changed" event when the profile's bytes differ from the last ones recorded (the
    first load counts as a change): who changed what the site's backups do is a record too."""
    import hashlib

    try:
        digest = hashlib.sha256(profile.file.read_bytes()).hexdigest()
    except OSError:
        return False
    last = next(catalog.events(1, action="profile changed"), None)
    if last and json.loads(last["detail"] or "{}").get("sha256") == digest:
        return False
    catalog.record_event("profile changed", "ok", detail={"file": str(profile.file), "sha256": digest})
    return True
