"""The end of a manual-backup session on its screen: finishing it (the files it produced chosen in a
dialog) and registering those files as a run, in a worker, with the output live (a part of SessionScreen)."""

from __future__ import annotations

import sqlite3

from textual import work
from textual.widgets import Log

from dse_tui.core.catalog import Catalog
from dse_tui.core.sessions.machine import SessionError
from dse_tui.i18n import tr


class FinishAndRegister:
    """Mixed into SessionScreen, whose session, typed, lang, cancel_event, _busy, _output and _ended it uses."""

    def _produced(self) -> list[str]:
        from pathlib import Path

        workdir = Path(self.session.row.workdir or "")
        try:
            return sorted(str(p) for p in workdir.iterdir()) if workdir.is_dir() else []
        except OSError:
            return []

    def action_finish(self) -> None:
        from dse_tui.ui.screens.session_dialogs import FilesDialog

        def chosen(answer) -> None:
            if not answer:
                return
            try:
                if self.typed:  # what was typed goes in before the session becomes a record
                    self.typed.flush()
                self.session.finish()
            except (SessionError, sqlite3.Error) as exc:
                self.notify(str(exc), severity="error", timeout=10)
                self._ended()
                return
            self.notify(tr("session.finished", self.lang, id=self.session.id))
            self._ended()
            if answer[0] == "register":
                self._start_register(answer[1])

        self.app.push_screen(FilesDialog(tr("finish.title", self.lang, id=self.session.id), self._produced(),
                                         self.lang, finishing=True, driver=self.repo.driver), chosen)

    def action_register(self) -> None:
        from dse_tui.ui.screens.session_dialogs import FilesDialog

        def chosen(answer) -> None:
            if answer:
                self._start_register(answer[1])

        self.app.push_screen(FilesDialog(tr("register.title", self.lang, id=self.session.id), self._produced(),
                                         self.lang, finishing=False, driver=self.repo.driver), chosen)

    def _start_register(self, files: list[str]) -> None:
        self._busy("register", tr("session.registering", self.lang))
        self.query_one("#output", Log).clear()
        self._register(files)

    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def _register(self, files: list[str]) -> None:
        from dse_tui.core.sessions.register import register_files

        with Catalog(self.app.profile.catalog_path) as catalog:
            try:
                outcome = register_files(self.app.profile, catalog, self.session_id, files, cancel=self.cancel_event,
                                         log=lambda line: self.app.call_from_thread(self._output, line + "\n"))
                result = (outcome.run_id, outcome.state, outcome.message)
            except Exception as exc:  # SessionError says what to fix; anything else must not end the console
                result = (None, "failed", str(exc))
        self.app.call_from_thread(self._registered, *result)

    def _registered(self, run_id: int | None, state: str, message: str | None) -> None:
        self._busy(None)
        self.notify(tr("session.registered", self.lang, run=run_id or "-", state=state)
                    + (f": {message}" if message else ""),
                    severity="information" if state == "good" else "error", timeout=15)
        self._ended()
