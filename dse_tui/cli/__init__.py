"""The `dse-tui` command: the TUI with no subcommand, headless subcommands for cron and monitoring. One
module per group of commands (backup: run, status, check…; checks: verify, restore, accept; …), each with
its parsers and COMMANDS; common.py what they share.

Imports are local to each command so `dse-tui status` from cron does not pay for Textual.
"""

from __future__ import annotations

import argparse
import os
import sys

from dse_tui import __version__
from dse_tui.cli.common import EXIT_UNKNOWN, Parser, fail, say

MODULES = ("backup", "checks", "checklists", "sessions", "media", "labels", "audit", "keys", "catalog")


def _modules():
    import importlib

    return [importlib.import_module(f"dse_tui.cli.{name}") for name in MODULES]


def build_parser() -> argparse.ArgumentParser:
    common = Parser(add_help=False)
    # SUPPRESS keeps a value given before the subcommand from being reset by the subparser's default.
    common.add_argument("--profile", metavar="FILE", default=argparse.SUPPRESS,
                        help="site profile (default: $DSE_TUI_PROFILE, then the user's config directory)")
    common.add_argument("--this-host", metavar="NAME", default=argparse.SUPPRESS,
                        help="this backup host's name, for the profile's `host:` (default: $DSE_TUI_HOST, then the "
                             "machine's name)")
    common.add_argument("--lang", choices=("es", "en"), default=argparse.SUPPRESS,
                        help="interface language (default: profile, then locale)")

    parser = Parser(
        prog="dse-tui", parents=[common],
        description="Backup console for the DSE backup procedure (PRO 7.5 DSE 02). "
                    "With no command, opens the dashboard.")
    parser.add_argument("--version", action="version", version=f"dse-tui {__version__}")
    parser.add_argument("--demo", action="store_true", help="open the TUI on the demo site (created the first time)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    for module in _modules():
        module.add_parsers(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "tui"
    if getattr(args, "this_host", None):
        # Read where it is needed (engine/hosts.py), also by the console's run workers, its children.
        os.environ["DSE_TUI_HOST"] = args.this_host
    commands = {}
    for module in _modules():
        commands.update(module.COMMANDS)
    try:
        return commands[command](args)
    except KeyboardInterrupt:
        fail(say(args, "cli.interrupted"))
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
        fail(say(args, "cli.internal", error=repr(exc)))
        return EXIT_UNKNOWN


