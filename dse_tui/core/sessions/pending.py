"""What is typed into a session (a step's note, its evidence as typed, the step the operator is at), held
until it is written: the console writes it once the typing pauses, from a thread, and at once when the
operator leaves the field or the screen. Each commit reaches the disk (a durable catalog), so writing on
every key press froze the console on every key.

Only the latest value of each field is written, and values reach the catalog in the order they were given,
whichever thread flushes: one flush at a time. Until it is written a value reads as `pending`, so what is
shown never goes back to what the catalog still has."""

from __future__ import annotations

import os
import threading
from dataclasses import replace

from dse_tui.core.catalog import Catalog
from dse_tui.core.catalog.sessions import StepRow
from dse_tui.core.sessions.machine import Session, SessionError

FIELDS = ("note", "evidence")  # of a step; the step the session is at is kept apart


class PendingWrites:
    """A session's typed changes on their own durable connection. Not for ticks, skips or ends: those are
    written by the Session itself, at once (flush first, so they see what was typed)."""

    def __init__(self, catalog_path: str | os.PathLike, session_id: int, operator: str | None = None):
        self._catalog = Catalog(catalog_path, durable=True)
        try:
            self._session = Session.load(self._catalog, session_id, operator)
        except Exception:
            self._catalog.close()
            raise
        self._values: dict[tuple[str, str], str] = {}  # (field, step id) → the latest value given
        # What was written from here, kept to read over the screen's own copy of the session: that copy is
        # not read again on every cursor move, and would show a note as it was before it was written.
        self._written: dict[tuple[str, str], str] = {}
        self._at: str | None = None  # the step the session moved to, not written yet
        self._mutex = threading.Lock()  # guards the two above
        self._writing = threading.Lock()  # one flush at a time: what was given later is written later
        self._closed = False

    def put(self, field: str, step_id: str, value: str) -> None:
        assert field in FIELDS, field
        with self._mutex:
            self._values[(field, step_id)] = value

    def move_to(self, step_id: str) -> None:
        with self._mutex:
            self._at = step_id

    def __bool__(self) -> bool:
        """Anything not written yet."""
        with self._mutex:
            return bool(self._values) or self._at is not None

    def pending(self, step_id: str) -> dict[str, str]:
        """The fields of the step given and not written yet."""
        with self._mutex:
            return {f: v for (f, s), v in self._values.items() if s == step_id}

    def over(self, row: StepRow) -> StepRow:
        """The step as it reads once what is pending is written (a note emptied is None, as the catalog has it)."""
        with self._mutex:
            given = {f: v for (f, s), v in {**self._written, **self._values}.items() if s == row.step_id}
        return replace(row, **{f: v or None for f, v in given.items()}) if given else row

    def flush(self) -> None:
        """Write what is pending. SessionError: the session ended meanwhile (another console?), and what was
        pending is dropped, as the session would refuse it; sqlite3.Error: it stays, for the next flush."""
        with self._writing:
            if self._closed:
                return
            with self._mutex:
                values, at = dict(self._values), self._at
            try:
                for (field, step_id), value in values.items():
                    if field == "note":
                        self._session.set_note(step_id, value)
                    else:
                        self._session.set_evidence(step_id, value)
                    with self._mutex:  # given again while it was written: that newer value stays pending
                        self._written[(field, step_id)] = value
                        if self._values.get((field, step_id)) == value:
                            del self._values[(field, step_id)]
                if at is not None:
                    self._session.move_to(at)
                    with self._mutex:
                        if self._at == at:
                            self._at = None
            except SessionError:
                with self._mutex:
                    self._values.clear()
                    self._at = None
                raise

    def close(self) -> None:
        """No more writes (a flush still under way ends first)."""
        with self._writing:
            self._closed = True
            self._catalog.close()
