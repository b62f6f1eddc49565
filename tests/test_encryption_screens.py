"""The console with encrypted runs: the dashboard says which runs are encrypted and to which key, and a
restore asks for the identity file, or for a protected identity's passphrase, when it is not at hand."""

from __future__ import annotations

from textual.widgets import Input, Static

from dse_tui.core.catalog import Catalog
from dse_tui.core.keys.crypto import protect
from dse_tui.core.engine.runner import run_repository
from dse_tui.ui.app import make_app
from dse_tui.ui.screens.key_dialog import KeyPrompt
from dse_tui.ui.screens.repo_runs import RepoRunsScreen
from dse_tui.ui.screens.restore_dialog import RestoreDialog
from tests.conftest import Gate, detail_follows_cursor, pilot_until, shown
from tests.engine_helpers import manifest_of, profile_with
from tests.encryption_helpers import make_key

SIZE = (200, 50)
REPO = "{id: cfg, kind: config, driver: files, source: {path: ./cfg}, encrypt: true}"


def site(tmp_path, monkeypatch, identities: str):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no keys folder of the machine's user
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "a.conf").write_text("listen 443\n")
    identity, recipient, _ = make_key(tmp_path / "keys")
    profile = profile_with(tmp_path, REPO, f"encryption: {{recipients: [{recipient}]{identities}}}")
    outcome = run_repository(profile, profile.repository("cfg"))
    return profile, identity, outcome


