"""Every record's life cycle, exhaustively: each state × each event is allowed or refused as the table in
core/lifecycle.py says, and the catalog holds every record to it (a refused change changes nothing)."""

from __future__ import annotations

from itertools import product

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.catalog.lifecycle import COPY, FAILING, MACHINES, MEDIUM, RESTORE, RUN, SESSION, VERIFICATION, Refused

EXPECTED = {
    # (state, event) -> the state it leads to; every other pair is refused.
    RUN: {("running", "good"): "good", ("running", "failed"): "failed", ("running", "cancelled"): "cancelled",
          ("running", "interrupted"): "failed", ("good", "verification failed"): "failed",
          ("failed", "accepted"): "good"},
    VERIFICATION: {("running", o): o for o in ("passed", "failed", "inconclusive", "cancelled", "interrupted")},
    COPY: {("copying", "verified"): "verified", ("copying", "failed"): "failed", ("copying", "cancelled"): "failed",
           ("copying", "interrupted"): "failed", ("verified", "verification failed"): "failed",
           ("verified", "erased"): "failed"},
    RESTORE: {("running", o): o for o in ("done", "failed", "cancelled", "interrupted")},
    SESSION: {("open", "finished"): "finished", ("open", "abandoned"): "abandoned"},
}


@pytest.mark.parametrize("machine", [m for m in MACHINES if m is not MEDIUM], ids=lambda m: m.record)
def test_every_state_and_event_is_allowed_or_refused(machine):
    for state, event in product([s.value for s in machine.states], machine.events):
        want = EXPECTED[machine].get((state, event))
        if want is None:
            with pytest.raises(Refused, match=f"{machine.record} that is {state} cannot be {event}"):
                machine.next(state, event)
        else:
            assert machine.next(state, event) == want, (state, event)


def test_a_retired_medium_never_comes_back_and_nothing_leaves_destroyed():
    for to in MEDIUM.events:
        with pytest.raises(Refused):
            MEDIUM.next("destroyed", to)
        if to != "destroyed":
            with pytest.raises(Refused):
                MEDIUM.next("expired", to)


def _run_in(catalog: Catalog, state: str) -> int:
    run = catalog.start_run("r")
    catalog.conn.execute("UPDATE runs SET state = ? WHERE id = ?", (state, run))  # the test's setup
    return run


@pytest.mark.parametrize("state", [s.value for s in RUN.states])
def test_the_catalog_holds_every_run_to_its_life_cycle(tmp_path, state):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        writers = {"good": lambda r: catalog.finish_run(r, "good"),
                   "failed": lambda r: catalog.finish_run(r, "failed"),
                   "cancelled": lambda r: catalog.finish_run(r, "cancelled"),
                   "interrupted": lambda r: catalog.finish_run(r, "failed", event="interrupted"),
                   "verification failed": lambda r: catalog.fail_run(r, "verification failed: x"),
                   "accepted": lambda r: catalog.accept_run(r, "expected")}
        assert set(writers) == set(RUN.events)
        for event, write in writers.items():
            run = _run_in(catalog, state)
            want = EXPECTED[RUN].get((state, event))
            events = len(list(catalog.events(10_000)))
            if state == "failed" and event in FAILING:  # failed meanwhile by another verification: no error
                write(run)
                assert catalog.run(run).state == "failed"
                assert len(list(catalog.events(10_000))) == events, "no move, no event"
            elif want is None:
                with pytest.raises(Refused):
                    write(run)
                assert len(list(catalog.events(10_000))) == events, f"{state} + {event}: refused, nothing recorded"
                assert catalog.run(run).state == state, f"{state} + {event}: refused, unchanged"
            else:
                write(run)
                assert catalog.run(run).state == want, (state, event)


@pytest.mark.parametrize("outcome", [s.value for s in VERIFICATION.states])
def test_the_catalog_holds_every_verification_and_restore_to_its_life_cycle(tmp_path, outcome):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        run = catalog.start_run("r")
        for event in VERIFICATION.events:
            v = catalog.start_verification(run, "checksum", trigger="cli", operator="jaa")
            catalog.conn.execute("UPDATE verifications SET outcome = ? WHERE id = ?", (outcome, v))
            want = EXPECTED[VERIFICATION].get((outcome, event))
            if want is None:
                with pytest.raises(Refused):
                    catalog.finish_verification(v, event, [])
                assert catalog.verifications(run, 1000)[0].outcome == outcome
            else:
                catalog.finish_verification(v, event, [])
                assert catalog.verifications(run, 1000)[0].outcome == want
        restore = catalog.start_restore(run, "/tmp/x", operator="jaa")
        catalog.finish_restore(restore, "done")
        with pytest.raises(Refused, match="restore that is done cannot be failed"):
            catalog.finish_restore(restore, "failed")


