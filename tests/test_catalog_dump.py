"""drivers/catalog_pg.py: the event log read out of a catalog's pg_dump (the COPY data pg_restore writes), so
the hash chain of a copy is checked without restoring it."""

from __future__ import annotations

import json

from dse_tui.core.catalog import GENESIS_HASH, event_hash
from dse_tui.core.drivers.catalog import chain_problems
from dse_tui.core.drivers.catalog_pg import DumpedLog

COLUMNS = ("id", "at", "operator", "repository", "action", "outcome", "detail", "prev_hash", "hash")


def copy_text(value) -> str:
    if value is None:
        return "\\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def dump_of(events: list[dict]) -> str:
    lines = ["--", "-- Data for Name: events; Type: TABLE DATA", "--", "",
             f"COPY public.events ({', '.join(COLUMNS)}) FROM stdin;"]
    lines += ["\t".join(copy_text(e[c]) for c in COLUMNS) for e in events]
    return "\n".join(lines + ["\\.", "", "COPY public.runs (id) FROM stdin;", "1", "\\."]) + "\n"


def chain() -> list[dict]:
    prev, out = GENESIS_HASH, []
    details = [{"text": "tab\there, a new\nline and a back\\slash"}, None, {"path": "C:\\dse\\ñ"}]
    for i, detail in enumerate(details, 1):
        fields = {"at": f"2026-12-0{i}T10:00:00Z", "operator": "jaa", "repository": None if i == 2 else "docs",
                  "action": "note", "outcome": "ok", "detail": json.dumps(detail) if detail else None}
        digest = event_hash(prev, fields)
        out.append({"id": i, **fields, "prev_hash": prev, "hash": digest})
        prev = digest
    return out


def test_the_chain_of_a_dump_verifies_with_every_escape_copy_writes():
    log = DumpedLog(dump_of(chain()))
    assert log.found and [e["id"] for e in log.event_chain()] == [1, 2, 3]
    assert next(log.event_chain())["detail"] == json.dumps({"text": "tab\there, a new\nline and a back\\slash"})
    assert chain_problems(log) == []


def test_an_event_edited_or_deleted_in_the_dump_breaks_its_chain():
    edited = chain()
    edited[1]["operator"] = "mallory"
    assert chain_problems(DumpedLog(dump_of(edited)))
    assert chain_problems(DumpedLog(dump_of([e for e in chain() if e["id"] != 2])))


def test_a_dump_without_the_event_log_is_said():
    assert not DumpedLog("COPY public.runs (id) FROM stdin;\n1\n\\.\n").found
