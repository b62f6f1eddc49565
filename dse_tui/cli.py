"""The `dse-tui` command: the TUI with no subcommand, headless subcommands for cron and monitoring.

Imports are local to each command so `dse-tui status` from cron does not pay for Textual.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dse_tui import __version__
from dse_tui.jsonout import print_json

EXIT_UNKNOWN = 3  # monitoring plugins' UNKNOWN: the profile or catalog could not be used
EXIT_NOT_STORED = 4  # `run`: every run good, but not all on as many distinct devices as asked (4.2.1)


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 3, not argparse's 2: for `status`, 2 means a failed backup to monitoring."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_UNKNOWN, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    # SUPPRESS keeps a value given before the subcommand from being reset by the subparser's default.
    common.add_argument("--profile", metavar="FILE", default=argparse.SUPPRESS,
                        help="site profile (default: $DSE_TUI_PROFILE, then the user's config directory)")

    parser = _Parser(
        prog="dse-tui", parents=[common],
        description="Backup console for the DSE backup procedure (PRO 7.5 DSE 02). "
                    "With no command, opens the dashboard.")
    parser.add_argument("--version", action="version", version=f"dse-tui {__version__}")
    parser.add_argument("--demo", action="store_true", help="open the TUI on the demo site (created the first time)")
    parser.add_argument("--lang", choices=("es", "en"), help="interface language (default: profile, then locale)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    demo = sub.add_parser("demo", parents=[common], help="the demo site")
    demo_sub = demo.add_subparsers(dest="demo_command", metavar="ACTION", required=True, parser_class=_Parser)
    init = demo_sub.add_parser("init", help="create the demo site headless and print its profile path")
    init.add_argument("directory", nargs="?", type=Path, help="where (default: the user's data directory)")

    sub.add_parser("check", parents=[common],
                   help="validate the profile and checklists, then check tools, servers and destinations")

    status = sub.add_parser("status", parents=[common],
                            help="one row per repository; exit 0 ok, 1 due/overdue/never, 2 failed/manual-required")
    fmt = status.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="a JSON list of objects (stable, see docs/operator.md)")
    fmt.add_argument("--prometheus", action="store_true",
                     help="node-exporter textfile format (last good run time, size, copies, state per repository)")
    run = sub.add_parser("run", parents=[common], help="back up what is due (default), --all, or the repositories named")
    which = run.add_mutually_exclusive_group()
    which.add_argument("--due", action="store_true", help="the repositories that are due, overdue or never backed up")
    which.add_argument("--all", action="store_true", help="every repository")
    run.add_argument("repos", nargs="*", metavar="REPO", help="repository ids")
    run.add_argument("--json", action="store_true", help="a JSON list, one object per run (see docs/operator.md)")
    notify_p = sub.add_parser("notify", parents=[common],
                              help="mail what is overdue or expiring, the daily summary, and every mail that waits")
    notify_p.add_argument("--test", action="store_true", help="also send a test message")
    prune_p = sub.add_parser("prune", parents=[common], help="remove runs that retention no longer keeps")
    prune_p.add_argument("repos", nargs="*", metavar="REPO", help="repository ids (default: all)")
    prune_p.add_argument("--dry-run", action="store_true", help="say what would be removed, remove nothing")
    from dse_tui import cli_audit, cli_checklists, cli_checks, cli_keys, cli_labels, cli_media, cli_sessions

    cli_checks.add_parsers(sub, common)
    cli_checklists.add_parsers(sub, common)
    cli_sessions.add_parsers(sub, common)
    cli_media.add_parsers(sub, common)
    cli_labels.add_parsers(sub, common)
    cli_audit.add_parsers(sub, common)
    cli_keys.add_parsers(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "tui"
    from dse_tui import cli_audit, cli_checklists, cli_checks, cli_keys, cli_labels, cli_media, cli_sessions

    commands = {**COMMANDS}
    for module in (cli_checks, cli_checklists, cli_sessions, cli_media, cli_labels, cli_audit, cli_keys):
        commands.update(module.COMMANDS)
    try:
        return commands[command](args)
    except KeyboardInterrupt:
        print("dse-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `dse-tui status | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # a bug: one line for the user, the traceback on request
        if isinstance(exc, OSError) and exc.filename is not None:
            # A file the command was told to write or read (`--output /no/such/dir/x.pdf`): the path and why.
            print(f"dse-tui: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        if os.environ.get("DSE_TUI_DEBUG"):
            raise
        print(f"dse-tui: internal error: {exc!r} (run with DSE_TUI_DEBUG=1 for the traceback, "
              "and please report it)", file=sys.stderr)
        return EXIT_UNKNOWN


def _profile_path(args) -> Path:
    from dse_tui.core.config import profile_path_from_env

    return profile_path_from_env(getattr(args, "profile", None))


def _load(args, readonly: bool = False):
    """Profile and catalog for a headless command, or a short error on stderr and None.
    `readonly`: for commands that only read (a monitoring user may have no write access)."""
    from dse_tui.core.catalog import CatalogError, open_catalog
    from dse_tui.core.problems import ConfigError
    from dse_tui.core.config import load_profile

    path = _profile_path(args)
    if not path.exists():
        _fail(f"no profile at {path}: pass --profile FILE or set DSE_TUI_PROFILE "
              "(try `dse-tui demo init` for a working example)")
        return None
    try:
        profile = load_profile(path)
    except ConfigError as exc:
        _fail(f"the profile has {len(exc.problems)} problem(s):\n{exc}")
        return None
    import sqlite3

    try:
        catalog = open_catalog(profile, readonly=readonly)
        if not readonly:
            from dse_tui.core.audit import note_profile

            note_profile(catalog, profile)
    except (CatalogError, sqlite3.Error) as exc:
        _fail(f"cannot use the catalog {profile.catalog_path}: {exc}")
        return None
    return profile, catalog


def _fail(message: str) -> None:
    print(f"dse-tui: {message}", file=sys.stderr)


def cmd_tui(args) -> int:
    from dse_tui.ui.app import run_tui

    profile = None
    if args.demo:
        from dse_tui.core.demo import init_demo

        try:
            profile = init_demo()
        except OSError as exc:
            _fail(f"cannot create the demo site: {exc}; try `dse-tui demo init DIR` with a folder you can write")
            return 1
    return run_tui(profile or _profile_path(args), language=args.lang)


def cmd_demo(args) -> int:
    from dse_tui.core.demo import init_demo

    try:
        path = init_demo(args.directory)
    except (OSError, FileNotFoundError) as exc:
        _fail(f"cannot create the demo site: {exc}")
        return 1
    print(f"demo site ready; open it with: dse-tui --profile {path}")
    print(path)
    return 0


def cmd_check(args) -> int:
    from dse_tui.core.checklists import load_checklists, site_checklists
    from dse_tui.core.config import load_profile
    from dse_tui.core.preflight import run_checks
    from dse_tui.core.problems import ConfigError

    path = _profile_path(args)
    problems = []
    profile = checklists = None
    try:
        profile = load_profile(path)
    except ConfigError as exc:
        problems += exc.problems
    try:
        checklists = site_checklists(profile) if profile else load_checklists()
    except ConfigError as exc:
        problems += exc.problems
    for problem in problems:
        print(f"error  {problem}")
    if profile is None:
        print(f"dse-tui check: {len(problems)} problem(s); fix the profile and run again", file=sys.stderr)
        return 1
    print(f"ok     profile {path}: {len(profile.repositories)} repositories, "
          f"{len(profile.destinations)} destinations")
    if checklists:
        print(f"ok     checklists: {', '.join(sorted(checklists))}")
    findings = run_checks(profile, checklists or {})
    for finding in findings:
        print(finding)
    errors = len(problems) + sum(f.level == "error" for f in findings)
    warnings = sum(f.level == "warn" for f in findings)
    if errors:
        print(f"dse-tui check: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def _notify(profile, scan: bool = True) -> None:
    """After the work of a headless command: the state's alerts, then the mail that waits (never fatal)."""
    if profile.notify is None:
        return
    from dse_tui.core import notify
    from dse_tui.core.catalog import open_catalog

    try:
        with open_catalog(profile) as catalog:
            if scan:
                notify.scan(profile, catalog)
                notify.daily_summary(profile, catalog)
            notify.flush(profile, catalog, log=lambda line: print(f"dse-tui: {line}", file=sys.stderr))
    except Exception as exc:  # mail must never turn a good backup into a failed command
        print(f"dse-tui: notifications not sent: {exc}", file=sys.stderr)


