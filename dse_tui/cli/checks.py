"""`dse-tui verify`, `restore` and `accept`: the headless side of verification and restore."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dse_tui.cli.common import cancel_on_signals, h, lang, say
from dse_tui.core.texts import check_name
from dse_tui.core.profile.model import VERIFY_LEVELS
from dse_tui.jsonout import print_json

if TYPE_CHECKING:
    from dse_tui.core.keys.crypto import Keyring


def add_parsers(sub, common) -> None:
    verify = sub.add_parser("verify", parents=[common], help=h("help.verify"))
    verify.add_argument("repos", nargs="*", metavar=h("help.meta.repo"), help=h("help.verify.repos"))
    verify.add_argument("--run", type=int, action="append", metavar=h("help.meta.id"), help=h("help.verify.run"))
    verify.add_argument("--level", choices=VERIFY_LEVELS, help=h("help.verify.level"))
    verify.add_argument("--due", action="store_true", help=h("help.verify.due"))
    verify.add_argument("--copies", action="store_true", help=h("help.verify.copies"))
    verify.add_argument("--json", action="store_true", help=h("help.verify.json"))
    _identity_option(verify)

    restore = sub.add_parser("restore", parents=[common], help=h("help.restore"))
    restore.add_argument("run", type=int, nargs="?", metavar=h("help.meta.run"), help=h("help.restore.run"))
    restore.add_argument("--to", required=True, metavar=h("help.meta.target"), help=h("help.restore.to"))
    restore.add_argument("--database", metavar=h("help.meta.db"), help=h("help.restore.database"))
    restore.add_argument("--path", action="append", metavar=h("help.meta.path"), help=h("help.restore.path"))
    restore.add_argument("--table", action="append", metavar=h("help.meta.table"), help=h("help.restore.table"))
    restore.add_argument("--force", action="store_true", help=h("help.restore.force"))
    restore.add_argument("--confirm", metavar=h("help.meta.repo"), help=h("help.restore.confirm"))
    restore.add_argument("--json", action="store_true", help=h("help.restore.json"))
    _identity_option(restore)
    place_options(restore)

    accept = sub.add_parser("accept", parents=[common], help=h("help.accept"))
    accept.add_argument("run", type=int, metavar=h("help.meta.run"))
    accept.add_argument("--reason", required=True, metavar=h("help.meta.reason"), help=h("help.accept.reason"))


def place_options(parser) -> None:
    g = parser.add_argument_group(h("help.restore.from_copy"))
    g.add_argument("--from", dest="places", action="append", metavar=h("help.meta.place"), help=h("help.restore.from"))
    g.add_argument("--work", type=Path, metavar=h("help.meta.dir"), help=h("help.restore.work"))
    g.add_argument("--host", metavar=h("help.meta.host"), help=h("help.restore.host"))
    g.add_argument("--port", type=int, metavar=h("help.meta.port"), help=h("help.restore.port"))
    g.add_argument("--user", metavar=h("help.meta.user"), help=h("help.restore.user"))
    g.add_argument("--password-env", metavar=h("help.meta.var"), help=h("help.restore.password_env"))
    g.add_argument("--passfile", type=Path, metavar=h("help.meta.file"), help=h("help.restore.passfile"))
    g.add_argument("--ssh-identity", metavar=h("help.meta.file"), help=h("help.restore.ssh_identity"))
    g.add_argument("--ssh-option", action="append", default=[], metavar=h("help.meta.opt"), help=h("help.restore.ssh_option"))


def _identity_option(parser) -> None:
    parser.add_argument("--identity", action="append", type=Path, metavar=h("help.meta.file"), help=h("help.identity"))


def keyring_for(profile, args, runs) -> "Keyring":
    """The identities for these runs; a passphrase is asked for on a terminal when one is needed (else
    read from the profile's encryption.passphrase_env)."""
    import getpass

    from dse_tui.core.keys.crypto import IdentityError, Keyring, PassphraseNeeded, WrongPassphrase

    keyring = Keyring.for_profile(profile, getattr(args, "identity", None))
    for run in runs:
        if not run.encrypted:
            continue
        for _ in range(3):
            try:
                keyring.secret_for(run.key_ids.split())
                break
            except (PassphraseNeeded, WrongPassphrase) as exc:
                if not sys.stdin.isatty():
                    break  # the run's verification says which key and why
                if isinstance(exc, WrongPassphrase):
                    print(exc, file=sys.stderr)
                path = getattr(exc, "path", None) or say(args, "cli.verify.the_identity")
                keyring.passphrase = getpass.getpass(say(args, "cli.verify.passphrase", path=path))
            except IdentityError:
                break
    return keyring


def _level_of(profile, run) -> str:
    try:
        return profile.repository(run.repository).verify
    except KeyError:
        return "checksum"


def _load_run(args):
    """Profile, catalog and the run `args.run`, or None after saying what is wrong."""
    from dse_tui.cli.common import fail, load

    loaded = load(args)
    if loaded is None:
        return None
    profile, catalog = loaded
    run = catalog.run(args.run)
    if run is None:
        catalog.close()
        fail(say(args, "cli.no_run", run=args.run, path=profile.catalog_path))
        return None
    return profile, catalog, run


def cmd_verify(args) -> int:
    from dse_tui.cli.common import EXIT_UNKNOWN, fail, load
    from dse_tui.core.common.timeutil import utcnow
    from dse_tui.core.verification.runs import due_runs, verify_run

    loaded = load(args)
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog = loaded
    if (args.repos or args.run) and args.due:
        fail(say(args, "cli.verify.both"))
        return EXIT_UNKNOWN
    with catalog:
        runs = []
        for run_id in args.run or []:
            run = catalog.run(run_id)
            if run is None:
                fail(say(args, "cli.no_run", run=run_id, path=profile.catalog_path))
                return EXIT_UNKNOWN
            runs.append(run)
        for key in args.repos:
            try:
                profile.repository(key)
            except KeyError:
                fail(say(args, "cli.no_repository", repo=repr(key), file=profile.file,
                         known=", ".join(r.id for r in profile.repositories)))
                return EXIT_UNKNOWN
            latest = catalog.latest_kept_run(key)
            if latest is None:
                fail(say(args, "cli.verify.no_artifact", repo=key))
                return 1
            runs.append(latest)
        if not args.repos and not args.run:
            runs = due_runs(profile, catalog, utcnow())
        if args.copies:
            runs = []
        cancel = cancel_on_signals()
        # Only the deeper levels decrypt: a checksum never asks for a passphrase.
        keyring = keyring_for(profile, args, [r for r in runs if (args.level or _level_of(profile, r)) != "checksum"])
        outcomes = []
        copy_checks = _verify_copies(profile, catalog, args, cancel) if (args.copies or not (args.repos or args.run)) \
            else []
        for run in runs:
            if cancel.is_set():
                break
            outcome = verify_run(profile, catalog, run, level=args.level, trigger="cli", cancel=cancel, keyring=keyring)
            outcomes.append(outcome)
            if not args.json:
                print(f"{say(args, 'outcome.' + outcome.outcome):<9} {outcome.repository:<20} r{outcome.run_id:<6} "
                      f"{say(args, 'level.' + outcome.level):<9} "
                      f"{outcome.elapsed:6.1f}s  {outcome.message or ''}", flush=True)
                for check in outcome.checks:
                    if not check.ok:
                        mark = say(args, "cli.verify.na" if check.inconclusive else "cli.verify.fail")
                        print(f"    {mark:<4} {check_name(check.name, lang(args))}: {check.detail}")
    from dse_tui.cli.common import notify_after

    notify_after(profile, scan=False)
    if args.json:
        items = [o.as_json() for o in outcomes] + [{"kind": "copy", **c.as_json()} for c in copy_checks]
        print_json(items)
    elif not runs and not copy_checks:
        print(say(args, "cli.verify.none_due"))
    bad = [o for o in outcomes if not o.passed] + [c for c in copy_checks if c.outcome in ("failed", "cancelled")]
    if bad:
        print("dse-tui verify: " + say(args, "cli.verify.bad", n=len(bad), total=len(outcomes) + len(copy_checks)),
              file=sys.stderr)
    return 1 if bad or len(outcomes) < len(runs) else 0


def _verify_copies(profile, catalog, args, cancel) -> list:
    """Copies: all those of the repositories named, else those due by `verify_every`."""
    from dse_tui.core.destinations.verify import due_copies, verify_copy
    from dse_tui.core.common.timeutil import utcnow

    checks = []
    if args.run:
        copies = catalog.verified_copies_list(list(args.run))
    else:
        copies = due_copies(profile, catalog, utcnow(), args.repos or None)
    for copy in copies:
        if cancel.is_set():
            break
        check = verify_copy(profile, catalog, copy, trigger="cli", cancel=cancel)
        checks.append(check)
        if not args.json:
            on = say(args, "cli.verify.copy_on", destination=check.destination)
            print(f"{say(args, 'outcome.' + check.outcome):<12} {check.repository:<20} r{check.run_id:<6} {on:<22} "
                  f"{check.message or ''}", flush=True)
    return checks


def cmd_restore(args) -> int:
    from dse_tui.cli.common import EXIT_UNKNOWN, fail
    from dse_tui.core.restore.run import RestoreError, plan, restore
    from dse_tui.core.verification.levels import VerifyFailed

    if args.places:  # a copy anywhere, with or without this machine's profile and catalog
        from dse_tui.cli.restore_place import cmd_restore_from

        return cmd_restore_from(args, keyring_for)
    if args.run is None:
        fail("name the run to restore (dse-tui restore RUN --to TARGET), or a copy with --from PLACE")
        return EXIT_UNKNOWN
    loaded = _load_run(args)
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog, run = loaded
    with catalog:
        try:
            parts = _parts_asked(profile, run, args)
            p = plan(profile, run, args.to, args.database, parts=parts)
        except KeyError:
            fail(say(args, "cli.restore.gone", run=run.id, repo=run.repository))
            return 1
        except (RestoreError, VerifyFailed) as exc:
            fail(str(exc))
            return 1
        confirm = args.confirm
        if p.live and confirm is None and sys.stdin.isatty():
            print(f"{p.describe()}\n" + say(args, "cli.restore.confirm", repo=p.repository.id), file=sys.stderr)
            confirm = sys.stdin.readline().strip()
        try:
            outcome = restore(profile, catalog, p, force=args.force, confirm=confirm, cancel=cancel_on_signals(),
                              log=lambda line: print(line, file=sys.stderr),
                              keyring=keyring_for(profile, args, [run]))
        except RestoreError as exc:
            fail(str(exc))
            return 1
    if args.json:
        print_json([outcome.as_json()])
    else:
        print(f"{say(args, 'restored.' + outcome.outcome):<9} r{outcome.run_id:<6} {outcome.elapsed:6.1f}s  {outcome.target}"
              + (f"  {outcome.message}" if outcome.message else ""))
    return 0 if outcome.outcome == "done" else 1


def _parts_asked(profile, run, args) -> tuple[str, ...]:
    """--path or --table, as the run's driver restores parts (RestoreError when it does not so)."""
    from dse_tui.core import drivers
    from dse_tui.core.restore.run import RestoreError

    paths, tables = tuple(args.path or ()), tuple(args.table or ())
    if not paths and not tables:
        return ()
    if paths and tables:
        raise RestoreError("name --path (files and folders) or --table (tables of a database), not both")
    repo = profile.repository(run.repository)
    kind = drivers.get(repo.driver).parts
    asked = "paths" if paths else "tables"
    if kind is not None and kind != asked:
        option = "--path" if kind == "paths" else "--table"
        raise RestoreError(f"run {run.id} is a {repo.driver} run: name its parts with {option}")
    return paths or tables


def cmd_accept(args) -> int:
    from dse_tui.cli.common import EXIT_UNKNOWN, fail
    from dse_tui.core.verification.runs import AcceptError, accept_run

    loaded = _load_run(args)
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog, run = loaded
    with catalog:
        try:
            accept_run(catalog, run, args.reason)
        except AcceptError as exc:
            fail(str(exc))
            return 1
    print(say(args, "cli.accept.done", run=run.id, repo=run.repository, reason=args.reason.strip()))
    return 0


COMMANDS = {"verify": cmd_verify, "restore": cmd_restore, "accept": cmd_accept}
