"""A spanning disc set with a disc not at hand: asked for by its label's code (what the operator finds in the
safe), and the restore goes on when the place it is in is given, on a terminal (`restore --from`, through a
real pty) and in the console (Pilot). Real xorriso images."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.copy_helpers import site
from tests.test_restore import trees_equal
from tests.test_restore_place import copied, fresh_env


def disc_set(tmp_path: Path):
    """A run copied onto three disc images; the second is moved to a drawer."""
    if not shutil.which("xorriso"):
        pytest.fail("xorriso is needed (Debian package xorriso; .ci/run installs it)")
    profile, run_id = site(tmp_path, "  - {id: discs, kind: optical, path: ./discs, capacity: 6M}", "discs",
                           size=5_000_000, copies=1)
    copied(profile)
    images = sorted((tmp_path / "discs").glob("*.iso"))
    assert len(images) == 3
    drawer = tmp_path / "drawer"
    drawer.mkdir()
    shutil.move(images[1], drawer / images[1].name)
    return profile, run_id, images, drawer


class Terminal:
    """`dse-tui ARGS` with its stdin on a pty (a terminal, as the operator's) and stderr read as it comes."""

    def __init__(self, args: list[str], env: dict, cwd: Path):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([sys.executable, "-m", "dse_tui", *args], stdin=slave, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd, env={**env, "PYTHONPATH": str(ROOT)})
        os.close(slave)
        self.err = b""

    def wait_for(self, text: str, times: int = 1, timeout: float = 120.0) -> str:
        deadline = time.monotonic() + timeout
        while self.err.count(text.encode()) < times:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None and not select.select([self.proc.stderr], [], [], 0)[0]:
                raise AssertionError(f"{text!r} never came; stderr so far:\n{self.err.decode(errors='replace')}")
            if select.select([self.proc.stderr], [], [], left)[0]:
                chunk = os.read(self.proc.stderr.fileno(), 65536)
                if not chunk and self.proc.poll() is not None:
                    continue
                self.err += chunk
        return self.err.decode(errors="replace")

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def finish(self) -> tuple[int, str, str]:
        out, rest = self.proc.communicate(timeout=300)
        os.close(self.master)
        return self.proc.returncode, out.decode(), (self.err + rest).decode(errors="replace")


def test_a_missing_disc_is_asked_for_on_the_terminal_by_its_code_and_the_restore_goes_on(tmp_path):
    profile, run_id, images, drawer = disc_set(tmp_path)
    env = fresh_env(tmp_path)
    target = tmp_path / "restored"
    term = Terminal(["restore", "--from", str(tmp_path / "discs"), "--to", str(target)], env, tmp_path)
    code = images[1].stem
    term.wait_for(f"Insert disc {code} (2 of 3) of run {run_id} of docs and type where it is")
    term.type(str(tmp_path / "nowhere"))  # a wrong answer: said, and the same disc asked for again
    term.wait_for(f"{tmp_path / 'nowhere'} does not exist")
    term.wait_for(f"Insert disc {code} (2 of 3)", times=2)
    term.type(str(tmp_path / "discs"))  # a place without it
    term.wait_for(f"{tmp_path / 'discs'} does not hold disc {code} (2 of 3)")
    term.wait_for(f"Insert disc {code} (2 of 3)", times=3)
    term.type(str(drawer))
    status, out, err = term.finish()
    assert status == 0, err + out
    assert err.count(f"Insert disc {code} (2 of 3)") == 3 and f"reading disc 2 of 3 ({code}) from" in err
    assert trees_equal(tmp_path / "src", target)


def test_the_question_is_in_spanish_and_no_answer_stops_with_nothing_restored(tmp_path):
    profile, run_id, images, drawer = disc_set(tmp_path)
    env = fresh_env(tmp_path)
    target = tmp_path / "restored"
    term = Terminal(["--lang", "es", "restore", "--from", str(tmp_path / "discs"), "--to", str(target)], env,
                    tmp_path)
    term.wait_for(f"Inserte el disco {images[1].stem} (2 de 3) de la ejecución {run_id} de docs")
    term.type("")
    status, out, err = term.finish()
    assert status == 1 and f"falta el disco {images[1].stem} (2 de 3)" in err and not target.exists()


# ---------------------------------------------------------------------- the console

def pruned_disc_set(tmp_path: Path):
    from dse_tui.core.catalog import Catalog

    profile, run_id, images, drawer = disc_set(tmp_path)
    with Catalog(profile.catalog_path) as catalog:
        shutil.rmtree(catalog.run(run_id).artifact)
        catalog.mark_pruned(run_id)
    return profile, run_id, images, drawer


async def open_medium(pilot, app):
    from textual.widgets import DataTable

    from dse_tui.ui.screens.medium_restore import MediumDialog
    from tests.conftest import pilot_until
    from tests.test_runs_screen import select

    await select(pilot, app, "docs")
    await pilot.press("v")
    await pilot.press("f")
    assert isinstance(app.screen, MediumDialog)
    await pilot_until(pilot, lambda: app.screen.items is not None, what="the copies at hand")
    return str(app.screen.query_one("#copies", DataTable).get_row_at(0)[2])


async def answer_disc(pilot, app, place: str) -> None:
    from textual.widgets import Input

    from tests.conftest import pilot_until

    dialog = app.screen  # the next question is a dialog of its own: this one is waited out, not the class
    dialog.query_one("#place", Input).value = place
    await pilot.press("enter")
    await pilot_until(pilot, lambda: app.screen is not dialog, what="the answer taken")


async def test_the_console_asks_for_a_missing_disc_by_its_code_and_restores_when_given(tmp_path):
    from textual.widgets import Input

    from dse_tui.core.catalog import Catalog
    from dse_tui.ui.app import make_app
    from dse_tui.ui.screens.disc_dialog import DiscDialog
    from dse_tui.ui.screens.repo_runs import RepoRunsScreen
    from dse_tui.ui.screens.restore_dialog import RestoreDialog
    from tests.conftest import dismissed, pilot_until, text_of
    from tests.test_runs_screen import SIZE, planned_for

    profile, run_id, images, drawer = pruned_disc_set(tmp_path)
    code = images[1].stem
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        where = await open_medium(pilot, app)
        assert images[0].name in where and f"asks for {code}" in where and images[1].name not in where
        await pilot.press("enter")
        await pilot_until(pilot, lambda: isinstance(app.screen, DiscDialog), what="the question for the disc")
        assert f"Insert disc {code} (2 of 3)[/b]" in text_of(app.screen.query_one("#title"))
        assert f"run {run_id} of docs" in text_of(app.screen.query_one("#which"))
        await answer_disc(pilot, app, str(tmp_path / "discs"))  # a place without it: said, asked again
        await pilot_until(pilot, lambda: isinstance(app.screen, DiscDialog), what="the question again")
        assert f"does not hold disc {code} (2 of 3)" in text_of(app.screen.query_one("#problem"))
        await answer_disc(pilot, app, str(drawer))
        await pilot_until(pilot, lambda: isinstance(app.screen, RestoreDialog), what="the restore dialog")
        target = app.screen.query_one("#target", Input)
        target.value = str(tmp_path / "restored")
        await pilot_until(pilot, lambda: planned_for(app, tmp_path / "restored"), what="the plan")
        target.focus()
        await pilot.press("enter")
        await dismissed(pilot, RestoreDialog)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RepoRunsScreen) and app.screen.busy is None
    assert trees_equal(tmp_path / "src", tmp_path / "restored")
    with Catalog(profile.catalog_path) as catalog:
        (restored,) = catalog.restores(run_id)
        assert restored.outcome == "done" and code in restored.message


