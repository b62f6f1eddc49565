"""Every move test_lifecycle.py allows is an event in the log: each one made as the procedure makes it (a
real run, verification, copy, restore or session of a files repository), then its event looked for."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.catalog.lifecycle import COPY, RESTORE, RUN, SESSION, VERIFICATION
from dse_tui.core.profile.config import load_profile
from tests.conftest import write_profile
from tests.test_lifecycle import EXPECTED

# (machine, state, event) -> the event the procedure's code records when it makes that move.
EVENTS = {
    (RUN, "running", "good"): ("run ended", "good"),
    (RUN, "running", "failed"): ("run ended", "failed"),
    (RUN, "running", "cancelled"): ("run ended", "cancelled"),
    (RUN, "running", "interrupted"): ("run ended", "interrupted"),
    (RUN, "good", "verification failed"): ("run failed", "failed"),
    (RUN, "failed", "accepted"): ("run accepted", "ok"),
    **{(VERIFICATION, "running", o): ("verification", o)
       for o in ("passed", "failed", "inconclusive", "cancelled", "interrupted")},
    (COPY, "copying", "verified"): ("copy", "verified"),
    (COPY, "copying", "failed"): ("copy", "failed"),
    (COPY, "copying", "cancelled"): ("copy", "cancelled"),
    (COPY, "copying", "interrupted"): ("copy", "interrupted"),
    (COPY, "verified", "verification failed"): ("copy verification", "failed"),
    (COPY, "verified", "erased"): ("medium moved", "ok"),  # its medium made blank: what was on it is gone
    **{(RESTORE, "running", o): ("restore", o) for o in ("done", "failed", "cancelled", "interrupted")},
    (SESSION, "open", "finished"): ("session finished", "ok"),
    (SESSION, "open", "abandoned"): ("session abandoned", "ok"),
}

WORLD = """\
site: {id: t, name: Test}
storage: {root: ./backups, catalog: ./catalog.sqlite}
checklists: ./lists
destinations:
  - {id: shelf, kind: directory, path: ./shelf}
  - {id: unmounted, kind: directory, path: ./unmounted}
repositories:
  - {id: docs, kind: config, driver: files, source: {path: ./src}, verify: structure, checklist: one-step}
"""
ONE_STEP = "title: {es: Uno, en: One}\nkind: config\nsteps:\n  - id: only\n    text: {es: Único, en: Only}\n"


class World:
    """A files repository backed up once (`run`, good), a folder to copy it onto and one not mounted."""

    def __init__(self, tmp_path: Path):
        from dse_tui.core.engine.runner import run_repository

        (tmp_path / "src").mkdir()
        (tmp_path / "src" / "notes.txt").write_text("the department's notes\n")
        (tmp_path / "shelf").mkdir()
        (tmp_path / "lists").mkdir()
        (tmp_path / "lists" / "one-step.yaml").write_text(ONE_STEP)
        self.tmp = tmp_path
        self.profile = load_profile(write_profile(tmp_path, WORLD))
        self.repo = self.profile.repository("docs")
        outcome = run_repository(self.profile, self.repo, operator="ana")
        assert outcome.state == "good", outcome.message
        self.run = outcome.run_id
        self.catalog = Catalog(self.profile.catalog_path)

    def encrypt(self) -> None:
        """Its next runs encrypted to a key made here, whose identity the profile does not name."""
        import subprocess

        key = self.tmp / "key.txt"
        subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
        public = subprocess.run(["age-keygen", "-y", str(key)], check=True, capture_output=True, text=True).stdout
        text = WORLD.replace("checklist: one-step}", "checklist: one-step, encrypt: true}")
        self.profile = load_profile(write_profile(self.tmp, text + f"encryption: {{recipients: [{public.strip()}]}}\n"))
        self.repo = self.profile.repository("docs")

    def damage_run(self) -> None:
        """The run's first part is no longer what its manifest says."""
        run = self.catalog.run(self.run)
        part = json.loads(Path(run.manifest).read_text())["parts"][0]["file"]
        (Path(run.artifact) / part).write_bytes(b"not what was written")

    def backup(self, **kwargs) -> int:
        from dse_tui.core.engine.runner import run_repository

        return run_repository(self.profile, self.repo, operator="ana", **kwargs).run_id

    def verify(self, **kwargs) -> int:
        from dse_tui.core.verification.runs import verify_run

        return verify_run(self.profile, self.catalog, self.catalog.run(self.run), operator="ana",
                          **kwargs).verification_id

    def copy(self, dest: str = "shelf", **kwargs) -> int:
        from dse_tui.core.destinations.copies import copy_run

        return copy_run(self.profile, self.catalog, self.catalog.run(self.run), self.profile.destinations[dest],
                        operator="ana", **kwargs).copy_id

    def restore(self, **kwargs) -> int:
        from dse_tui.core.restore.run import plan, restore

        target = str(self.tmp / f"restored-{len(self.catalog.restores(self.run))}")
        restore(self.profile, self.catalog, plan(self.profile, self.catalog.run(self.run), target), operator="ana",
                **kwargs)
        return self.catalog.restores(self.run)[0].id

    def left_by_a_dead_process(self, row: int) -> int:
        """`row` names no lock (from before steps held one): its process is gone, and the next step finds it."""
        (step,) = self.catalog.interrupt_dead_steps()
        assert step.key == row
        return row

    def session(self):
        from dse_tui.core.sessions.checklists import repository_checklist, site_checklists
        from dse_tui.core.sessions.machine import start_session

        checklist = repository_checklist(self.profile, self.repo, site_checklists(self.profile))
        return start_session(self.catalog, self.profile, self.repo, checklist, operator="ana")


