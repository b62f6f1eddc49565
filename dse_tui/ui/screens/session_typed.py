"""What is typed on the session screen (a step's note, its evidence as typed) and the step the cursor is at:
held as typed (core/sessions/pending.py) and written from a thread once the typing pauses, at once when the
field is left, and before the screen goes (a part of SessionScreen). The session's deliberate changes (tick,
skip, finish…) are written at once, what was typed first."""

from __future__ import annotations

import sqlite3

from textual import work

from dse_tui.core.sessions.machine import SessionError

SAVE_PAUSE = 0.5  # seconds without a key typed before a note or evidence is written


class TypedText:
    """Mixed into SessionScreen, whose session, typed (a PendingWrites), _save_timer and _ended it uses."""

    def _write(self, change, *args):
        """A change to the session, said to the operator when refused (or when the catalog fails) instead of
        ending the console; None then. What was typed is written first, so the change sees it."""
        try:
            if self.typed:
                self.typed.flush()
            return change(*args)
        except (SessionError, sqlite3.Error) as exc:
            self._refused(exc)
        return None

    def _refused(self, exc: Exception, typed: bool = False) -> None:
        """`typed`: refused to the writer of the typed text, whose session is not this screen's."""
        if self.typed is None:
            return  # the screen was left meanwhile
        if isinstance(exc, SessionError):
            self.notify(str(exc), severity="error", timeout=10)
            if typed:
                self.session.reload()
            if not self.session.is_open:  # ended from another console: show the record
                self._ended()
        else:
            self.notify(f"{self.app.profile.catalog_path}: {exc}", severity="error", timeout=10)

    def _state(self, step_id: str):
        """The step as the catalog has it, with what was typed and is not written yet."""
        st = self.session.state(step_id)
        return self.typed.over(st) if self.typed else st

    def _type(self, field: str, step_id: str, value: str) -> None:
        self.typed.put(field, step_id, value)
        self._save_soon()

    def _save_soon(self) -> None:
        """Written once the typing pauses for SAVE_PAUSE (each key press starts the pause again)."""
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_PAUSE, self._save)

    def _save_at_once(self) -> None:
        """The field is left: what was typed in it is written now (from a thread still)."""
        if self.typed:
            if self._save_timer is not None:
                self._save_timer.stop()
            self._save()

    @work(thread=True, group="session-save", exit_on_error=False)
    def _save(self) -> None:
        typed = self.typed  # None once the screen is gone: it wrote what was typed on its way out
        if typed is None:
            return
        try:
            typed.flush()
        except (SessionError, sqlite3.Error) as exc:
            self.app.call_from_thread(self._refused, exc, True)

    def _save_before_leaving(self) -> None:
        """The screen is left: what was just typed is written before it goes, on the way out."""
        typed, self.typed = self.typed, None
        if typed is None:
            return
        if self._save_timer is not None:
            self._save_timer.stop()
        try:
            typed.flush()
        except (SessionError, sqlite3.Error) as exc:
            self.app.notify(f"{self.app.profile.catalog_path}: {exc}", severity="error", timeout=15)
        typed.close()
