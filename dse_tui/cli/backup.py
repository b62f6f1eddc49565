"""`dse-tui` (the console), `demo init`, `check`, `status`, `run`, `notify`, `prune`: the backups themselves
and their state, headless for cron and monitoring."""

from __future__ import annotations

import sys
from pathlib import Path

from dse_tui.cli.common import (
    EXIT_NOT_STORED, EXIT_UNKNOWN, Parser, cancel_on_signals, fail, h, lang, load, notify_after, profile_path, say,
    speak,
)
from dse_tui.jsonout import print_json


def add_parsers(sub, common) -> None:
    demo = sub.add_parser("demo", parents=[common], help=h("help.demo"))
    demo_sub = demo.add_subparsers(dest="demo_command", metavar=h("help.meta.action"), required=True, parser_class=Parser)
    init = demo_sub.add_parser("init", help=h("help.demo.init"))
    init.add_argument("directory", nargs="?", type=Path, metavar=h("help.meta.directory"), help=h("help.demo.init.directory"))

    sub.add_parser("check", parents=[common], help=h("help.check"))

    status = sub.add_parser("status", parents=[common], help=h("help.status"))
    fmt = status.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help=h("help.status.json"))
    fmt.add_argument("--prometheus", action="store_true", help=h("help.status.prometheus"))
    run = sub.add_parser("run", parents=[common], help=h("help.run"))
    which = run.add_mutually_exclusive_group()
    which.add_argument("--due", action="store_true", help=h("help.run.due"))
    which.add_argument("--all", action="store_true", help=h("help.run.all"))
    run.add_argument("repos", nargs="*", metavar=h("help.meta.repo"), help=h("help.run.repos"))
    run.add_argument("--json", action="store_true", help=h("help.run.json"))
    notify_p = sub.add_parser("notify", parents=[common], help=h("help.notify"))
    notify_p.add_argument("--test", action="store_true", help=h("help.notify.test"))
    prune_p = sub.add_parser("prune", parents=[common], help=h("help.prune"))
    prune_p.add_argument("repos", nargs="*", metavar=h("help.meta.repo"), help=h("help.prune.repos"))
    prune_p.add_argument("--dry-run", action="store_true", help=h("help.prune.dry_run"))


def cmd_tui(args) -> int:
    from dse_tui.ui.app import run_tui

    profile = None
    if args.demo:
        from dse_tui.core.profile.demo import init_demo

        try:
            profile = init_demo()
        except OSError as exc:
            fail(say(args, "cli.demo.cannot_tui", error=exc))
            return 1
    return run_tui(profile or profile_path(args), language=getattr(args, "lang", None))


def cmd_demo(args) -> int:
    from dse_tui.core.profile.demo import init_demo

    try:
        path = init_demo(args.directory)
    except (OSError, FileNotFoundError) as exc:
        fail(say(args, "cli.demo.cannot", error=exc))
        return 1
    print(say(args, "cli.demo.ready", path=path))
    print(path)
    return 0


def cmd_check(args) -> int:
    from dse_tui.core.sessions.checklists import load_checklists, site_checklists
    from dse_tui.core.profile.config import load_profile
    from dse_tui.core.profile.check import run_checks
    from dse_tui.core.profile.problems import ConfigError

    path = profile_path(args)
    if not path.exists():  # not a problem in a profile: there is none, and the way to one is the answer
        fail(say(args, "cli.no_profile", path=path))
        return 1
    problems = []
    profile = checklists = None
    try:
        profile = speak(args, load_profile(path))
    except ConfigError as exc:
        problems += exc.problems
    try:
        checklists = site_checklists(profile) if profile else load_checklists()
    except ConfigError as exc:
        problems += exc.problems
    for problem in problems:
        print(f"{say(args, 'check.level.error'):<5}  {problem}")
    if profile is None:
        print("dse-tui check: " + say(args, "cli.check.unusable", n=len(problems)), file=sys.stderr)
        return 1
    ok = f"{say(args, 'check.level.ok'):<5}  "
    print(ok + say(args, "cli.check.profile", path=path, repos=say(args, "cli.check.repos", n=len(profile.repositories)),
                   dests=say(args, "cli.check.dests", n=len(profile.destinations))))
    if checklists:
        print(ok + say(args, "cli.check.checklists", names=", ".join(sorted(checklists))))
    findings = run_checks(profile, checklists or {})
    for finding in findings:
        print(finding.line(lang(args)))
    errors = len(problems) + sum(f.level == "error" for f in findings)
    warnings = sum(f.level == "warn" for f in findings)
    if errors:
        print("dse-tui check: " + say(args, "cli.check.errors", n=errors) + ", "
              + say(args, "cli.check.warnings", n=warnings), file=sys.stderr)
    return 1 if errors else 0


def cmd_notify(args) -> int:
    """`dse-tui notify [--test]`: alerts for what is overdue or expiring, the daily summary, and every mail
    that waits; `--test` sends a test message."""
    loaded = load(args)
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog = loaded
    if profile.notify is None:
        fail(say(args, "cli.notify.none", file=profile.file))
        return EXIT_UNKNOWN
    from dse_tui.core.records import notify
    with catalog:
        if args.test:
            notify.test_message(profile, catalog)
        notify.scan(profile, catalog)
        notify.daily_summary(profile, catalog)
        sent, waiting = notify.flush(profile, catalog, log=lambda line: print(f"dse-tui: {line}", file=sys.stderr))
    print(say(args, "cli.notify.sent", n=sent, waiting=waiting))
    return 0 if waiting == 0 else 1