def cancelled() -> threading.Event:
    """The operator's `x`, pressed before the step got going."""
    event = threading.Event()
    event.set()
    return event


MOVES = {}


def makes(machine, state: str, event: str):
    """The function makes that move as the procedure does and returns the record's id and what the event's
    detail names it by."""
    def register(fn):
        MOVES[(machine, state, event)] = fn
        return fn
    return register


@makes(RUN, "running", "good")
def _(w: World, monkeypatch):
    run = w.backup()
    return run, {"run_id": run}


@makes(RUN, "running", "failed")
def _(w, monkeypatch):
    shutil.rmtree(w.tmp / "src")
    run = w.backup()
    return run, {"run_id": run}


@makes(RUN, "running", "cancelled")
def _(w, monkeypatch):
    from dse_tui.core import drivers

    cancel = threading.Event()

    def cancelled_meanwhile(ctx):  # while the driver works, as `x` on the dashboard does
        cancel.set()
        drivers.get("files").backup(ctx)
    run = w.backup(cancel=cancel, producer=cancelled_meanwhile)
    return run, {"run_id": run}


@makes(RUN, "running", "interrupted")
def _(w, monkeypatch):
    run = w.catalog.start_run("docs")  # its process died: the next run of the repository finds it
    assert w.catalog.interrupt_stale_runs("docs") == [run]
    return run, {"run_id": run}


@makes(RUN, "good", "verification failed")
def _(w, monkeypatch):
    w.damage_run()
    w.verify()
    return w.run, {"run_id": w.run}


@makes(RUN, "failed", "accepted")
def _(w, monkeypatch):
    from dse_tui.core.verification.rules import SHRINK
    from dse_tui.core.verification.runs import accept_run

    # Held back by the shrink rule alone, as the runner leaves such a run: then the operator accepts it.
    v = w.catalog.start_verification(w.run, "structure", trigger="after run", operator="ana")
    w.catalog.finish_verification(v, "failed", [{"name": SHRINK, "ok": False, "detail": "under half"}], "shrunk")
    w.catalog.conn.execute("UPDATE runs SET state = 'failed' WHERE id = ?", (w.run,))
    accept_run(w.catalog, w.catalog.run(w.run), "the old archive was moved away on purpose", operator="ana")
    return w.run, {"run_id": w.run}


@makes(VERIFICATION, "running", "passed")
def _(w, monkeypatch):
    return w.verify(), {"run_id": w.run}


@makes(VERIFICATION, "running", "failed")
def _(w, monkeypatch):
    w.damage_run()
    return w.verify(), {"run_id": w.run}


@makes(VERIFICATION, "running", "inconclusive")
def _(w, monkeypatch):
    from dse_tui.core.keys.crypto import Keyring

    # An encrypted run verified where no identity opens it: the key is not at hand, the run may be fine.
    w.encrypt()
    w.run = w.backup()
    return w.verify(keyring=Keyring([])), {"run_id": w.run, "trigger": "console"}  # not the runner's own


@makes(VERIFICATION, "running", "cancelled")
def _(w, monkeypatch):
    return w.verify(cancel=cancelled()), {"run_id": w.run}


@makes(VERIFICATION, "running", "interrupted")
def _(w, monkeypatch):
    v = w.catalog.start_verification(w.run, "structure", trigger="cli", operator="ana")
    return w.left_by_a_dead_process(v), {"verification_id": v}


