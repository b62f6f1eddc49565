"""Catalog schema, as an ordered list of migrations. Never edit a released step: append a new one."""

from typing import NamedTuple


def _keep_last(repo: str, ties: str = "") -> str:
    """Migration 16's UPDATE of a repository's last attempt and last good run, found again in its runs.
    `ties`: what orders runs that started at the same instant (SQLite's index already ends with the rowid;
    PostgreSQL returns equal keys in whatever order its heap has them, which an update can change)."""
    order = f"ORDER BY started_at DESC{ties} LIMIT 1"
    return (f"UPDATE repositories SET"
            f" last_attempt_id = (SELECT id FROM runs WHERE repository_id = {repo} {order}),"
            f" last_good_id = (SELECT id FROM runs WHERE repository_id = {repo} AND state = 'good' {order})"
            f" WHERE id = {repo}")


def _pg_keep_last(repo: str) -> str:
    """The same in the trigger's function, the repository's row locked first: each statement of a function
    reads a new snapshot, so the runs are read after any other writer of that row has committed (the
    UPDATE alone would read them from before it waited). NO KEY UPDATE, not UPDATE: an insert into runs
    takes KEY SHARE on the row for its foreign key, which UPDATE would wait for."""
    return (f"PERFORM 1 FROM repositories WHERE id = {repo} FOR NO KEY UPDATE;\n"
            f"                 {_keep_last(repo, ', id DESC')}")


class PerBackend(NamedTuple):
    """A step spelt for each backend where their spellings part (triggers: PostgreSQL's body is a function,
    whose semicolons a script could not be split on). The fields are the dialects' names (backend.py)."""
    sqlite: str
    postgresql: list[str]