async def test_the_console_asks_in_spanish_and_stopping_restores_nothing(tmp_path):
    from dse_tui.ui.app import make_app
    from dse_tui.ui.screens.disc_dialog import DiscDialog
    from dse_tui.ui.screens.repo_runs import RepoRunsScreen
    from tests.conftest import dismissed, pilot_until, text_of
    from tests.test_runs_screen import SIZE

    profile, run_id, images, drawer = pruned_disc_set(tmp_path)
    for image in images[::2]:  # no image of the set is here: the first disc is asked for too
        image.unlink()
    app = make_app(profile.file, language="es", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        where = await open_medium(pilot, app)
        assert f"pide {images[0].stem}, {images[1].stem}, {images[2].stem}" in where
        await pilot.press("enter")
        await pilot_until(pilot, lambda: isinstance(app.screen, DiscDialog), what="the question for the disc")
        assert f"Inserte el disco {images[0].stem} (1 de 3)[/b]" in text_of(app.screen.query_one("#title"))
        await pilot.press("escape")
        await dismissed(pilot, DiscDialog)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RepoRunsScreen) and app.screen.busy is None
        assert any(f"falta el disco {images[0].stem} (1 de 3)" in str(n.message) for n in app._notifications)
    assert not (tmp_path / "restored").exists()
