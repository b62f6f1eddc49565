"""The catalog's records of verifications, restores and acknowledgements (a part of Catalog)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from dse_tui.core.common.timeutil import from_db, to_db, utcnow


@dataclass(frozen=True)
class Verification:
    id: int
    run_id: int
    level: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str  # running | passed | failed | inconclusive | cancelled | interrupted
    checks: list[dict]  # [{"name", "ok", "detail"}], in the order they ran
    trigger: str | None
    operator: str | None
    message: str | None


@dataclass(frozen=True)
class Restore:
    id: int
    run_id: int
    target: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str  # running | done | failed | cancelled | interrupted
    operator: str | None
    message: str | None


_VERIFICATION_COLUMNS = "id, run_id, level, started_at, ended_at, outcome, detail, trigger, operator, message"


class ChecksMixin:
    """Needs `self.db` (sqlite3 connection in autocommit) and `self.repository_id`."""

    def start_verification(self, run_id: int, level: str, *, trigger: str, operator: str,
                           at: datetime | None = None, copy_id: int | None = None, lock: str | None = None) -> int:
        """`lock`: the mark of the StepLock its process holds until it finishes (catalog_steps)."""
        cur = self.db.execute(
            "INSERT INTO verifications(run_id, level, started_at, outcome, trigger, operator, copy_id, lock)"
            " VALUES (?, ?, ?, 'running', ?, ?, ?, ?)",
            (run_id, level, to_db(at or utcnow()), trigger, operator, copy_id, lock))
        return cur.lastrowid

    def finish_verification(self, verification_id: int, outcome: str, checks: list[dict],
                            message: str | None = None, at: datetime | None = None) -> None:
        from dse_tui.core.catalog.lifecycle import VERIFICATION

        when = to_db(at or utcnow())
        with self.transaction():
            outcome = self.moved(VERIFICATION, "verifications", "outcome", verification_id, outcome)
            self.db.execute("UPDATE verifications SET outcome = ?, ended_at = ?, detail = ?, message = ? WHERE id = ?",
                            (outcome, when, json.dumps(checks), message, verification_id))
            if outcome == "passed":
                self.db.execute("UPDATE runs SET verified_at = ? WHERE id = "
                                "(SELECT run_id FROM verifications WHERE id = ? AND copy_id IS NULL)",
                                (when, verification_id))

    def verifications(self, run_id: int, limit: int = 20) -> list[Verification]:
        rows = self.db.execute(f"SELECT {_VERIFICATION_COLUMNS} FROM verifications WHERE run_id = ?"
                               " AND copy_id IS NULL ORDER BY started_at DESC, id DESC LIMIT ?", (run_id, limit))
        return [_verification(r) for r in rows]

    def last_verifications(self, run_ids: list[int]) -> dict[int, Verification]:
        """The latest verification of each run, for tables of runs."""
        if not run_ids:
            return {}
        marks = ",".join("?" * len(run_ids))
        rows = self.db.execute(
            f"SELECT {_VERIFICATION_COLUMNS} FROM verifications WHERE id IN (SELECT max(id) FROM verifications"
            f" WHERE run_id IN ({marks}) AND copy_id IS NULL GROUP BY run_id)", run_ids)
        return {v.run_id: v for v in map(_verification, rows)}

    def copy_verified_at(self, copy_id: int):
        row = self.db.execute("SELECT max(ended_at) FROM verifications WHERE copy_id = ? AND outcome = 'passed'",
                              (copy_id,)).fetchone()
        return from_db(row[0]) if row and row[0] else None

    def latest_kept_run(self, key: str):
        """The repository's latest run that still has its artifact (good, or held back by a check)."""
        from dse_tui.core.catalog import _RUN_COLUMNS

        row = self.db.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE repository_id = ? AND artifact IS NOT NULL"
                              " AND pruned_at IS NULL ORDER BY started_at DESC LIMIT 1",
                              (self.repository_id(key),)).fetchone()
        return self._run(row, key) if row else None

    def held_runs(self, key: str) -> list:
        """Failed runs whose complete artifact was kept (they failed a verification or a site rule)."""
        from dse_tui.core.catalog import _RUN_COLUMNS

        rows = self.db.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE repository_id = ? AND state = 'failed'"
                               " AND artifact IS NOT NULL AND pruned_at IS NULL ORDER BY started_at DESC",
                               (self.repository_id(key),))
        return [self._run(r, key) for r in rows]

    def manual_required_since(self, key: str) -> datetime | None:
        row = self.db.execute("SELECT manual_required_since FROM repositories WHERE id = ?",
                              (self.repository_id(key),)).fetchone()
        return from_db(row[0]) if row else None

    def is_pruned(self, run_id: int) -> bool:
        row = self.db.execute("SELECT pruned_at FROM runs WHERE id = ?", (run_id,)).fetchone()
        return bool(row and row[0])

    def good_sizes_before(self, key: str, before: datetime, limit: int) -> list[int]:
        """Sizes of the last `limit` good runs that started before `before`, oldest first."""
        rows = self.db.execute(
            "SELECT size FROM runs WHERE repository_id = ? AND state = 'good' AND started_at < ?"
            " ORDER BY started_at DESC LIMIT ?", (self.repository_id(key), to_db(before), limit)).fetchall()
        return [r[0] or 0 for r in reversed(rows)]

    def verified_at(self, run_id: int) -> datetime | None:
        row = self.db.execute("SELECT verified_at FROM runs WHERE id = ?", (run_id,)).fetchone()
        return from_db(row[0]) if row else None

    def fail_run(self, run_id: int, message: str, operator: str | None = None) -> bool:
        """A stored run that no longer verifies: it stops counting as a backup, its artifact stays as evidence.
        False when another verification failed it first. The run's new state is an event of its own, in the
        same transaction: the verification's event says what was checked, this one that the backup is gone."""
        from dse_tui.core.catalog.lifecycle import RUN

        with self.transaction():
            if self.db.execute("SELECT state FROM runs WHERE id = ?", (run_id,)).fetchone() == ("failed",):
                return False
            state = self.moved(RUN, "runs", "state", run_id, "verification failed")
            self.db.execute("UPDATE runs SET state = ?, message = ? WHERE id = ?", (state, message, run_id))
            repo = self.db.execute("SELECT repository_id FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
            self._append_event("run failed", state, repository=self._repo_key(repo), operator=operator,
                               detail={"run_id": run_id, "event": "verification failed", "message": message})
        return True

    def accept_run(self, run_id: int, reason: str) -> None:
        """The operator accepts a run that only a site rule held back (a shrunk backup that was expected)."""
        from dse_tui.core.catalog.lifecycle import RUN

        state = self.moved(RUN, "runs", "state", run_id, "accepted")
        self.db.execute("UPDATE runs SET state = ?, acknowledged = ?, message = NULL WHERE id = ?",
                        (state, reason, run_id))

    def acknowledged(self, run_id: int) -> str | None:
        row = self.db.execute("SELECT acknowledged FROM runs WHERE id = ?", (run_id,)).fetchone()
        return row[0] if row else None

    # -------------------------------------------------------------- restores

    def start_restore(self, run_id: int, target: str, *, operator: str, at: datetime | None = None,
                      lock: str | None = None) -> int:
        cur = self.db.execute("INSERT INTO restores(run_id, target, started_at, outcome, operator, lock)"
                              " VALUES (?, ?, ?, 'running', ?, ?)",
                              (run_id, target, to_db(at or utcnow()), operator, lock))
        return cur.lastrowid

    def finish_restore(self, restore_id: int, outcome: str, message: str | None = None) -> None:
        from dse_tui.core.catalog.lifecycle import RESTORE

        outcome = self.moved(RESTORE, "restores", "outcome", restore_id, outcome)
        self.db.execute("UPDATE restores SET outcome = ?, ended_at = ?, message = ? WHERE id = ?",
                        (outcome, to_db(utcnow()), message, restore_id))

    def restores(self, run_id: int) -> list[Restore]:
        rows = self.db.execute("SELECT id, run_id, target, started_at, ended_at, outcome, operator, message"
                               " FROM restores WHERE run_id = ? ORDER BY id DESC", (run_id,))
        return [Restore(r[0], r[1], r[2], from_db(r[3]), from_db(r[4]), r[5], r[6], r[7]) for r in rows]


def _verification(row) -> Verification:
    return Verification(row[0], row[1], row[2], from_db(row[3]), from_db(row[4]), row[5],
                        json.loads(row[6]) if row[6] else [], row[7], row[8], row[9])