# A step is one script for both backends, or a PerBackend.
MIGRATIONS: list[str | PerBackend] = [
    # 1: the foundation schema
    """
    CREATE TABLE repositories (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        manual_required_since TEXT,
        manual_required_reason TEXT
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        repository_id INTEGER NOT NULL REFERENCES repositories(id),
        started_at TEXT NOT NULL,
        ended_at TEXT,
        state TEXT NOT NULL CHECK (state IN ('running', 'good', 'failed', 'cancelled')),
        trigger TEXT NOT NULL DEFAULT 'auto',
        operator TEXT,
        size INTEGER,
        sha256 TEXT,
        artifact TEXT,
        manifest TEXT,
        message TEXT
    );
    -- "last attempt" and "last good run" of each repository are index seeks, even with millions of runs
    CREATE INDEX runs_by_repository ON runs(repository_id, started_at);
    CREATE INDEX good_runs_by_repository ON runs(repository_id, started_at) WHERE state = 'good';
    CREATE TABLE verifications (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        level TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('running', 'passed', 'failed', 'cancelled')),
        detail TEXT
    );
    CREATE INDEX verifications_by_run ON verifications(run_id);
    CREATE TABLE media (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'blank',
        location TEXT,
        destination TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT
    );
    CREATE TABLE copies (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        destination TEXT NOT NULL,
        medium_id INTEGER REFERENCES media(id),
        path TEXT,
        size INTEGER,
        sha256 TEXT,
        copied_at TEXT NOT NULL,
        verified_at TEXT,
        state TEXT NOT NULL CHECK (state IN ('copying', 'verified', 'failed'))
    );
    CREATE INDEX copies_by_run ON copies(run_id);
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        repository_id INTEGER NOT NULL REFERENCES repositories(id),
        checklist TEXT NOT NULL,
        operator TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        state TEXT NOT NULL CHECK (state IN ('open', 'finished', 'abandoned')),
        reason TEXT
    );
    CREATE TABLE session_steps (
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        step_id TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('done', 'skipped', 'pending')),
        at TEXT NOT NULL,
        evidence TEXT,
        note TEXT,
        output TEXT,
        exit_status INTEGER,
        PRIMARY KEY (session_id, step_id)
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        operator TEXT NOT NULL,
        repository TEXT,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX events_by_time ON events(at);
    """,
    # 2: the full output (stderr of every process) of a run, kept with it
    """
    ALTER TABLE runs ADD COLUMN log TEXT;
    """,
    # 3: retention removes a run's artifact but keeps its record
    """
    ALTER TABLE runs ADD COLUMN pruned_at TEXT;
    """,
    # 4: verifications with their checks and who asked; restores; runs accepted by an operator
    """
    ALTER TABLE verifications ADD COLUMN trigger TEXT;
    ALTER TABLE verifications ADD COLUMN operator TEXT;
    ALTER TABLE verifications ADD COLUMN message TEXT;
    ALTER TABLE verifications ADD COLUMN copy_id INTEGER REFERENCES copies(id);
    ALTER TABLE runs ADD COLUMN verified_at TEXT;
    ALTER TABLE runs ADD COLUMN acknowledged TEXT;
    CREATE TABLE restores (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        target TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('running', 'done', 'failed', 'cancelled')),
        operator TEXT,
        message TEXT
    );
    CREATE INDEX restores_by_run ON restores(run_id);
    """,
    # 5: checklist sessions keep the steps they walk (the record outlives an edited checklist), where the
    # operator was, each skip's reason; a manual run names its session; one open session per repository
    """
    ALTER TABLE sessions ADD COLUMN steps TEXT;
    ALTER TABLE sessions ADD COLUMN title TEXT;
    ALTER TABLE sessions ADD COLUMN current TEXT;
    ALTER TABLE sessions ADD COLUMN workdir TEXT;
    ALTER TABLE session_steps ADD COLUMN reason TEXT;
    ALTER TABLE session_steps ADD COLUMN operator TEXT;
    ALTER TABLE runs ADD COLUMN session_id INTEGER REFERENCES sessions(id);
    CREATE UNIQUE INDEX one_open_session ON sessions(repository_id) WHERE state = 'open';
    CREATE INDEX sessions_by_repository ON sessions(repository_id, started_at);
    """,
    # 6: copies know the device they are on (distinct devices count, not destinations) and why one failed;
    # media know their volume, capacity and code sequence; a copy may span several media (disc images)
    """
    ALTER TABLE copies ADD COLUMN device TEXT;
    ALTER TABLE copies ADD COLUMN message TEXT;
    ALTER TABLE media ADD COLUMN volume TEXT;
    ALTER TABLE media ADD COLUMN capacity INTEGER;
    ALTER TABLE media ADD COLUMN seq_scope TEXT;
    ALTER TABLE media ADD COLUMN seq INTEGER;
    ALTER TABLE media ADD COLUMN note TEXT;
    ALTER TABLE media ADD COLUMN updated_at TEXT;
    CREATE TABLE copy_media (
        copy_id INTEGER NOT NULL REFERENCES copies(id),
        medium_id INTEGER NOT NULL REFERENCES media(id),
        seq INTEGER NOT NULL,
        total INTEGER NOT NULL,
        path TEXT,
        size INTEGER,
        sha256 TEXT,
        PRIMARY KEY (copy_id, seq)
    );
    CREATE INDEX copy_media_by_medium ON copy_media(medium_id);
    """,
    # 7: mail waiting to be sent (and what was sent): a notification that cannot go now goes on the next try
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        kind TEXT NOT NULL,
        repository TEXT,
        key TEXT UNIQUE,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        claimed_at TEXT,
        sent_at TEXT
    );
    CREATE INDEX outbox_unsent ON outbox(sent_at) WHERE sent_at IS NULL;
    -- events ids are never given again (AUTOINCREMENT): a deleted event leaves a gap audit verify sees
    CREATE TABLE events_chain (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        operator TEXT NOT NULL,
        repository TEXT,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    INSERT INTO events_chain SELECT id, at, operator, repository, action, outcome, detail, prev_hash, hash FROM events;
    DROP TABLE events;
    ALTER TABLE events_chain RENAME TO events;
    CREATE INDEX events_by_time ON events(at);
    CREATE INDEX events_by_repository ON events(repository, id);
    """,
    # 8: a verification may be inconclusive (a server down, a tool missing): it says nothing of the run
    """
    CREATE TABLE verifications_v8 (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        level TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('running', 'passed', 'failed', 'inconclusive', 'cancelled')),
        detail TEXT,
        trigger TEXT,
        operator TEXT,
        message TEXT,
        copy_id INTEGER REFERENCES copies(id)
    );
    INSERT INTO verifications_v8 SELECT id, run_id, level, started_at, ended_at, outcome, detail, trigger, operator,
        message, copy_id FROM verifications;
    DROP TABLE verifications;
    ALTER TABLE verifications_v8 RENAME TO verifications;
    CREATE INDEX verifications_by_run ON verifications(run_id);
    """,
    # 9: the latest event of an action is an index seek (the console checks the profile's at every start)
    """
    CREATE INDEX events_by_action ON events(action, id);
    """,
    # 10: the age keys a run is encrypted to (keys list, labels and the console show them)
    """
    ALTER TABLE runs ADD COLUMN key_ids TEXT;
    CREATE INDEX runs_by_key ON runs(key_ids) WHERE key_ids IS NOT NULL;
    """,
    # 11: a copy encrypted on its way to a destination that encrypts (the run itself is not): its keys
    """
    ALTER TABLE copies ADD COLUMN key_ids TEXT;
    """,
    # 12: a verification, copy, restore or session command names the lock its process holds while it works
    # (host:path, locks.StepLock); one left running whose lock is free was interrupted. Verifications and
    # restores can say so ('interrupted'); a copy counts or not, and an interrupted one is failed, as a
    # cancelled one is (rebuilding copies, which verifications and copy_media refer to, needs foreign keys
    # off, and a migration's transaction cannot switch them). A command is running while it has a mark and
    # no exit status: those a version without marks left so get an empty one (owner unknown: interrupted).
    """
    CREATE TABLE verifications_v12 (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        level TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('running', 'passed', 'failed', 'inconclusive', 'cancelled',
                                                 'interrupted')),
        detail TEXT,
        trigger TEXT,
        operator TEXT,
        message TEXT,
        copy_id INTEGER REFERENCES copies(id),
        lock TEXT
    );
    INSERT INTO verifications_v12 SELECT id, run_id, level, started_at, ended_at, outcome, detail, trigger, operator,
        message, copy_id, NULL FROM verifications;
    DROP TABLE verifications;
    ALTER TABLE verifications_v12 RENAME TO verifications;
    CREATE INDEX verifications_by_run ON verifications(run_id);
    CREATE INDEX running_verifications ON verifications(id) WHERE outcome = 'running';
    CREATE TABLE restores_v12 (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        target TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('running', 'done', 'failed', 'cancelled', 'interrupted')),
        operator TEXT,
        message TEXT,
        lock TEXT
    );
    INSERT INTO restores_v12 SELECT id, run_id, target, started_at, ended_at, outcome, operator, message, NULL
        FROM restores;
    DROP TABLE restores;
    ALTER TABLE restores_v12 RENAME TO restores;
    CREATE INDEX restores_by_run ON restores(run_id);
    CREATE INDEX running_restores ON restores(id) WHERE outcome = 'running';
    ALTER TABLE copies ADD COLUMN lock TEXT;
    CREATE INDEX copies_in_progress ON copies(id) WHERE state = 'copying';
    ALTER TABLE session_steps ADD COLUMN lock TEXT;
    UPDATE session_steps SET lock = '' WHERE output IS NOT NULL AND exit_status IS NULL;
    CREATE INDEX running_commands ON session_steps(session_id) WHERE lock IS NOT NULL AND exit_status IS NULL;
    """,
    # 13: a restore of a part of a run says which parts (a JSON list of paths or tables; NULL: the whole run)
    """
    ALTER TABLE restores ADD COLUMN parts TEXT;
    """,
    # 14: "last good run" reads the index alone: with state in it, SQLite counts the partial index as covering
    # (without, it reads each repository's run row to check a state the index already implies)
    """
    CREATE INDEX good_runs_by_repository_covering ON runs(repository_id, started_at, state) WHERE state = 'good';
    DROP INDEX good_runs_by_repository;
    """,
    # 15: several backup hosts share one catalog: each run names the host that made it, and a repository is
    # run by one host at a time, the holder of its lease (a row renewed while the run goes on; one whose time
    # is past is free, its holder presumed dead). Times are epoch milliseconds: compared, never shown.
    """
    ALTER TABLE runs ADD COLUMN host TEXT;
    CREATE TABLE leases (
        repository TEXT NOT NULL PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        token TEXT NOT NULL,
        taken_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL
    );
    CREATE INDEX running_runs ON runs(id) WHERE state = 'running';
    """,
    # 16: each repository keeps the ids of its last attempt and last good run, so the dashboard's status of
    # every repository is two key lookups each instead of two index seeks (issue 21: 1,000,000 runs on
    # PostgreSQL). Triggers keep them, whatever writes a run (the engine, recovery, a catalog copied).
    PerBackend(sqlite=f"""
    ALTER TABLE repositories ADD COLUMN last_attempt_id INTEGER;
    ALTER TABLE repositories ADD COLUMN last_good_id INTEGER;
    CREATE TRIGGER runs_last_insert AFTER INSERT ON runs BEGIN {_keep_last("NEW.repository_id")}; END;
    CREATE TRIGGER runs_last_delete AFTER DELETE ON runs BEGIN {_keep_last("OLD.repository_id")}; END;
    CREATE TRIGGER runs_last_update AFTER UPDATE OF repository_id, started_at, state ON runs BEGIN
        {_keep_last("OLD.repository_id")};
    END;
    CREATE TRIGGER runs_last_moved AFTER UPDATE OF repository_id ON runs
        WHEN NEW.repository_id <> OLD.repository_id BEGIN
        {_keep_last("NEW.repository_id")};
    END;
    {_keep_last("repositories.id")};
    """,
     postgresql=[
         "ALTER TABLE repositories ADD COLUMN last_attempt_id BIGINT",
         "ALTER TABLE repositories ADD COLUMN last_good_id BIGINT",
         f"""CREATE FUNCTION runs_keep_last() RETURNS trigger LANGUAGE plpgsql AS $body$
         BEGIN
             IF TG_OP <> 'INSERT' THEN
                 {_pg_keep_last("OLD.repository_id")};
             END IF;
             IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.repository_id <> OLD.repository_id) THEN
                 {_pg_keep_last("NEW.repository_id")};
             END IF;
             RETURN NULL;
         END $body$""",
         "CREATE TRIGGER runs_keep_last AFTER INSERT OR DELETE OR UPDATE OF repository_id, started_at, state"
         " ON runs FOR EACH ROW EXECUTE FUNCTION runs_keep_last()",
         _keep_last("repositories.id", ", id DESC"),
     ]),
]