def cmd_notify(args) -> int:
    """`dse-tui notify [--test]`: alerts for what is overdue or expiring, the daily summary, and every mail
    that waits; `--test` sends a test message."""
    loaded = _load(args)
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog = loaded
    if profile.notify is None:
        _fail(f"the profile {profile.file} has no `notify:` section")
        return EXIT_UNKNOWN
    from dse_tui.core import notify

    with catalog:
        if args.test:
            notify.queue(profile, catalog, "test", "Test message", f"dse-tui can send mail from {profile.site.name}.\n",
                         key=None)
        notify.scan(profile, catalog)
        notify.daily_summary(profile, catalog)
        sent, waiting = notify.flush(profile, catalog, log=lambda line: print(f"dse-tui: {line}", file=sys.stderr))
    print(f"{sent} mail(s) sent, {waiting} waiting")
    return 0 if waiting == 0 else 1


def cmd_status(args) -> int:
    from dse_tui.core.schedule import exit_code, statuses
    from dse_tui.core.timeutil import utcnow

    import sqlite3

    loaded = _load(args, readonly=True)
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog = loaded
    try:
        with catalog:
            items = statuses(profile, catalog, utcnow())
    except sqlite3.Error as exc:
        _fail(f"cannot read the catalog {profile.catalog_path}: {exc}")
        return EXIT_UNKNOWN
    if args.json:
        print_json([s.as_json() for s in items])
    elif args.prometheus:
        from dse_tui.core.prometheus import render

        sys.stdout.write(render(items, profile.site.id))
    else:
        from dse_tui.status_table import render_table

        print(render_table(items, utcnow(), color=sys.stdout.isatty()))
    return exit_code(items)