@makes(COPY, "copying", "verified")
def _(w, monkeypatch):
    copy = w.copy()
    return copy, {"copy_id": copy}


@makes(COPY, "copying", "failed")
def _(w, monkeypatch):
    copy = w.copy("unmounted")
    return copy, {"copy_id": copy}


@makes(COPY, "copying", "cancelled")
def _(w, monkeypatch):
    copy = w.copy(cancel=cancelled())
    return copy, {"copy_id": copy}


@makes(COPY, "copying", "interrupted")
def _(w, monkeypatch):
    copy = w.catalog.add_copy(w.run, "shelf", state="copying")
    return w.left_by_a_dead_process(copy), {"copy_id": copy}


@makes(COPY, "verified", "verification failed")
def _(w, monkeypatch):
    from dse_tui.core.destinations.verify import verify_copy

    copy = w.catalog.copy(w.copy())
    for part in Path(copy.path).iterdir():
        part.write_bytes(b"damaged on the shelf")
    verify_copy(w.profile, w.catalog, copy, operator="ana")
    return copy.id, {"copy_id": copy.id}


@makes(COPY, "verified", "erased")
def _(w, monkeypatch):
    from dse_tui.core.destinations.media import move

    copy = w.copy()
    w.catalog.link_copy_medium(copy, w.catalog.create_medium("T-900", "removable", destination="shelf"), 1, 1)
    w.catalog.mark_pruned(w.run)  # retention let the run go: its disk may be erased
    move(w.catalog, "T-900", state="blank", operator="ana")
    return copy, {"code": "T-900", "state": "blank"}


@makes(RESTORE, "running", "done")
def _(w, monkeypatch):
    return w.restore(), {"run_id": w.run}


@makes(RESTORE, "running", "failed")
def _(w, monkeypatch):
    w.damage_run()
    return w.restore(), {"run_id": w.run}


@makes(RESTORE, "running", "cancelled")
def _(w, monkeypatch):
    return w.restore(cancel=cancelled()), {"run_id": w.run}


@makes(RESTORE, "running", "interrupted")
def _(w, monkeypatch):
    restore = w.catalog.start_restore(w.run, str(w.tmp / "somewhere"), operator="ana")
    return w.left_by_a_dead_process(restore), {"restore_id": restore}


@makes(SESSION, "open", "finished")
def _(w, monkeypatch):
    session = w.session()
    session.tick("only")
    session.finish()
    return session.id, {"session_id": session.id}


@makes(SESSION, "open", "abandoned")
def _(w, monkeypatch):
    session = w.session()
    session.abandon("the server room was closed")
    return session.id, {"session_id": session.id}


STATE = {
    RUN: lambda c, i: c.run(i).state,
    VERIFICATION: lambda c, i: c.conn.execute("SELECT outcome FROM verifications WHERE id = ?", (i,)).fetchone()[0],
    COPY: lambda c, i: c.copy(i).state,
    RESTORE: lambda c, i: c.conn.execute("SELECT outcome FROM restores WHERE id = ?", (i,)).fetchone()[0],
    SESSION: lambda c, i: c.session(i).state,
}


def test_every_allowed_move_has_its_event_and_a_way_it_is_made():
    allowed = {(m, state, event) for m, moves in EXPECTED.items() for state, event in moves}
    assert set(EVENTS) == allowed and set(MOVES) == allowed


@pytest.mark.parametrize("move", list(EVENTS), ids=lambda m: f"{m[0].record}: {m[1]} + {m[2]}")
def test_each_allowed_move_is_recorded_as_an_event(tmp_path, monkeypatch, move):
    machine, state, event = move
    w = World(tmp_path)
    try:
        last = w.catalog.conn.execute("SELECT max(id) FROM events").fetchone()[0]
        record, names = MOVES[move](w, monkeypatch)
        assert STATE[machine](w.catalog, record) == EXPECTED[machine][(state, event)], "the move was made"
        action, outcome = EVENTS[move]
        found = [e for e in w.catalog.events(1000) if e["id"] > last and e["action"] == action
                 and names.items() <= json.loads(e["detail"] or "{}").items()]
        assert [e["outcome"] for e in found] == [outcome], (action, names, list(w.catalog.events(20)))
        assert found[0]["repository"] == (None if action == "medium moved" else "docs")
        if event != "interrupted":  # found by whoever came next, under their login
            assert found[0]["operator"] == "ana"
    finally:
        w.catalog.close()