def test_the_catalog_holds_copies_and_sessions_to_their_life_cycle(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        run = catalog.start_run("r")
        copy = catalog.add_copy(run, "shelf", state="copying")
        catalog.finish_copy(copy, "verified")
        with pytest.raises(Refused, match="copy that is verified cannot be failed"):
            catalog.finish_copy(copy, "failed")  # a verified copy fails only by a failed re-reading
        catalog.finish_copy(copy, "failed", event="verification failed")
        assert catalog.copy(copy).state == "failed"
        with pytest.raises(Refused, match="it is final"):
            catalog.finish_copy(copy, "verified")


def _restore_in(catalog: Catalog, state: str) -> int:
    restore = catalog.start_restore(catalog.start_run("r"), "/tmp/x", operator="jaa")
    catalog.conn.execute("UPDATE restores SET outcome = ? WHERE id = ?", (state, restore))  # the test's setup
    return restore


@pytest.mark.parametrize("state", [s.value for s in RESTORE.states])
def test_the_catalog_holds_every_restore_to_its_life_cycle(tmp_path, state):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        for event in RESTORE.events:
            restore = _restore_in(catalog, state)
            outcome = lambda: catalog.conn.execute("SELECT outcome FROM restores WHERE id = ?",  # noqa: E731
                                                 (restore,)).fetchone()[0]
            want = EXPECTED[RESTORE].get((state, event))
            if want is None:
                with pytest.raises(Refused, match=f"restore that is {state} cannot be {event}"):
                    catalog.finish_restore(restore, event)
                assert outcome() == state, f"{state} + {event}: refused, unchanged"
            else:
                catalog.finish_restore(restore, event)
                assert outcome() == want, (state, event)


def _session_in(catalog: Catalog, tmp_path, state: str) -> int:
    session = catalog.create_session("r", checklist="c", title={"en": "C"}, steps_for=lambda sid: [{"id": "a"}],
                                     operator="jaa", workdir_for=lambda sid: tmp_path / str(sid))
    catalog.conn.execute("UPDATE sessions SET state = ? WHERE id = ?", (state, session))  # the test's setup
    return session


@pytest.mark.parametrize("state", [s.value for s in SESSION.states])
def test_the_catalog_holds_every_session_to_its_life_cycle(tmp_path, state):
    """A session another console ended meanwhile is not an error there: end_session says False."""
    with Catalog(tmp_path / "c.sqlite") as catalog:
        for event in SESSION.events:
            session = _session_in(catalog, tmp_path, state)
            want = EXPECTED[SESSION].get((state, event))
            if want is None:
                assert catalog.end_session(session, event, "r") is False, f"{state} + {event}: refused"
                assert catalog.session(session).state == state and catalog.session(session).ended_at is None
            else:
                assert catalog.end_session(session, event, "r") is True
                assert catalog.session(session).state == want, (state, event)
            catalog.conn.execute("UPDATE sessions SET state = 'abandoned' WHERE id = ?", (session,))  # frees "r"


@pytest.mark.parametrize("state", [s.value for s in COPY.states])
def test_the_catalog_holds_every_copy_to_its_life_cycle(tmp_path, state):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        run = catalog.start_run("r")
        for event in COPY.events:
            copy = catalog.add_copy(run, "shelf", state=state)  # any state, as the test's setup
            want = EXPECTED[COPY].get((state, event))
            if state == "failed" and event in FAILING:  # failed meanwhile by another reading: no error
                catalog.finish_copy(copy, "failed", event=event)
                assert catalog.copy(copy).state == "failed"
            elif want is None:
                with pytest.raises(Refused, match=f"copy that is {state} cannot be {event}"):
                    catalog.finish_copy(copy, "failed", event=event)
                assert catalog.copy(copy).state == state, f"{state} + {event}: refused, unchanged"
            else:
                catalog.finish_copy(copy, "failed", event=event)
                assert catalog.copy(copy).state == want, (state, event)

