"""The catalog's copies of runs and its media inventory (a part of Catalog)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from dse_tui.core.common.timeutil import from_db, to_db, utcnow

from dse_tui.core.catalog.lifecycle import COPY, ERASING, FAILING, MEDIUM, RETIRED, CopyState, Event, MediumState

MEDIUM_STATES = tuple(str(s) for s in MediumState)

# A copy counts while none of its media was retired or erased (made blank).
GONE_MEDIA = "(" + ", ".join(f"'{state}'" for state in ERASING) + ")"
ON_LIVE_MEDIA = ("NOT EXISTS (SELECT 1 FROM copy_media cm JOIN media m ON m.id = cm.medium_id"
                 f" WHERE cm.copy_id = copies.id AND m.state IN {GONE_MEDIA})")


@dataclass(frozen=True)
class Copy:
    id: int
    run_id: int
    destination: str
    device: str | None
    path: str | None
    size: int | None
    sha256: str | None  # of the run's manifest, as copied
    copied_at: datetime
    verified_at: datetime | None
    state: str  # copying | verified | failed
    message: str | None
    key_ids: str | None = None  # encrypted on its way there (the run is not): the keys that open it


@dataclass(frozen=True)
class Medium:
    id: int
    code: str
    kind: str  # removable | optical
    state: str
    location: str | None
    destination: str | None
    created_at: datetime
    expires_at: datetime | None
    volume: str | None  # a removable disk's filesystem UUID or label; a disc image's file
    capacity: int | None
    note: str | None
    updated_at: datetime | None


@dataclass(frozen=True)
class CopyMedium:
    copy_id: int
    medium_id: int
    seq: int
    total: int
    path: str | None
    size: int | None
    sha256: str | None


_COPY = "id, run_id, destination, device, path, size, sha256, copied_at, verified_at, state, message, key_ids"
_MEDIUM = ("id, code, kind, state, location, destination, created_at, expires_at, volume, capacity, note, "
           "updated_at")


class MediaMixin:
    conn: sqlite3.Connection

    # ------------------------------------------------------------------ copies

    def add_copy(self, run_id: int, destination: str, *, state: str = CopyState.VERIFIED, path: str | None = None,
                 size: int | None = None, sha256: str | None = None, at: datetime | None = None,
                 device: str | None = None, message: str | None = None, lock: str | None = None) -> int:
        """`lock`: of a copy still `copying`, the mark of the StepLock its process holds (catalog/steps.py)."""
        when = to_db(at or utcnow())
        cur = self.conn.execute(
            "INSERT INTO copies(run_id, destination, device, path, size, sha256, copied_at, verified_at, state,"
            " message, lock) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, destination, device, path, size, sha256, when, when if state == CopyState.VERIFIED else None,
             state, message, lock))
        return cur.lastrowid

    def finish_copy(self, copy_id: int, state: str, *, message: str | None = None, path: str | None = None,
                    size: int | None = None, sha256: str | None = None, device: str | None = None,
                    key_ids: list[str] | None = None, event: str | None = None, media: list[str] | None = None,
                    operator: str | None = None) -> None:
        """A copy ends (verified, failed, or the event cancelled) or, once verified, fails a later reading or
        is erased (events "verification failed", "erased"): as the life cycle allows. A copy that ends is
        recorded with its event, "copy" by `operator` (default: whoever is logged in), naming the codes of
        the `media` it went onto; the later failures are the events of what failed them (the copy's
        verification, the medium's move)."""
        with self.transaction():
            self._finish_copy(copy_id, state, message=message, path=path, size=size, sha256=sha256, device=device,
                              key_ids=key_ids, event=event)
            if event in FAILING:
                return
            run_id, destination = self.conn.execute("SELECT run_id, destination FROM copies WHERE id = ?",
                                                    (copy_id,)).fetchone()
            self._append_event("copy", event or state, repository=self._run_key(run_id), operator=operator,
                               detail={"run_id": run_id, "destination": destination, "copy_id": copy_id,
                                       "path": path, "media": list(media or []), "message": message})

    def _finish_copy(self, copy_id: int, state: str, *, message: str | None = None, path: str | None = None,
                     size: int | None = None, sha256: str | None = None, device: str | None = None,
                     key_ids: list[str] | None = None, event: str | None = None) -> None:
        """finish_copy's change, without its event, inside the caller's transaction."""
        if event in FAILING and self.conn.execute("SELECT state FROM copies WHERE id = ?",
                                                  (copy_id,)).fetchone() == (CopyState.FAILED,):
            return  # failed meanwhile by another reading: as this one would
        state = self.moved(COPY, "copies", "state", copy_id, event or state)
        verified_at = to_db(utcnow()) if state == CopyState.VERIFIED else None
        self.conn.execute(
            "UPDATE copies SET state = ?, message = ?, path = coalesce(?, path), size = coalesce(?, size),"
            " sha256 = coalesce(?, sha256), device = coalesce(?, device), key_ids = coalesce(?, key_ids),"
            " verified_at = coalesce(?, verified_at) WHERE id = ?",
            (state, message, path, size, sha256, device, " ".join(key_ids) if key_ids else None, verified_at,
             copy_id))

    def copy(self, copy_id: int) -> Copy | None:
        row = self.conn.execute(f"SELECT {_COPY} FROM copies WHERE id = ?", (copy_id,)).fetchone()
        return _copy(row) if row else None

    def copies_of(self, run_id: int) -> list[Copy]:
        return [_copy(r) for r in self.conn.execute(f"SELECT {_COPY} FROM copies WHERE run_id = ? ORDER BY id",
                                                    (run_id,))]

    def verified_copies_list(self, run_ids: list[int] | None = None) -> list[Copy]:
        """Verified copies that count: on no retired medium."""
        if run_ids is None:
            rows = self.conn.execute(f"SELECT {_COPY} FROM copies WHERE state = ? AND {ON_LIVE_MEDIA}"
                                     " ORDER BY id", (CopyState.VERIFIED,))
        else:
            marks = ",".join("?" * len(run_ids)) or "NULL"
            rows = self.conn.execute(f"SELECT {_COPY} FROM copies WHERE state = ? AND {ON_LIVE_MEDIA}"
                                     f" AND run_id IN ({marks}) ORDER BY id", (CopyState.VERIFIED, *run_ids))
        return [_copy(r) for r in rows]

    def runs_with_copies(self, key: str) -> list[int]:
        """The repository's runs that have a verified copy somewhere, pruned here or not."""
        rows = self.conn.execute("SELECT DISTINCT c.run_id FROM copies c JOIN runs r ON r.id = c.run_id"
                                 " WHERE r.repository_id = ? AND c.state = ?",
                                 (self.repository_id(key), CopyState.VERIFIED))
        return [r[0] for r in rows]

    # ------------------------------------------------------------------ media

    def next_medium_seq(self, scope: str) -> int:
        """Codes are never reused: the next number of their pattern is past every one ever made."""
        row = self.conn.execute("SELECT max(seq) FROM media WHERE seq_scope = ?", (scope,)).fetchone()
        return (row[0] or 0) + 1

    def create_medium(self, code: str, kind: str, *, destination: str | None, volume: str | None = None,
                      capacity: int | None = None, scope: str | None = None, seq: int | None = None,
                      location: str | None = None, state: str = "in-use") -> int:
        now = to_db(utcnow())
        cur = self.conn.execute(
            "INSERT INTO media(code, kind, state, location, destination, created_at, volume, capacity, seq_scope,"
            " seq, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (code, kind, state, location, destination, now, volume, capacity, scope, seq, now))
        return cur.lastrowid

    def medium(self, code_or_id) -> Medium | None:
        column = "id" if isinstance(code_or_id, int) else "code"
        row = self.conn.execute(f"SELECT {_MEDIUM} FROM media WHERE {column} = ?", (code_or_id,)).fetchone()
        return _medium(row) if row else None

    def medium_by_volume(self, destination: str, volume: str) -> Medium | None:
        row = self.conn.execute(f"SELECT {_MEDIUM} FROM media WHERE destination = ? AND volume = ? AND state NOT IN"
                                " (?, ?) ORDER BY id DESC LIMIT 1", (destination, volume, *RETIRED)).fetchone()
        return _medium(row) if row else None

    def media(self) -> list[Medium]:
        return [_medium(r) for r in self.conn.execute(f"SELECT {_MEDIUM} FROM media ORDER BY code")]

    def update_medium(self, medium_id: int, *, state: str | None = None, location: str | None = None,
                      note: str | None = None, expires_at: datetime | None = None) -> None:
        if state is not None and self.medium(medium_id).state != state:
            state = self.moved(MEDIUM, "media", "state", medium_id, state)
        self.conn.execute(
            "UPDATE media SET state = coalesce(?, state), location = coalesce(?, location), note = coalesce(?, note),"
            " expires_at = coalesce(?, expires_at), updated_at = ? WHERE id = ?",
            (state, location, note, to_db(expires_at) if expires_at else None, to_db(utcnow()), medium_id))

    def move_medium(self, medium_id: int, *, state: str | None = None, location: str | None = None,
                    operator: str | None = None, why: str | None = None) -> None:
        """The medium goes to `location` or becomes `state` (not retired: retire_medium), as the life cycle
        allows; made blank, what it held is erased. Its event "medium moved" by `operator` (default: whoever
        is logged in) is written with it: where to when the operator moves it, `why` when the program does."""
        with self.transaction():
            medium = self.medium(medium_id)
            if state == MediumState.BLANK and medium.state != MediumState.BLANK:
                # Its copies are gone for good (if it is written again, only the new copies count).
                for copy, _ in self.medium_copies(medium_id):
                    if copy.state == CopyState.VERIFIED:
                        self._finish_copy(copy.id, CopyState.FAILED, message=f"erased: {medium.code} was made blank",
                                          event=Event.ERASED)
            self.update_medium(medium_id, state=state, location=location)
            self._append_event("medium moved", "ok", operator=operator,
                               detail={"code": medium.code, "state": state,
                                       **({"why": why} if why else {"location": location})})

    def retire_medium(self, medium_id: int, state: str, reason: str | None = None,
                      operator: str | None = None) -> None:
        """The medium is retired (expired, destroyed) for `reason`, and its event "medium retired" by
        `operator` (default: whoever is logged in) is written with it."""
        with self.transaction():
            self.update_medium(medium_id, state=state, note=reason)
            self._append_event("medium retired", state, operator=operator,
                               detail={"code": self.medium(medium_id).code, "reason": reason})

    def encrypted_media(self) -> list[tuple[str, str]]:
        """(medium code, key ids) for each verified encrypted copy on a medium: encrypted on its way there, or
        a copy of an encrypted run."""
        return self.conn.execute(
            "SELECT DISTINCT m.code, coalesce(c.key_ids, r.key_ids) FROM media m"
            " JOIN copy_media cm ON cm.medium_id = m.id JOIN copies c ON c.id = cm.copy_id"
            " JOIN runs r ON r.id = c.run_id"
            " WHERE coalesce(c.key_ids, r.key_ids) IS NOT NULL AND c.state = ? ORDER BY m.code",
            (CopyState.VERIFIED,)).fetchall()

    def link_copy_medium(self, copy_id: int, medium_id: int, seq: int, total: int, *, path: str | None = None,
                         size: int | None = None, sha256: str | None = None) -> None:
        self.conn.execute("INSERT OR REPLACE INTO copy_media(copy_id, medium_id, seq, total, path, size, sha256)"
                          " VALUES (?, ?, ?, ?, ?, ?, ?)", (copy_id, medium_id, seq, total, path, size, sha256))

    def copy_media(self, copy_id: int) -> list[CopyMedium]:
        return [CopyMedium(*r) for r in self.conn.execute(
            "SELECT copy_id, medium_id, seq, total, path, size, sha256 FROM copy_media WHERE copy_id = ? ORDER BY seq",
            (copy_id,))]

    def medium_copies(self, medium_id: int) -> list[tuple[Copy, CopyMedium]]:
        """The copies on this medium (with their place in a spanned set), oldest first."""
        rows = self.conn.execute(
            f"SELECT {', '.join('c.' + c.strip() for c in _COPY.split(','))}, cm.copy_id, cm.medium_id, cm.seq,"
            " cm.total, cm.path, cm.size, cm.sha256 FROM copy_media cm JOIN copies c ON c.id = cm.copy_id"
            " WHERE cm.medium_id = ? ORDER BY c.id", (medium_id,))
        width = len(_COPY.split(","))
        return [(_copy(r[:width]), CopyMedium(*r[width:])) for r in rows]


def _copy(row) -> Copy:
    return Copy(row[0], row[1], row[2], row[3], row[4], row[5], row[6], from_db(row[7]), from_db(row[8]), row[9],
                row[10], row[11])


def _medium(row) -> Medium:
    return Medium(row[0], row[1], row[2], row[3], row[4], row[5], from_db(row[6]), from_db(row[7]), row[8], row[9],
                  row[10], from_db(row[11]))
