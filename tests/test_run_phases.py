"""What the operator sees while a run works (issue 20): each phase of a run (backing up, reading back,
verifying, copying to a destination) with its own bytes, progress and ETA, from the runner through the
run's process to the dashboard's running line; and a cancelled verification that leaves the last conclusive
one in the runs screen's Verification column."""

from __future__ import annotations

import os
from pathlib import Path

from textual.widgets import DataTable

from dse_tui.core.catalog import Catalog
from dse_tui.core.engine.outcome import BACKUP, COPY, READ_BACK, VERIFY
from dse_tui.core.engine.runner import run_repository
from dse_tui.i18n import tr
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.repo_runs import RepoRunsScreen
from dse_tui.ui.widgets import runs
from dse_tui.ui.widgets.runs import Progressed, RunRow, RunsPanel
from tests.conftest import ROOT, Notices, pilot_until, shown
from tests.engine_helpers import manifest_of, profile_with

SHELF = "{id: shelf, kind: directory, path: ./shelf}"


def copied_profile(tmp_path: Path):
    """A files repository of a few hundred KiB, copied to a folder after each run."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "data.bin").write_bytes(os.urandom(300_000))
    (tmp_path / "src" / "notes.txt").write_text("the department's notes\n")
    (tmp_path / "shelf").mkdir()
    return profile_with(tmp_path, "{id: docs, kind: config, driver: files, source: {path: ./src}, copies: 1, "
                                  "destinations: [shelf]}", f"destinations:\n  - {SHELF}")


def phases(seen) -> list[tuple[str, str | None]]:
    """The phases in the order they came, each once."""
    out = []
    for p in seen:
        if not out or out[-1] != (p.phase, p.destination):
            out.append((p.phase, p.destination))
    return out


def test_a_run_reports_each_phase_with_its_own_figures(tmp_path):
    profile = copied_profile(tmp_path)
    first, second = [], []
    done = run_repository(profile, profile.repository("docs"), on_progress=first.append)
    assert done.state == "good" and done.copies[0]["state"] == "verified", done
    assert phases(first) == [(BACKUP, None), (READ_BACK, None), (VERIFY, None), (COPY, "shelf")]
    for p in first:
        assert p.done <= (p.total or p.done), p
    # Each phase counts its own bytes from nothing, against its own total: the parts it reads back, the
    # files it copies (the parts and the manifest), not the bytes of the phases before it.
    start = {phase: next(p for p in first if p.phase == phase) for phase in (READ_BACK, VERIFY, COPY)}
    assert all(p.done == 0 for p in start.values())
    manifest = manifest_of(done)
    assert start[READ_BACK].total == manifest["size"]
    assert start[COPY].total == manifest["size"] + Path(done.manifest).stat().st_size
    assert start[VERIFY].total is None and start[VERIFY].expected_seconds is None  # nothing yet to go by
    run_repository(profile, profile.repository("docs"), on_progress=second.append)
    assert second[0].phase == BACKUP and second[0].total == done.size  # the last good run's size
    # The verification's bytes are what each level makes of the run: its time goes by the last one's.
    verify = next(p for p in second if p.phase == VERIFY)
    assert verify.total is None and verify.expected_seconds > 0


def test_a_phase_is_never_merged_into_the_next():
    """Bursts of one phase collapse into their latest; the first figures of the next phase never replace
    the last of the one before, so a short phase is still seen."""
    from dse_tui.core.engine.outcome import RunProgress

    backup = Progressed(RunProgress("r", 10, 100, 1.0, BACKUP, 10, 100, 1.0))
    later = Progressed(RunProgress("r", 20, 100, 1.5, BACKUP, 20, 100, 1.5))
    reading = Progressed(RunProgress("r", 20, 100, 2.0, READ_BACK, 0, 20, 0.0))
    copy_a = Progressed(RunProgress("r", 20, 100, 3.0, COPY, 0, 20, 0.0, destination="a"))
    copy_b = Progressed(RunProgress("r", 20, 100, 4.0, COPY, 0, 20, 0.0, destination="b"))
    assert later.can_replace(backup)
    assert not reading.can_replace(later) and not copy_b.can_replace(copy_a)


async def test_the_running_line_shows_each_phase_with_its_progress_and_eta(demo_profile, tmp_path, monkeypatch):
    """A run's process that reports each phase with known figures and goes on when the test has seen it
    (tests/phase_worker.py), on a terminal of 80 columns."""
    steps = tmp_path / "steps"
    steps.mkdir()
    monkeypatch.setattr(runs, "WORKER", "tests.phase_worker")
    monkeypatch.setenv("DSE_TEST_PHASES", str(steps))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    said = Notices()
    app = make_app(demo_profile, language="en", poll_seconds=0.05)
    expected = [  # what tests/phase_worker.py reports, as the line says it
        ("backing up", " 59%", "600.0 MiB / 1.0 GiB", "ETA 0:00:07"),
        ("reading back", " 50%", "300.0 MiB / 600.0 MiB", "ETA 0:00:04"),
        ("verifying", " 25%", "300.0 MiB", "ETA 0:01:30"),  # its time against the last verification's
        ("copying to shelf-disk", " 25%", "150.0 MiB / 600.0 MiB", "ETA 0:00:09"),
    ]
    async with app.run_test(size=(80, 24), message_hook=said.hook) as pilot:
        await pilot.press("r")
        for n, figures in enumerate(expected):
            await pilot_until(pilot, lambda: app.screen.query(RunRow)
                              and all(f in app.screen.query_one(RunRow).render().plain for f in figures),
                              what=f"the line of phase {figures[0]}")
            line = app.screen.query_one(RunRow).render().plain
            assert line.startswith("Library catalo… ") and len(line) <= 80, line
            (steps / str(n)).touch()
        await pilot_until(pilot, lambda: any("backup good" in m for m in said), what="the run's end said")
        assert not app.screen.query_one(RunsPanel).active


async def test_the_phases_of_a_real_run_reach_the_dashboard(tmp_path):
    profile = copied_profile(tmp_path)
    seen = []
    said = Notices()

    def hook(message) -> None:
        said.hook(message)
        if isinstance(message, Progressed) and not any(p is message.progress for p in seen):  # once, not per bubble
            seen.append(message.progress)

    app = make_app(profile.file, language="es", poll_seconds=0.05)
    async with app.run_test(size=(120, 30), message_hook=hook) as pilot:
        await pilot.press("r")
        await pilot_until(pilot, lambda: any("respaldo correcto" in m for m in said), what="the run's end said")
    # Every phase came through the run's process and the relay, however short it was.
    assert phases(seen) == [(BACKUP, None), (READ_BACK, None), (VERIFY, None), (COPY, "shelf")]
    assert tr("runs.phase.copy", "es", destination="shelf") == "copiando a shelf"


# ---------------------------------------------------------------------- the Verification column

def test_the_last_conclusive_verification_stands_for_the_run(tmp_path):
    profile = copied_profile(tmp_path)
    outcome = run_repository(profile, profile.repository("docs"))
    with Catalog(profile.catalog_path) as catalog:
        for ending in ("cancelled", "interrupted", "inconclusive"):
            v = catalog.start_verification(outcome.run_id, "restore", trigger="console", operator="jaa")
            catalog.finish_verification(v, ending, [], ending)
        last = catalog.last_verifications([outcome.run_id])[outcome.run_id]
        assert (last.outcome, last.trigger) == ("passed", "after run")
        assert catalog.verifications(outcome.run_id, 1)[0].outcome == "inconclusive"  # its history keeps all
        # A run never verified to a verdict shows what there is.
        other = catalog.start_run("docs")
        v = catalog.start_verification(other, "checksum", trigger="console", operator="jaa")
        catalog.finish_verification(v, "cancelled", [], "cancelled")
        assert catalog.last_verifications([other])[other].outcome == "cancelled"


async def test_a_cancelled_verification_leaves_the_verification_column_as_it_was(tmp_path):
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "zeros.img").touch()
    os.truncate(tmp_path / "big" / "zeros.img", 1 << 30)  # sparse: a GiB to read, none to write
    profile = profile_with(tmp_path, "{id: big, kind: config, driver: files, source: {path: ./big}}")
    outcome = run_repository(profile, profile.repository("big"))
    with Catalog(profile.catalog_path) as catalog:
        level = catalog.verifications(outcome.run_id)[0].level
    app = make_app(profile.file, language="en", poll_seconds=0.05)

    def column(screen) -> str:
        return screen.query_one("#runs", DataTable).get_cell(str(outcome.run_id), "verified").plain

    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("v")
        screen = await pilot_until(pilot, lambda: shown(app, RepoRunsScreen) and app.screen, what="the runs screen")
        before = f"{tr('outcome.passed', 'en')} · {tr('level.' + level, 'en')}"
        assert column(screen) == before
        await pilot.press("n")  # restore level: extract and hash a GiB
        # Pilot's press() waits for the whole process to be idle, which a verification is not: start it
        # directly, then the key that cancels it reaches the screen while it works.
        screen.action_verify()
        await pilot.press("x")
        await pilot_until(pilot, lambda: screen.busy is None, what="the verification to stop")
        await app.workers.wait_for_complete()
        await pilot.pause()
        with Catalog(profile.catalog_path) as catalog:
            assert catalog.verifications(outcome.run_id)[0].outcome == "cancelled"
        assert column(screen) == before