def text(widget) -> str:
    """What a Static shows, as plain text (a Rich table rendered as a terminal would)."""
    import io

    from rich.console import Console

    console = Console(width=160, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def key_answered(app) -> bool:
    """The dialog's key prompt has tried what was given (in its thread) and says what it found."""
    prompts = app.screen.query(KeyPrompt)
    return bool(prompts) and prompts.first().is_mounted and getattr(prompts.first(), "checking", None) is None


async def open_restore(pilot, app) -> RestoreDialog:
    await pilot.press("v", "t")
    assert isinstance(app.screen, RestoreDialog)
    await pilot_until(pilot, lambda: shown(app, RestoreDialog) and key_answered(app)
                      and text(app.screen.query_one("#key")).strip(), what="the dialog to say which key the run needs")
    return app.screen


async def key_says(pilot, app, words: str) -> None:
    await pilot_until(pilot, lambda: key_answered(app) and words in text(app.screen.query_one("#key", Static)),
                      what=f"the key prompt to say {words!r}")


async def submit(pilot, app, field_id: str, value) -> None:
    """Type `value` into the screen's field and press enter."""
    field = app.screen.query_one(field_id, Input)
    field.value = str(value)
    field.focus()
    await pilot.press("enter")
    await pilot.pause()


async def restore_into(pilot, app, target) -> None:
    await submit(pilot, app, "#target", target)


async def ended(pilot, app, profile, run_id: int, records: str, level: str | None = None) -> None:
    """The step the dialog started (a restore, a verification at `level`) is recorded as ended, and the runs
    screen has heard of it (it is busy no more)."""
    def done() -> bool:
        with Catalog(profile.catalog_path) as catalog:
            rows = catalog.restores(run_id) if records == "restore" else catalog.verifications(run_id)
        return (bool(rows) and rows[0].outcome != "running" and getattr(rows[0], "level", level) == level
                and isinstance(app.screen, RepoRunsScreen) and app.screen.busy is None)

    await pilot_until(pilot, done, what=f"the {records} to end on screen")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_the_dashboard_shows_the_key_and_a_missing_identity_is_asked_for(tmp_path, monkeypatch):
    profile, identity, outcome = site(tmp_path, monkeypatch, "")
    assert outcome.state == "good", outcome.message
    kid = manifest_of(outcome)["encryption"]["recipients"][0]["key_id"]
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot_until(pilot, lambda: detail_follows_cursor(app), what="the repository's detail")
        settings = text(app.screen.query_one("#settings", Static))
        assert f"Encrypted to: 🔒 {kid}" in settings
        assert "🔒" in text(app.screen.query_one("#runs", Static))
        dialog = await open_restore(pilot, app)
        assert kid in text(dialog.query_one("#key", Static)) and "no identity here" in text(dialog.query_one("#key"))
        assert dialog.query_one("#identity", Input).display
        await restore_into(pilot, app, tmp_path / "out")
        assert isinstance(app.screen, RestoreDialog), "not without an identity that opens it"
        dialog.query_one("#identity", Input).value = str(identity)
        dialog.query_one("#identity", Input).focus()
        await pilot.press("enter")
        await key_says(pilot, app, "opens it")
        await restore_into(pilot, app, tmp_path / "out")
        await ended(pilot, app, profile, outcome.run_id, "restore")
        assert isinstance(app.screen, RepoRunsScreen)
    assert (tmp_path / "out" / "a.conf").read_text() == "listen 443\n"


async def test_a_protected_identity_asks_for_its_passphrase(tmp_path, monkeypatch):
    keys = tmp_path / "protected"
    keys.mkdir()
    profile, identity, outcome = site(tmp_path, monkeypatch, f", identities: [{keys / 'k.key'}]")
    assert outcome.state == "good", outcome.message
    (keys / "k.key").write_bytes(protect(identity.read_text(), "the right words"))
    (keys / "k.pub").write_text(manifest_of(outcome)["encryption"]["recipients"][0]["recipient"] + "\n")
    app = make_app(profile.file, language="es", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot_until(pilot, lambda: detail_follows_cursor(app), what="the repository's detail")
        dialog = await open_restore(pilot, app)
        passphrase = dialog.query_one("#passphrase", Input)
        assert passphrase.display and passphrase.password, "asked for, and not shown as typed"
        assert "protegida" in text(dialog.query_one("#key", Static))
        passphrase.value = "wrong words"
        passphrase.focus()
        await pilot.press("enter")
        await key_says(pilot, app, "Esa frase de paso no la abre")
        passphrase.value = "the right words"
        passphrase.focus()
        await pilot.press("enter")
        await key_says(pilot, app, "la abre la identidad")
        await restore_into(pilot, app, tmp_path / "out")
        await ended(pilot, app, profile, outcome.run_id, "restore")
        assert isinstance(app.screen, RepoRunsScreen)
    assert (tmp_path / "out" / "a.conf").read_text() == "listen 443\n"
    with Catalog(profile.catalog_path) as catalog:
        assert catalog.restores(outcome.run_id)[0].outcome == "done"


async def test_verifying_an_encrypted_run_asks_for_the_key_first(tmp_path, monkeypatch):
    """Structure and restore decrypt: with no identity at hand the console asks for one, then verifies."""
    from dse_tui.ui.screens.key_dialog import KeyDialog

    profile, identity, outcome = site(tmp_path, monkeypatch, "")
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        assert isinstance(app.screen, RepoRunsScreen) and app.screen.level == "checksum"
        await pilot.press("v")  # checksum reads what was written: no key, no question
        await app.workers.wait_for_complete()  # its outcome reached the screen before the worker ended
        await pilot.pause()
        assert isinstance(app.screen, RepoRunsScreen)
        await pilot.press("n", "v")  # structure
        await pilot_until(pilot, lambda: shown(app, KeyDialog) and key_answered(app), what="the key dialog")
        await pilot.press("escape")
        assert isinstance(app.screen, RepoRunsScreen) and app.screen.busy is None, "cancelled: nothing started"
        await pilot.press("v")
        await pilot_until(pilot, lambda: shown(app, KeyDialog) and key_answered(app), what="the key dialog again")
        await submit(pilot, app, "#identity", identity)
        await ended(pilot, app, profile, outcome.run_id, "verification", "structure")
        assert isinstance(app.screen, RepoRunsScreen)
    with Catalog(profile.catalog_path) as catalog:
        levels = [(v.level, v.outcome) for v in catalog.verifications(outcome.run_id)]
    assert ("structure", "passed") in levels and ("checksum", "passed") in levels


async def test_opening_a_protected_identity_leaves_the_dialog_answering(tmp_path, monkeypatch):
    """Issue 20: the passphrase's scrypt (a second) ran on the event loop, and the console froze."""
    import dse_tui.core.keys.crypto as crypto

    keys = tmp_path / "protected"
    keys.mkdir()
    profile, identity, outcome = site(tmp_path, monkeypatch, f", identities: [{keys / 'k.key'}]")
    (keys / "k.key").write_bytes(protect(identity.read_text(), "the right words"))
    (keys / "k.pub").write_text(manifest_of(outcome)["encryption"]["recipients"][0]["recipient"] + "\n")
    gate, read_identity = Gate(), crypto.read_identity

    def slow_read(path, passphrase=None):
        if passphrase is not None:
            gate.hold()
        return read_identity(path, passphrase)

    monkeypatch.setattr(crypto, "read_identity", slow_read)
    app = make_app(profile.file, language="en", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot_until(pilot, lambda: detail_follows_cursor(app), what="the repository's detail")
        dialog = await open_restore(pilot, app)
        await submit(pilot, app, "#passphrase", "the right words")
        await pilot_until(pilot, lambda: gate.entered.is_set(), timeout=60, what="the passphrase to be tried")
        assert gate.off_the_ui_thread(), "scrypt ran on the event loop"
        await pilot_until(pilot, lambda: "trying the identities" in text(dialog.query_one("#key", Static)),
                          what="the dialog to say it is trying")
        dialog.query_one("#target", Input).focus()
        await pilot.press("end", "x")
        await pilot_until(pilot, lambda: dialog.query_one("#target", Input).value.endswith("x"),
                          what="a key typed while the identity opens")
        assert not gate.released.is_set() and not key_answered(app)
        gate.released.set()
        await key_says(pilot, app, "opens it")
