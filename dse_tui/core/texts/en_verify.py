"""English texts of a verification's checks beyond the generic ones (en_backup.py: verify.*): what the
drivers, the files' comparison, a copy's decryption and the verification's own failures say, and the names
of checks (checkname.*, a check name's first words, translated at display)."""

TEXTS: dict[str, str | dict[str, str]] = {
    # ---- a check name's first words (the rest names a part, a database: kept as it is) ----
    "checkname.structure": "structure",
    "checkname.restore": "restore",
    "checkname.rows": "rows",
    "checkname.heads": "heads",
    "checkname.cloned heads": "cloned heads",
    "checkname.fsck": "fsck",
    "checkname.complete": "complete",
    "checkname.scratch": "scratch",
    "checkname.scratch database for": "scratch database for",
    "checkname.drop": "drop",
    "checkname.event chain": "event chain",
    "checkname.decrypted": "decrypted",
    "checkname.min_size": "min_size",
    "checkname.require": "require",
    "checkname.shrink": "shrink",
    # ---- the verification itself (verification/runs.py, levels.py) ----
    "verify.run_failed_reason": "run {run} failed verification ({level}): {message}",
    "verify.run_failed": "verification failed: {message}",
    "verify.no_scratch": "cannot create a scratch folder under {root}: {error}",
    "verify.no_artifact": "the run has no artifact (it failed, or retention pruned it)",
    "verify.no_artifact_message": "the run has no artifact to verify",
    "verify.pruned_meanwhile": "pruned by retention while verified",
    "verify.timed_out": "timed out after {timeout}",
    "verify.not_installed": "{tool} is not installed",
    "verify.complete_ok": "ends with {tool}'s completion line",
    "verify.complete_missing": "{tool}'s completion line is missing: the dump was cut short",
    "verify.dump_tool": "the dump tool",
    "verify.rows_differ": "{table}: {rows} rows, {recorded} at backup",
    "verify.rows_table_missing": "{table}: missing rows, {recorded} at backup",
    "verify.rows_unrecorded": "{table}: not in the backup's record",
    # ---- the site's rules (verification/rules.py) ----
    "rule.min_size": "{size} (at least {min} required)",
    "rule.require_missing": "missing: {names}",
    "rule.require_ok": {"one": "{n} required name(s) present", "other": "{n} required name(s) present"},
    "rule.shrink_accepted": "{size} against a median of {median}; accepted: {reason}",
    "rule.shrink_small": {"one": "{size} is under {percent}% of the median {median} of the last {n} good run(s): "
                                 "accept it with a reason if that is expected",
                          "other": "{size} is under {percent}% of the median {median} of the last {n} good run(s): "
                                   "accept it with a reason if that is expected"},
    "rule.shrink_ok": "{size} against a median of {median}",
}
