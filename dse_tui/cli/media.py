"""`dse-tui copy` and `dse-tui media list|show|move|retire`: copies and the media inventory, headless."""

from __future__ import annotations

import sqlite3
import sys

from dse_tui.cli.common import h
from dse_tui.jsonout import print_json


def add_parsers(sub, common) -> None:
    copy = sub.add_parser("copy", parents=[common], help=h("help.copy"))
    copy.add_argument("repos", nargs="*", metavar=h("help.meta.repo"))
    copy.add_argument("--run", type=int, metavar=h("help.meta.id"), help=h("help.copy.run"))
    copy.add_argument("--to", action="append", metavar=h("help.meta.dest"), help=h("help.copy.to"))
    copy.add_argument("--json", action="store_true", help=h("help.copy.json"))

    media = sub.add_parser("media", parents=[common], help=h("help.media"))
    actions = media.add_subparsers(dest="media_command", metavar=h("help.meta.action"), required=True,
                                   parser_class=sub._parser_class)
    listing = actions.add_parser("list", parents=[common], help=h("help.media.list"))
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--state", metavar=h("help.meta.state"), help=h("help.media.list.state"))
    show = actions.add_parser("show", parents=[common], help=h("help.media.show"))
    show.add_argument("code", metavar=h("help.meta.code"))
    show.add_argument("--json", action="store_true")
    move = actions.add_parser("move", parents=[common], help=h("help.media.move"))
    move.add_argument("code", metavar=h("help.meta.code"))
    move.add_argument("--location", metavar=h("help.meta.where"))
    move.add_argument("--state", metavar=h("help.meta.state"), help=h("help.media.move.state"))
    retire = actions.add_parser("retire", parents=[common], help=h("help.media.retire"))
    retire.add_argument("code", metavar=h("help.meta.code"))
    retire.add_argument("--state", choices=("destroyed", "expired"), default="destroyed")
    retire.add_argument("--reason", metavar=h("help.meta.text"))


def cmd_copy(args) -> int:
    from dse_tui.cli.common import EXIT_UNKNOWN, cancel_on_signals, fail, load, say
    from dse_tui.core.destinations.copies import CopyError, copy_pending

    loaded = load(args)
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog = loaded
    unknown = [r for r in args.repos if r not in {x.id for x in profile.repositories}]
    unknown += [d for d in args.to or [] if d not in profile.destinations]
    if unknown:
        fail(say(args, "cli.copy.unknown", names=", ".join(unknown)))
        return EXIT_UNKNOWN
    with catalog:
        try:
            outcomes = copy_pending(profile, catalog, args.repos or None, run_id=args.run, to=args.to,
                                    cancel=cancel_on_signals(), log=lambda line: print(line, file=sys.stderr))
        except (CopyError, KeyError, sqlite3.Error, OSError) as exc:
            fail(say(args, "cli.copy.failed", error=exc))
            return 1
    from dse_tui.cli.common import notify_after

    notify_after(profile, scan=False)
    if args.json:
        print_json([o.as_json() for o in outcomes])
    else:
        for o in outcomes:
            media = f" [{', '.join(o.media)}]" if o.media else ""
            print(f"{say(args, 'copied.' + o.state):<9} r{o.run_id:<6} {o.repository:<16} → {o.destination:<14} "
                  f"{o.path or o.message or ''}{media}")
        if not outcomes:
            print(say(args, "cli.copy.nothing"))
    return 0 if all(o.state in ("verified", "skipped") for o in outcomes) else 1


def cmd_media(args) -> int:
    from dse_tui.cli.common import EXIT_UNKNOWN, fail, load, say
    from dse_tui.core.destinations.media import MediaError, inventory_item, move, retire

    loaded = load(args, readonly=args.media_command in ("list", "show"))
    if loaded is None:
        return EXIT_UNKNOWN
    profile, catalog = loaded
    with catalog:
        try:
            if args.media_command == "list":
                items = [inventory_item(catalog, m) for m in catalog.media()
                         if not args.state or m.state == args.state]
                if args.json:
                    print_json(items)
                else:
                    for i in items:
                        flag = "  " + say(args, "cli.media.expired_flag") if i["expired"] else ""
                        runs = ",".join(f"r{r['run_id']}" + ("*" if r["key_ids"] else "") for r in i["runs"]) or "-"
                        print(f"{i['code']:<16} {i['kind']:<9} {say(args, 'medium.' + i['state']):<9} {(i['location'] or '-')[:30]:<30} "
                              f"{runs:<14} {(i['expires_at'] or '-')[:10]}{flag}")
                    if not items:
                        print(say(args, "cli.media.none"))
                return 0
            from dse_tui.core.labels.content import code_from_scan

            args.code = code_from_scan(args.code)  # a scanned QR payload names its medium
            medium = catalog.medium(args.code)
            if medium is None:
                fail(say(args, "cli.media.unknown", code=repr(args.code)))
                return EXIT_UNKNOWN
            if args.media_command == "show":
                item = inventory_item(catalog, medium)
                if args.json:
                    print_json(item)
                else:
                    shown = {"state": say(args, "medium." + item["state"]), "expired": say(args, "cli.media.yes" if item["expired"] else "cli.media.no"),
                             "sequence": ", ".join(s.replace(" of ", f" {say(args, 'label.of')} ") for s in item["sequence"])}
                    for key, value in item.items():
                        if key != "runs":
                            value = shown.get(key, value)
                            print(f"{say(args, 'cli.media.field.' + key):<14} {value if value not in (None, '') else '-'}")
                    for r in item["runs"]:
                        key = "  " + say(args, "cli.media.key", keys=" ".join(r["key_ids"])) if r["key_ids"] else ""
                        print(f"{say(args, 'cli.media.field.run'):<14} r{r['run_id']} {r['repository']} {r['started_at']}{key}")
                return 0
            if args.media_command == "move":
                if args.location is None and args.state is None:
                    fail(say(args, "cli.media.move_what"))
                    return EXIT_UNKNOWN
                m = move(catalog, args.code, location=args.location, state=args.state)
            else:
                m = retire(catalog, args.code, state=args.state, reason=args.reason)
        except MediaError as exc:
            fail(str(exc))
            return 1
    print(f"{m.code}: {say(args, 'medium.' + m.state)}, {m.location or '-'}")
    return 0


COMMANDS = {"copy": cmd_copy, "media": cmd_media}
