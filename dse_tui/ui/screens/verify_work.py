"""Verifying the runs screen's selected run in a thread: the key asked for when the level decrypts and none
is at hand, the bytes read against what the level reads (verify_total), each check shown as it is made."""

from __future__ import annotations

import json
import time
from pathlib import Path

from rich.markup import escape
from textual import work
from textual.widgets import Label, ProgressBar, Static

from dse_tui.core.catalog import Catalog, Run
from dse_tui.core.common.fmt import size
from dse_tui.i18n import tr

PROGRESS_EVERY = 0.1  # seconds between progress updates from the worker


class VerifyWork:
    """Needs the runs screen's `lang`, `level`, `live_checks`, `selected_run()`, #checks, and RestoreWork's
    _start/_stop and `busy`/`cancel_event`."""

    def action_verify(self) -> None:
        run = self.selected_run()
        if run is None:
            return
        if run.encrypted and self.level != "checksum":  # the deeper levels decrypt: ask for a key not at hand
            self._find_key(run)
        else:
            self._begin_verify(run, None)

    @work(thread=True, exclusive=True, group="find-key", exit_on_error=False)
    def _find_key(self, run: Run) -> None:
        """The profile's identities tried in a thread: a passphrase from the environment means scrypt."""
        from dse_tui.ui.screens.key_dialog import keyring_opens

        self.app.call_from_thread(self._key_found, run, self.level, keyring_opens(self.app.profile, run))

    def _key_found(self, run: Run, level: str, keyring) -> None:
        from dse_tui.ui.screens.key_dialog import KeyDialog

        if self.busy is not None or level != self.level:
            return  # something else started meanwhile, or another level was chosen: v again decides
        if keyring is not None:
            self._begin_verify(run, keyring)
            return

        def given(chosen) -> None:
            if chosen is not None and self.busy is None:
                self._begin_verify(run, chosen)

        self.app.push_screen(KeyDialog(self.app.profile, run, self.lang), given)

    def _begin_verify(self, run, keyring) -> None:
        self._start("verify", tr("runs.verifying", self.lang, run=run.id, level=self.level, read="0 B"))
        self.live_checks = []
        self.query_one("#checks", Static).update("")
        self._verify(run.id, self.level, keyring)

    @work(thread=True, exclusive=True, group="runs-screen", exit_on_error=False)
    def _verify(self, run_id: int, level: str, keyring=None) -> None:
        from dse_tui.core.verification.runs import verify_run

        cancel = self.cancel_event
        last = [0.0]
        total = None

        def progress(n: int) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY:
                last[0] = now
                self.app.call_from_thread(self._progress, run_id, level, n, total)

        def log(line: str) -> None:
            self.app.call_from_thread(self._live_check, line)

        with Catalog(self.app.profile.catalog_path) as catalog:
            run = catalog.run(run_id)
            total = verify_total(run.manifest, level)
            outcome = verify_run(self.app.profile, catalog, run, level=level, trigger="console",
                                 cancel=cancel, log=log, on_bytes=progress, keyring=keyring)
        self.app.call_from_thread(self._verified, outcome)

    def _progress(self, run_id: int, level: str, n: int, total: int | None = None) -> None:
        self.query_one("#work-label", Label).update(tr("runs.verifying", self.lang, run=run_id, level=level, read=size(n)))
        if total:  # a percentage and an ETA; a level that reads more than foreseen never shows past 100%
            self.query_one("#work-progress", ProgressBar).update(total=max(total, n), progress=n)

    def _live_check(self, line: str) -> None:
        self.live_checks.append(escape(line))
        self.query_one("#checks", Static).update("\n".join(self.live_checks))

    def _verified(self, outcome) -> None:
        self._stop()
        key = {"passed": "runs.verify.passed", "failed": "runs.verify.failed",
               "inconclusive": "runs.verify.inconclusive"}.get(outcome.outcome, "runs.verify.cancelled")
        self.notify(tr(key, self.lang, run=outcome.run_id, level=tr("level." + outcome.level, self.lang),
                       message=outcome.message or ""),
                    severity={"passed": "information", "failed": "error"}.get(outcome.outcome, "warning"),
                    timeout=10)


def verify_total(manifest_path: str | None, level: str) -> int | None:
    """The bytes a verification at `level` reads, from the run's manifest: the artifact for the checksum;
    the deeper levels read it and then its content, decompressed. None when the manifest is not at hand."""
    try:
        manifest = json.loads(Path(manifest_path).read_text()) if manifest_path else {}
    except (OSError, ValueError):
        return None
    artifact = manifest.get("size")
    if not isinstance(artifact, int):
        return None
    if level == "checksum":
        return artifact
    data = manifest.get("data_size")
    return artifact + data if isinstance(data, int) else None
