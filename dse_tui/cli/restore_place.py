"""`dse-tui restore --from PLACE`: a run restored from a copy anywhere, on this machine or on a new one
with no profile and no catalog (called by checks.py's `restore`; not a command group of its own)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

from dse_tui.cli.common import EXIT_UNKNOWN, cancel_on_signals, fail, lang, profile_path, say
from dse_tui.jsonout import print_json


def _asker(args):
    """A missing disc asked for on a terminal, by its label's code: its image or where it is mounted (a
    drive: /dev/sr0). Without a terminal (cron) nothing is asked: the error names the disc."""
    def ask(wanted) -> str | None:
        if not sys.stdin.isatty():
            return None
        print(say(args, "cli.restore.insert", what=wanted), file=sys.stderr)
        return sys.stdin.readline().strip() or None
    return ask


def _work_folder(args, profile) -> Path:
    if args.work:
        return Path(args.work).expanduser()
    if profile is not None:
        return profile.storage_root / ".copies"
    from platformdirs import user_cache_path

    return user_cache_path("dse-tui") / "copies"


def cmd_restore_from(args, keyring_for) -> int:
    from dse_tui.cli.common import load
    from dse_tui.core.catalog import current_operator
    from dse_tui.core.drivers.base import RestoreError
    from dse_tui.core.keys.crypto import manifest_key_ids
    from dse_tui.core.restore.found import PlaceError
    from dse_tui.core.restore.place import context_for, open_copy, plan, record, restore_copy
    from dse_tui.core.restore.sshcopy import SshOptions

    profile = catalog = None
    if profile_path(args).exists():  # this machine's own: the restore is recorded
        loaded = load(args)
        if loaded is None:
            return EXIT_UNKNOWN
        profile, catalog = loaded
    lang(args)  # what the core says (str() of its errors) in the command's language
    log = lambda line: print(line, file=sys.stderr)  # noqa: E731
    cancel = cancel_on_signals()
    work = _work_folder(args, profile)
    server = {"host": args.host, "port": args.port, "user": args.user, "password_env": args.password_env,
              "passfile": str(args.passfile) if args.passfile else None}
    try:
        with open_copy(args.places, args.run, work, ask=_asker(args), cancel=cancel, log=log,
                       ssh=SshOptions(args.ssh_identity, tuple(args.ssh_option))) as opened:
            used, repo = context_for(opened.manifest, profile, server, work)
            paths, tables = tuple(args.path or ()), tuple(args.table or ())
            if paths and tables:
                raise RestoreError("name --path (files and folders) or --table (tables of a database), not both")
            t = plan(opened, used, repo, args.to, args.database, parts=paths or tables)
            confirm = args.confirm
            if t.live and confirm is None and sys.stdin.isatty():
                print(f"{t.target} is the live source of {repo.id}: this overwrites the live data. Type the "
                      f"repository id ({repo.id}) to go on:", file=sys.stderr)
                confirm = sys.stdin.readline().strip()
            keyring = keyring_for(used, args, [SimpleNamespace(encrypted=True, key_ids=" ".join(
                manifest_key_ids(opened.manifest)))] if manifest_key_ids(opened.manifest) else [])
            out = restore_copy(opened, used, repo, t, force=args.force, confirm=confirm, keyring=keyring,
                               cancel=cancel, log=log)
            if catalog is not None:
                out.recorded = record(catalog, used, opened, t, out, current_operator())
    except (PlaceError, RestoreError) as exc:
        fail(str(exc))
        return 1
    finally:
        if catalog is not None:
            catalog.close()
    if args.json:
        print_json([out.as_json()])
    else:
        print(f"{out.outcome:<9} r{out.run_id:<6} {out.elapsed:6.1f}s  {out.target}"
              + (f"  {out.message}" if out.message else ""))
    print(f"recorded as {out.recorded}" if out.recorded else
          "not recorded anywhere: there is no profile or catalog on this machine (keep this output)", file=sys.stderr)
    return 0 if out.outcome == "done" else 1
