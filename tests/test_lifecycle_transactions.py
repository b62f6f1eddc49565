"""The catalog method that ends a record writes its event itself, in the same transaction: the state and
its event are recorded together or not at all, whoever calls it. The events read as before (same action,
outcome and detail) so the audit log does not change with where they are written."""

from __future__ import annotations

import json
import sqlite3

import pytest

from dse_tui.core.catalog import Catalog


class World:
    """One record of each kind, each still in the state that ends: a running run and a failed one,
    verifications of the first and of its copy, a copy being made, a restore, an open session, a medium in
    use with the verified copy."""

    def __init__(self, catalog: Catalog, tmp_path):
        c = self.catalog = catalog
        self.run = c.start_run("r", operator="ana")
        self.held = c.start_run("r", operator="ana")
        c.finish_run(self.held, "failed", message="not satisfactory: shrunk", operator="ana")
        self.verification = c.start_verification(self.run, "checksum", trigger="cli", operator="ana")
        self.verified = c.add_copy(self.run, "shelf", path="/shelf/r")
        self.copy_verification = c.start_verification(self.run, "checksum", trigger="cli", operator="ana",
                                                      copy_id=self.verified)
        self.copy = c.add_copy(self.run, "usb", state="copying")
        self.target = str(tmp_path / "restored")
        self.restore = c.start_restore(self.run, self.target, operator="ana")
        self.session = c.create_session("r", checklist="one", title={"en": "One"}, steps_for=lambda sid: [],
                                        operator="ana", workdir_for=lambda sid: tmp_path / f"s{sid}")
        self.medium = c.create_medium("M-1", "removable", destination="shelf")
        c.link_copy_medium(self.verified, self.medium, 1, 1)

    def state(self, table: str, column: str, key: int):
        return self.catalog.conn.execute(f"SELECT {column} FROM {table} WHERE id = ?", (key,)).fetchone()[0]


# name -> ((table, column, World's record) that moves, the call that moves it, its event: action, outcome,
# detail)
ENDINGS = {
    "run good": (("runs", "state", "run"),
                 lambda w: w.catalog.finish_run(w.run, "good", size=7, sha256="ab", operator="bea"),
                 "run ended", "good", lambda w: {"run_id": w.run, "size": 7, "sha256": "ab", "message": None}),
    "run interrupted": (("runs", "state", "run"),
                        lambda w: w.catalog.finish_run(w.run, "failed", message="died", event="interrupted",
                                                       operator="bea"),
                        "run ended", "interrupted", lambda w: {"run_id": w.run, "message": "died"}),
    "run accepted": (("runs", "state", "held"),
                     lambda w: w.catalog.accept_run(w.held, "archived on purpose", operator="bea"),
                     "run accepted", "ok", lambda w: {"run_id": w.held, "reason": "archived on purpose"}),
    "verification": (("verifications", "outcome", "verification"),
                     lambda w: w.catalog.finish_verification(w.verification, "passed", [], operator="bea"),
                     "verification", "passed",
                     lambda w: {"run_id": w.run, "level": "checksum", "trigger": "cli", "message": None}),
    "copy verification": (("copies", "state", "verified"),
                          lambda w: w.catalog.finish_verification(w.copy_verification, "failed", [], "unreadable",
                                                                  operator="bea"),
                          "copy verification", "failed",
                          lambda w: {"copy_id": w.verified, "run_id": w.run, "destination": "shelf",
                                     "message": "unreadable"}),
    "copy": (("copies", "state", "copy"),
             lambda w: w.catalog.finish_copy(w.copy, "verified", path="/usb/r", media=["M-2"], operator="bea"),
             "copy", "verified", lambda w: {"run_id": w.run, "destination": "usb", "copy_id": w.copy,
                                            "path": "/usb/r", "media": ["M-2"], "message": None}),
    "copy cancelled": (("copies", "state", "copy"),
                       lambda w: w.catalog.finish_copy(w.copy, "failed", message="cancelled by the operator",
                                                       event="cancelled", operator="bea"),
                       "copy", "cancelled", lambda w: {"run_id": w.run, "destination": "usb", "copy_id": w.copy,
                                                       "path": None, "media": [],
                                                       "message": "cancelled by the operator"}),
    "restore": (("restores", "outcome", "restore"),
                lambda w: w.catalog.finish_restore(w.restore, "done", database="db", operator="bea"),
                "restore", "done", lambda w: {"run_id": w.run, "target": w.target, "database": "db", "live": False,
                                              "message": None}),
    "session": (("sessions", "state", "session"),
                lambda w: w.catalog.end_session(w.session, "abandoned", "closed", operator="bea", progress="0/0"),
                "session abandoned", "ok", lambda w: {"session_id": w.session, "steps": "0/0", "reason": "closed"}),
    "medium erased": (("copies", "state", "verified"),
                      lambda w: w.catalog.move_medium(w.medium, state="blank", location="safe", operator="bea"),
                      "medium moved", "ok", lambda w: {"code": "M-1", "state": "blank", "location": "safe"}),
    "medium written again": (("media", "state", "medium"),
                             lambda w: w.catalog.move_medium(w.medium, state="full", operator="bea",
                                                             why="a copy was written on it"),
                             "medium moved", "ok",
                             lambda w: {"code": "M-1", "state": "full", "why": "a copy was written on it"}),
    "medium retired": (("media", "state", "medium"),
                       lambda w: w.catalog.retire_medium(w.medium, "destroyed", "shredded", operator="bea"),
                       "medium retired", "destroyed", lambda w: {"code": "M-1", "reason": "shredded"}),
}


@pytest.mark.parametrize("name", list(ENDINGS))
def test_the_method_that_ends_a_record_writes_its_event(tmp_path, name):
    (table, column, record), end, action, outcome, want = ENDINGS[name]
    with Catalog(tmp_path / "c.sqlite") as catalog:
        w = World(catalog, tmp_path)
        before = w.state(table, column, getattr(w, record))
        last = catalog.last_event_id()
        end(w)
        assert w.state(table, column, getattr(w, record)) != before, "the record moved"
        events = [e for e in catalog.events(100) if e["id"] > last]
        assert [(e["action"], e["outcome"], e["operator"]) for e in events] == [(action, outcome, "bea")]
        assert json.loads(events[0]["detail"]) == want(w)
        assert events[0]["repository"] == (None if action.startswith("medium") else "r")


@pytest.mark.parametrize("name", list(ENDINGS))
def test_a_record_does_not_move_without_its_event(tmp_path, monkeypatch, name):
    (table, column, record), end, *_ = ENDINGS[name]
    with Catalog(tmp_path / "c.sqlite") as catalog:
        w = World(catalog, tmp_path)
        before = w.state(table, column, getattr(w, record))

        def full(*args, **kwargs):
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(Catalog, "_append_event", full)
        with pytest.raises(sqlite3.OperationalError):
            end(w)
        assert w.state(table, column, getattr(w, record)) == before, "rolled back with its event"
