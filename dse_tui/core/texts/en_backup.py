"""English texts of backups, restores and manual sessions: a driver's failures, what to do about a tool's
error (advice.*), and why a manual backup cannot be registered."""

TEXTS: dict[str, str | dict[str, str]] = {
    # ---- a run's outcome, as the catalog keeps it (engine/runner.py) ----
    "run.msg.cancelled_before": "cancelled before it started",
    "run.msg.storage": "cannot use {root}: {error}",
    "run.msg.catalog": "the catalog {catalog} failed: {error}",
    "run.msg.running_on": "running on {host}",
    "run.msg.already": "{repo} is already running ({holder}); wait for it to end",
    "run.msg.meanwhile": "backed up meanwhile by another host",
    "run.msg.lease_lost": "the lease was lost: {error}",
    "run.msg.lease_stopped": "stopped: its lease in the catalog was lost (another host may run it)",
    "run.msg.cancelled": "cancelled by the operator",
    "run.msg.timed_out": "timed out after {timeout}: raise `timeout` in the profile or find why it is slow",
    "run.msg.not_installed": "{tool} is not installed or not on PATH",
    "run.msg.disk_full": "the disk under {root} is full: free space or move storage.root",
    "run.msg.internal": "internal error: {error}",
    "run.msg.unverified": "could not be verified: {why}",
    "run.msg.unsatisfactory": "not satisfactory: {why}",
    # ---- what to do about what a tool said (drivers/base.py ADVICE) ----
    "advice.pg_authid": "pg_dumpall reads the roles' password hashes, which only a superuser may: set "
                        "source.globals: without-passwords (roles without their passwords) or false, or back up "
                        "as a superuser",
    "advice.pg_table": "the role needs SELECT on every table: GRANT pg_read_all_data TO the role (PostgreSQL 14+), "
                       "or grant SELECT table by table",
    "advice.pg_schema": "the role needs USAGE on every schema: GRANT pg_read_all_data TO the role (PostgreSQL 14+)",
    "advice.pg_sequence": "the role needs SELECT on every sequence: GRANT pg_read_all_data TO the role",
    "advice.pg_createdb": "restore-level verification and restore create databases: ALTER ROLE … CREATEDB",
    "advice.my_process": "mariadb-dump lists tablespaces, which needs PROCESS: GRANT PROCESS ON *.* TO the user",
    "advice.my_database": "the user lacks privileges on that database: a backup user needs SELECT, SHOW VIEW, "
                          "TRIGGER, EVENT and LOCK TABLES on it (and CREATE, DROP, INSERT… on `dse\\_verify\\_%` for "
                          "restore-level verification)",
    "advice.my_command": "the user lacks a privilege the dump needs: SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES "
                         "(and PROCESS for tablespaces)",
    "advice.password": "check the user and the password (password_env or passfile) in the profile",
    "advice.ssh_key": "ssh key authentication failed: check ssh.identity_file and the server's authorized_keys",
    "advice.ssh_host": "check ssh.host (or host) in the profile",
    "advice.server_down": "is the server running, and listening on that host and port?",
    "advice.unreachable": "is the host reachable from here (network, firewall)?",
    "advice.names": "check the names in the profile's source",
    "advice.paths": "check the paths in the profile's source on that host",
    "advice.disk_full": "free space under storage.root or move it",
    "tool.no_answer": "no answer within {seconds:.0f} s",
    "tool.exit_status": "exit status {status}",
    # ---- a driver's backup ----
    "backup.part_failed": "{file}: {failure}{advice}",
    "backup.dump_empty": "{file}: the dump is empty where data was expected",
    "backup.read_back_differs": "{file} read back differs from what was written (size {size}, expected "
                                "{expected}): check the disk under {folder}",
    "backup.sqlite_missing": "the database {path} does not exist: check source.path in the profile",
    "backup.sqlite_failed": "SQLite backup of {path} failed: {error}",
    "backup.sqlite_integrity": "the copy of {path} fails PRAGMA integrity_check: {integrity}",
    "backup.git_not_repo": "{path} is not a git repository: {error}",
    "backup.git_missing": "the repository {path} does not exist: check source.path in the profile",
    "backup.git_empty": "{path} has no commits yet: there is nothing to bundle",
    "backup.no_files": "no files to register",
    # ---- a driver's restore ----
    "restore.stage_failed": "{what}: {failure}",
    "restore.sqlite.copy_failed": "the tables cannot be copied out of the run's database: {error}",
    "restore.sqlite.counts_differ": "the restored tables are not as the run holds them (rows {counts}, the run "
                                    "counted {wanted}; integrity: {integrity})",
    "restore.git.not_empty": "git cannot restore into the non-empty folder {target} that is not a repository",
    "restore.git.failed": "git: {error}",
    "restore.git.whole": "a git run is a bundle of the repository's history, not a tree of files: restore it whole "
                         "into a new folder, then take a path as it was from its clone (git -C FOLDER checkout "
                         "BRANCH -- PATH, or git show BRANCH:PATH)",
    # ---- registering what a manual backup produced ----
    "register.no_files": "name at least one file the manual backup produced",
    "register.missing": "{path} does not exist",
    "register.not_file": "{path} is neither a file nor a folder",
    "register.empty": "{path} is empty: it cannot be a backup",
    "register.unreadable": "cannot read {path}: {error}",
    "register.same_name": "{path} and {other} would both be stored as {part}: rename one",
    "register.no_own_part": "none of these is {what}: a manual backup of a {driver} repository holds at least one, "
                            "so that its checks can tell whether it is good",
    "register.no_session": "there is no session {session}",
    "register.not_finished": "session {session} is {state}: finish its checklist before registering what it "
                             "produced",
    "register.repository_gone": "repository {repo} of session {session} is no longer in the profile",
    # ---- a session's steps (sessions/machine.py) ----
    "machine.no_session": "there is no session {session}",
    "machine.no_step": "session {session} has no step '{step}'",
    "machine.record": "session {session} is {state}: it is a record now and cannot change",
    "machine.evidence_first": "step '{step}' asks for evidence first: {prompt} (press e to give it)",
    "machine.required": "step '{step}' is required: it cannot be skipped",
    "machine.skip_reason": "skipping a step needs a reason",
    "machine.no_evidence": "step '{step}' asks for no evidence; write it in the notes",
    "machine.not_done": {"one": "1 required step not done yet: {steps}",
                         "other": "{n} required steps not done yet: {steps}"},
    "machine.abandon_reason": "abandoning a session needs a reason",
}
