"""What the screens look like (pytest-textual-snapshot). Update with `pytest --snapshot-update` after a
deliberate change of the look, and look at the report before committing the new SVGs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.config import load_profile
from dse_tui.core.profile.demo import init_demo
from dse_tui.ui.app import make_app
from tests.conftest import (ROOT, dashboard_shown, detail_follows_cursor, fixed_clock, pilot_until, record_runs, shown,
                            text_of, write_profile)

SIZE = (200, 50)
# A fixed folder: paths are on screen, and snapshots must not change with pytest's temporary names.
SITE = Path("/tmp/dse-tui-snapshot")


@pytest.fixture(autouse=True)
def one_at_a_time():
    """The folder is fixed, so two test runs at once take turns instead of sharing it."""
    import fcntl

    with open("/tmp/dse-tui-snapshot.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture
def site(one_at_a_time) -> Path:
    shutil.rmtree(SITE, ignore_errors=True)
    profile_path = init_demo(SITE / "demo")
    profile = load_profile(profile_path)
    # A history with something to see: a gap, a failure, a shrinking backup, a manual-required hand-off.
    record_runs(profile.catalog_path, "library-db", "gggggggggggggggggggggggggggggg", size=2_400_000)
    record_runs(profile.catalog_path, "timetable-app", "ggggggggggggggggg..gggggggggggg.", size=350_000)
    # The failures a files run really reports (a fixture must show a state the app can produce).
    missing = "the folder {} does not exist or is not a folder: check source.path"
    record_runs(profile.catalog_path, "www-main", "gggggggggggggggggggggggggggggf", size=9_000_000, shrink=150_000,
                failure=missing.format(profile.repository("www-main").source["path"]))
    ids = record_runs(profile.catalog_path, "server-config", "gggf", size=64_000,
                      every=profile.repository("server-config").periodicity.interval,
                      failure=missing.format(profile.repository("server-config").source["path"]))
    with Catalog(profile.catalog_path) as catalog:
        catalog.add_copy(ids[2], "shelf-disk")
        catalog.set_manual_required("server-config", f"run {ids[3]} failed: " + catalog.run(ids[3]).message)
    yield profile_path
    shutil.rmtree(SITE, ignore_errors=True)


def test_dashboard(snap_compare, site):
    assert snap_compare(make_app(site, language="en", clock=fixed_clock), terminal_size=SIZE)


def test_dashboard_in_spanish_with_the_third_row_selected(snap_compare, site):
    async def settle(pilot):
        await pilot.press("down", "down")
        await pilot_until(pilot, lambda: detail_follows_cursor(pilot.app), what="the detail of the third row")

    assert snap_compare(make_app(site, language="es", clock=fixed_clock), terminal_size=SIZE, run_before=settle)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("size", [(80, 24), (120, 30)], ids=["80x24", "120x30"])
def test_dashboard_on_a_small_terminal(snap_compare, site, size, language):
    """Issue 20: the repository, its state and its last good backup stay; the detail pane narrows (120) or
    goes (80), the less telling columns go first, and the footer keeps F1 and q."""
    async def settle(pilot):
        await pilot_until(pilot, lambda: detail_follows_cursor(pilot.app), what="the first row's detail")

    assert snap_compare(make_app(site, language=language, clock=fixed_clock), terminal_size=size, run_before=settle)


def test_dashboard_filtered_to_what_needs_attention(snap_compare, site):
    assert snap_compare(make_app(site, language="en", clock=fixed_clock), terminal_size=SIZE, press=["s"])


def test_help_screen(snap_compare, site):
    assert snap_compare(make_app(site, language="en", clock=fixed_clock), terminal_size=SIZE, press=["f1"])


def test_broken_profile_screen(snap_compare):
    shutil.rmtree(SITE, ignore_errors=True)
    body = (ROOT / "profiles" / "demo.yaml").read_text()
    body = body.replace("kind: software", "kind: softwar").replace("periodicity: 1w", "periodicity: weekly")
    path = write_profile(SITE, body.replace("  min_free: 10M\n", "  min_free: 10M\n  catalogue: ./x.sqlite\n"))
    assert snap_compare(make_app(path, language="en", clock=fixed_clock), terminal_size=(120, 30))


def test_empty_profile(snap_compare):
    shutil.rmtree(SITE, ignore_errors=True)
    path = write_profile(SITE, "site: {id: e, name: Empty site}\nstorage: {root: ./b, catalog: ./c.sqlite}\n")
    assert snap_compare(make_app(path, language="en", clock=fixed_clock), terminal_size=(120, 30))


def test_runs_screen_with_checks(snap_compare, site):
    from datetime import timedelta

    from tests.conftest import FIXED_NOW

    from dse_tui.core.verification.runs import VerifyOutcome, settle
    from dse_tui.core.verification.levels import Check

    profile = load_profile(site)
    repo = profile.repository("www-main")
    with Catalog(profile.catalog_path) as catalog:
        runs = catalog.recent_runs("www-main", 3)
        at = FIXED_NOW - timedelta(hours=3)
        checks = [Check("checksum www-main.tar.zst", True, "8.4 MiB, SHA-256 as recorded"),
                  Check("listing www-main.tar.zst", True, "412 entries as the manifest lists them"),
                  Check("files www-main.tar.zst", False, "index.html: not restored as recorded")]
        message = "files www-main.tar.zst: index.html: not restored as recorded"
        verification = catalog.start_verification(runs[1].id, "restore", trigger="cli", operator="jaa", at=at)
        catalog.finish_verification(verification, "failed", [c.as_json() for c in checks], message,
                                    at=at + timedelta(seconds=20))
        # What the app then decides (the run stops counting, a manual backup is required), as it decides it.
        settle(catalog, repo, runs[1], VerifyOutcome(repo.id, runs[1].id, "restore", "failed", checks, message,
                                                     verification))

    async def open_runs(pilot):
        from dse_tui.ui.screens.repo_runs import RepoRunsScreen

        await pilot_until(pilot, lambda: dashboard_shown(pilot.app), what="the dashboard")
        table = pilot.app.screen.query_one("RepoTable")
        table.move_cursor(row=table.get_row_index("www-main"))
        await pilot_until(pilot, lambda: detail_follows_cursor(pilot.app), what="www-main's detail")
        await pilot.press("v")
        screen = await pilot_until(pilot, lambda: shown(pilot.app, RepoRunsScreen) and pilot.app.screen,
                                   what="the runs screen")
        await pilot_until(pilot, lambda: screen.selected_run() is not None, what="its runs")
        await pilot.press("down")
        await pilot_until(pilot, lambda: screen.selected_run().id == runs[1].id
                          and "index.html" in text_of(screen.query_one("#checks")), what="the failed run's checks")

    assert snap_compare(make_app(site, language="en", clock=fixed_clock), terminal_size=(160, 40),
                        run_before=open_runs)


def _session_midway(site: Path) -> int:
    """An open session on server-config: two steps done (one with evidence and its command's output),
    at fixed times so the screen does not change from run to run."""
    from dse_tui.core.sessions.checklists import load_checklists, repository_checklist
    from dse_tui.core.sessions.machine import start_session
    from dse_tui.core.common.timeutil import to_db
    from tests.conftest import FIXED_NOW

    profile = load_profile(site)
    repo = profile.repository("server-config")
    with Catalog(profile.catalog_path) as catalog:
        s = start_session(catalog, profile, repo, repository_checklist(profile, repo, load_checklists()),
                          operator="jaa")
        s.record_output("identity", "$ uname -a\nLinux dse-srv01 6.1.0-27-amd64 #1 SMP Debian x86_64 GNU/Linux\n"
                                    "\n[exit status 0]\n", 0)
        s.tick("identity", evidence="dse-srv01, Debian 12")
        s.set_note("identity", "Rack B2, console cable")
        s.tick("etc")
        s.move_to("packages")
        catalog.conn.execute("UPDATE sessions SET started_at = ?", (to_db(FIXED_NOW),))
        catalog.conn.execute("UPDATE session_steps SET at = ?", (to_db(FIXED_NOW),))
        return s.id


async def resume_offered(pilot):
    """The open session is offered as the console starts."""
    from dse_tui.ui.screens.session_dialogs import ResumeDialog

    await pilot_until(pilot, lambda: shown(pilot.app, ResumeDialog), what="the offer to resume")


def test_resume_offer_in_spanish(snap_compare, site):
    _session_midway(site)
    assert snap_compare(make_app(site, language="es", clock=fixed_clock), terminal_size=(160, 40),
                        run_before=resume_offered)


def test_session_screen(snap_compare, site):
    _session_midway(site)

    async def resume(pilot):
        from dse_tui.ui.screens.session import SessionScreen

        await resume_offered(pilot)
        await pilot.press("enter")  # resume
        screen = await pilot_until(pilot, lambda: shown(pilot.app, SessionScreen) and pilot.app.screen,
                                   what="the session screen")
        await pilot_until(pilot, lambda: screen.selected() == "packages", what="the step the session was left at")
        await pilot.press("up", "up")  # the step with evidence, note and output
        await pilot_until(pilot, lambda: screen.selected() == "identity"
                          and screen.query_one("#note").value == "Rack B2, console cable"
                          and screen.query_one("#output").line_count > 0, what="the identity step shown")

    assert snap_compare(make_app(site, language="en", clock=fixed_clock), terminal_size=(160, 40),
                        run_before=resume)


def test_media_screen(snap_compare, site):
    """Two media: a disc image holding a run, and a USB disk past its expiry (flagged)."""
    from datetime import timedelta

    from tests.conftest import FIXED_NOW

    profile = load_profile(site)
    with Catalog(profile.catalog_path) as catalog:
        run = catalog.recent_runs("www-main", 2)[1]
        disc = catalog.create_medium("DEMO-2026-0007", "optical", destination="disc-images", capacity=700 * 1024**2,
                                     location="burner tray, server room", volume=None)
        usb = catalog.create_medium("DEMO-2025-0031", "removable", destination="shelf-disk", volume="5E2B-9C41",
                                    location="safe, building B", state="offsite")
        copy = catalog.add_copy(run.id, "disc-images", device="optical:DEMO-2026-0007")
        catalog.link_copy_medium(copy, disc, 1, 1, path="/media/discs/DEMO-2026-0007.iso")
        catalog.update_medium(disc, expires_at=FIXED_NOW + timedelta(days=365))
        catalog.update_medium(usb, expires_at=FIXED_NOW - timedelta(days=3))

    async def open_media(pilot):
        from dse_tui.ui.screens.media_screen import MediaScreen

        await pilot.press("i")
        await pilot_until(pilot, lambda: shown(pilot.app, MediaScreen)
                          and pilot.app.screen.query_one("#media").row_count == 2
                          and "DEMO-2025-0031" in text_of(pilot.app.screen.query_one("#contents")),
                          what="the media screen with both media")
        await pilot.app.workers.wait_for_complete()  # the removable disks' line too (lsblk, in a thread)
        await pilot.pause()

    assert snap_compare(make_app(site, language="en", clock=fixed_clock), terminal_size=(150, 30),
                        run_before=open_media)


# A public key only (its identity was never kept): what the screen shows of a key is its id.
DEMO_RECIPIENT = "age183tkzznu8nylhmne3djz05jdjhthcesj9cqqp4z3fs8n4pzmmf5qycvvca"


def test_dashboard_with_an_encrypted_repository(snap_compare, site):
    """www-main encrypted to a key: its id in the detail pane, and a lock on each encrypted run."""
    www = '      exclude: ["cache/*", "*.tmp"]\n'
    text = site.read_text().replace(www, www + "    encrypt: true\n", 1)
    assert "encrypt: true" in text
    site.write_text(text + f"\nencryption: {{recipients: [{DEMO_RECIPIENT}]}}\n")
    profile = load_profile(site)
    with Catalog(profile.catalog_path) as catalog:
        catalog.conn.execute("UPDATE runs SET key_ids = 'age-83tkzznu8n' WHERE repository_id = ? AND state = 'good'",
                             (catalog.repository_id("www-main"),))

    async def select_www(pilot):
        await pilot_until(pilot, lambda: dashboard_shown(pilot.app), what="the dashboard")
        table = pilot.app.screen.query_one("RepoTable")
        table.move_cursor(row=table.get_row_index("www-main"))
        await pilot_until(pilot, lambda: detail_follows_cursor(pilot.app), what="www-main's detail")

    assert snap_compare(make_app(site, language="en", clock=fixed_clock), terminal_size=SIZE, run_before=select_www)