def cmd_status(args) -> int:
    from dse_tui.core.engine.schedule import exit_code, statuses
    from dse_tui.core.common.timeutil import utcnow

    import sqlite3

    loaded = load(args, readonly=True)
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog = loaded
    try:
        with catalog:
            items = statuses(profile, catalog, utcnow())
    except sqlite3.Error as exc:
        fail(say(args, "cli.catalog_unreadable", path=profile.catalog_path, error=exc))
        return EXIT_UNKNOWN
    if args.json:
        print_json([s.as_json() for s in items])
    elif args.prometheus:
        from dse_tui.core.records.prometheus import render

        sys.stdout.write(render(items, profile.site.id))
    else:
        from dse_tui.status_table import render_table

        print(render_table(items, utcnow(), color=sys.stdout.isatty(), lang=lang(args)))
    return exit_code(items)


def cmd_run(args) -> int:

    # First of all: a ^C or a systemd stop from here on cancels the runs cleanly (their tools stopped,
    # the runs recorded cancelled), however early it comes.
    cancel = cancel_on_signals()
    from dse_tui.core.engine.batch import NotThisHost, pick, run_many
    from dse_tui.core.engine.runner import SKIPPED
    from dse_tui.core.common.fmt import size
    from dse_tui.core.common.timeutil import utcnow

    loaded = load(args)
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog = loaded
    if args.repos and (args.all or args.due):
        fail(say(args, "cli.run.both"))
        return EXIT_UNKNOWN
    from dse_tui.core.engine.hosts import interrupt_dead_runs

    with catalog:
        # Runs a host left running when it died: once their lease is past, any host's `run` closes them.
        for run_id, repo_id, host in interrupt_dead_runs(catalog):
            print("dse-tui: " + say(args, "cli.run.interrupted_elsewhere", run=run_id, repo=repo_id, host=host),
                  file=sys.stderr)
        try:
            repos = pick(profile, catalog, utcnow(), names=args.repos, everything=args.all)
        except KeyError as exc:
            fail(say(args, "cli.no_repository", repo=repr(exc.args[0]), file=profile.file,
                     known=", ".join(r.id for r in profile.repositories)))
            return EXIT_UNKNOWN
        except NotThisHost as exc:
            fail(say(args, "cli.run.other_host", repo=exc.repo.id, owner=exc.repo.host, host=exc.host))
            return EXIT_UNKNOWN

    def report(outcome) -> None:
        if not args.json:
            from dse_tui.core.drivers.files.listing import not_archived_line

            # A failed run may keep its artifact (as evidence): why it failed is what to read first.
            where = (outcome.artifact if outcome.state == "good" else outcome.message) or outcome.artifact or ""
            print(f"{say(args, 'run.' + outcome.state):<9} {outcome.repository:<20} "
                  f"{('r' + str(outcome.run_id)) if outcome.run_id else '-':<7} "
                  f"{size(outcome.size):>10} {outcome.elapsed:6.1f}s  {where}", flush=True)
            for entry in outcome.not_archived or []:
                print(f"{'':<9} " + say(args, "cli.run.not_archived", what=not_archived_line(entry)), flush=True)

    # What is due is picked by every host that shares a repository: the one holding it runs it, the others skip.
    due = not args.repos and not args.all
    outcomes = run_many(profile, repos, trigger="cli", on_outcome=report, cancel=cancel, only_if_pending=due)
    outcomes = [o for o in outcomes if o.state != SKIPPED]  # not runs: said above, neither listed nor failed
    notify_after(profile)
    if args.json:
        print_json([o.as_json() for o in outcomes])
    elif not repos:
        print(say(args, "runs.none_due"))
    failed = [o for o in outcomes if o.state != "good"]
    if failed:
        print("dse-tui run: " + say(args, "cli.run.failed", n=len(failed), total=len(outcomes),
                                    repos=", ".join(o.repository for o in failed)), file=sys.stderr)
        return 1
    unstored = [o for o in outcomes if not o.stored]
    if unstored:
        print("dse-tui run: " + say(args, "cli.run.unstored", n=len(unstored),
                                    repos=", ".join(o.repository for o in unstored)), file=sys.stderr)
        return EXIT_NOT_STORED
    return 0


def cmd_prune(args) -> int:
    from dse_tui.core.engine.locks import AlreadyRunning, RepoLock
    from dse_tui.core.engine.retention import prune

    loaded = load(args)
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog = loaded
    try:
        repos = [profile.repository(r) for r in args.repos] if args.repos else list(profile.repositories)
    except KeyError as exc:
        fail(say(args, "cli.no_repository_short", repo=repr(exc.args[0]), file=profile.file))
        return EXIT_UNKNOWN
    status = 0
    removed = 0
    with catalog:
        for repo in repos:
            try:
                with RepoLock(profile.storage_root, repo.id):  # never prune under a running backup
                    decisions = prune(profile, catalog, repo, dry_run=args.dry_run)
            except (AlreadyRunning, OSError) as exc:  # one repository's trouble does not stop the others
                print(f"{say(args, 'cli.prune.skip'):<12} {repo.id}: {exc}")
                status = 1
                continue
            for d in decisions:
                verb = say(args, "cli.prune.keep" if d.keep else ("cli.prune.would" if args.dry_run else "cli.prune.removed"))
                why = ", ".join(str(r) for r in d.reasons) or say(args, "cli.prune.no_rule")
                print(f"{verb:<12} {repo.id:<20} r{d.run.id:<6} {d.run.started_at.astimezone():%Y-%m-%d %H:%M}  {why}")
                removed += not d.keep
    print(say(args, "cli.prune.would_total" if args.dry_run else "cli.prune.total", n=removed), file=sys.stderr)
    return status


COMMANDS = {"prune": cmd_prune, "run": cmd_run, "tui": cmd_tui, "demo": cmd_demo, "check": cmd_check, "status": cmd_status,
            "notify": cmd_notify}
