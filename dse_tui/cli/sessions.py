"""`dse-tui session list|show|register|abandon`: the manual-backup session records, headless."""

from __future__ import annotations

import sys

from dse_tui.cli.common import h
from dse_tui.jsonout import print_json


def add_parsers(sub, common) -> None:
    session = sub.add_parser("session", parents=[common], help=h("help.session"))
    actions = session.add_subparsers(dest="session_command", metavar=h("help.meta.action"), required=True,
                                     parser_class=sub._parser_class)
    listing = actions.add_parser("list", parents=[common], help=h("help.session.list"))
    listing.add_argument("--repo", metavar=h("help.meta.repo"), help=h("help.session.list.repo"))
    listing.add_argument("--state", choices=("open", "finished", "abandoned"))
    listing.add_argument("--json", action="store_true", help=h("help.session.list.json"))
    show = actions.add_parser("show", parents=[common], help=h("help.session.show"))
    show.add_argument("id", type=int, metavar=h("help.meta.id"))
    show.add_argument("--format", choices=("md", "json"), default="md")
    show.add_argument("--no-output", action="store_true", help=h("help.session.show.no_output"))
    register = actions.add_parser("register", parents=[common], help=h("help.session.register"))
    register.add_argument("id", type=int, metavar=h("help.meta.id"))
    register.add_argument("files", nargs="+", metavar=h("help.meta.file"), help=h("help.session.register.files"))
    register.add_argument("--json", action="store_true", help=h("help.session.register.json"))
    abandon = actions.add_parser("abandon", parents=[common], help=h("help.session.abandon"))
    abandon.add_argument("id", type=int, metavar=h("help.meta.id"))
    abandon.add_argument("--reason", required=True, metavar=h("help.meta.reason"), help=h("help.session.abandon.reason"))


def cmd_session(args) -> int:
    from dse_tui.cli.common import EXIT_UNKNOWN, fail, load, say

    loaded = load(args, readonly=args.session_command in ("list", "show"))
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog = loaded
    with catalog:
        if args.session_command == "list":
            return _list(catalog, args)
        row = catalog.session(args.id)
        if row is None:
            fail(say(args, "cli.session.unknown", id=args.id, path=profile.catalog_path))
            return EXIT_UNKNOWN
        if args.session_command == "show":
            return _show(catalog, row, args)
        if args.session_command == "abandon":
            return _abandon(catalog, row, args)
        return _register(profile, catalog, row, args)


def _list(catalog, args) -> int:
    from dse_tui.cli.common import say

    rows = catalog.sessions(args.repo, args.state)
    items = []
    for r in rows:
        done = catalog.session(r.id)
        dealt = sum(s.outcome != "pending" for s in done.step_rows.values())
        items.append({"id": r.id, "repository": r.repository, "checklist": r.checklist, "operator": r.operator,
                      "started_at": _iso(r.started_at), "ended_at": _iso(r.ended_at), "state": r.state,
                      "reason": r.reason, "steps": len(r.steps), "dealt_with": dealt,
                      "runs": [run.id for run in catalog.session_runs(r.id)]})
    if args.json:
        print_json(items)
        return 0
    if not items:
        print(say(args, "cli.session.none"))
    for i in items:
        runs = ",".join(f"r{n}" for n in i["runs"]) or "-"
        print(f"{i['id']:>5}  {i['repository']:<16} {say(args, 'record.' + i['state']):<10} {i['dealt_with']:>2}/{i['steps']:<2}  "
              f"{i['started_at'][:16]}  {i['operator']:<12} {runs:<8} {i['checklist']}"
              + (f"  ({i['reason']})" if i["reason"] else ""))
    return 0


def _iso(when) -> str | None:
    from dse_tui.core.common.timeutil import iso

    return iso(when) if when else None


def _show(catalog, row, args) -> int:
    from dse_tui.core.sessions.record import markdown, record
    from dse_tui.cli.common import lang

    data = record(catalog, row)
    if args.format == "json":
        print_json(data)
    else:
        sys.stdout.write(markdown(data, lang(args), outputs=not args.no_output))
    return 0


def _abandon(catalog, row, args) -> int:
    from dse_tui.cli.common import fail, say
    from dse_tui.core.sessions.machine import Session, SessionError

    try:
        Session(catalog, row, _operator()).abandon(args.reason)
    except SessionError as exc:
        fail(str(exc))
        return 1
    print(say(args, "cli.session.abandoned", id=row.id))
    return 0


def _operator() -> str:
    from dse_tui.core.catalog import current_operator

    return current_operator()


def _register(profile, catalog, row, args) -> int:
    from dse_tui.cli.common import cancel_on_signals, fail, say
    from dse_tui.core.sessions.register import register_files
    from dse_tui.core.sessions.machine import SessionError

    try:
        outcome = register_files(profile, catalog, row.id, args.files, operator=_operator(),
                                 cancel=cancel_on_signals(), log=lambda line: print(line, file=sys.stderr))
    except SessionError as exc:
        fail(str(exc))
        return 1
    if args.json:
        print_json([outcome.as_json()])
    else:
        print(f"{say(args, 'run.' + outcome.state):<9} r{outcome.run_id}  "
              f"{say(args, 'cli.bytes', n=outcome.size or 0)}  {outcome.artifact or ''}"
              + (f"  {outcome.message}" if outcome.message else ""))
    return 0 if outcome.state == "good" else 1


COMMANDS = {"session": cmd_session}