def cmd_run(args) -> int:
    from dse_tui.cli_checks import _cancel_on_signals

    # First of all: a ^C or a systemd stop from here on cancels the runs cleanly (their tools stopped,
    # the runs recorded cancelled), however early it comes.
    cancel = _cancel_on_signals()
    from dse_tui.core.batch import pick, run_many
    from dse_tui.fmt import size
    from dse_tui.core.timeutil import utcnow

    loaded = _load(args)
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog = loaded
    if args.repos and (args.all or args.due):
        _fail("name repositories or use --all/--due, not both")
        return EXIT_UNKNOWN
    with catalog:
        try:
            repos = pick(profile, catalog, utcnow(), names=args.repos, everything=args.all)
        except KeyError as exc:
            _fail(f"no repository {exc.args[0]!r} in {profile.file}; known: "
                  f"{', '.join(r.id for r in profile.repositories)}")
            return EXIT_UNKNOWN

    def report(outcome) -> None:
        if not args.json:
            from dse_tui.core.drivers.files import not_archived_line

            # A failed run may keep its artifact (as evidence): why it failed is what to read first.
            where = (outcome.artifact if outcome.state == "good" else outcome.message) or outcome.artifact or ""
            print(f"{outcome.state:<9} {outcome.repository:<20} "
                  f"{('r' + str(outcome.run_id)) if outcome.run_id else '-':<7} "
                  f"{size(outcome.size):>10} {outcome.elapsed:6.1f}s  {where}", flush=True)
            for entry in outcome.not_archived or []:
                print(f"{'':<9} not archived: {not_archived_line(entry)}", flush=True)

    outcomes = run_many(profile, repos, trigger="cli", on_outcome=report, cancel=cancel)
    _notify(profile)
    if args.json:
        print_json([o.as_json() for o in outcomes])
    elif not repos:
        print("nothing is due")
    failed = [o for o in outcomes if o.state != "good"]
    if failed:
        print(f"dse-tui run: {len(failed)} of {len(outcomes)} run(s) did not succeed: "
              f"{', '.join(o.repository for o in failed)}", file=sys.stderr)
        return 1
    unstored = [o for o in outcomes if not o.stored]
    if unstored:
        print(f"dse-tui run: {len(unstored)} good run(s) not stored on enough distinct devices yet: "
              f"{', '.join(o.repository for o in unstored)}; `dse-tui copy` tries again", file=sys.stderr)
        return EXIT_NOT_STORED
    return 0


def cmd_prune(args) -> int:
    from dse_tui.core.locks import AlreadyRunning, RepoLock
    from dse_tui.core.retention import prune

    loaded = _load(args)
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog = loaded
    try:
        repos = [profile.repository(r) for r in args.repos] if args.repos else list(profile.repositories)
    except KeyError as exc:
        _fail(f"no repository {exc.args[0]!r} in {profile.file}")
        return EXIT_UNKNOWN
    status = 0
    removed = 0
    with catalog:
        for repo in repos:
            try:
                with RepoLock(profile.storage_root, repo.id):  # never prune under a running backup
                    decisions = prune(profile, catalog, repo, dry_run=args.dry_run)
            except (AlreadyRunning, OSError) as exc:  # one repository's trouble does not stop the others
                print(f"skip         {repo.id}: {exc}")
                status = 1
                continue
            for d in decisions:
                verb = "keep" if d.keep else ("would remove" if args.dry_run else "removed")
                why = ", ".join(d.reasons) or "no retention rule keeps it"
                print(f"{verb:<12} {repo.id:<20} r{d.run.id:<6} {d.run.started_at.astimezone():%Y-%m-%d %H:%M}  {why}")
                removed += not d.keep
    print(f"{removed} run(s) {'would be ' if args.dry_run else ''}removed", file=sys.stderr)
    return status


COMMANDS = {"prune": cmd_prune, "run": cmd_run, "tui": cmd_tui, "demo": cmd_demo, "check": cmd_check, "status": cmd_status,
            "notify": cmd_notify}
