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
from dse_tui.cli.common import (
    EXIT_UNKNOWN,
    Parser,
    fail,
    h,
    help_language,
    say,
    use_help_language,
)

MODULES = ("backup", "checks", "checklists", "sessions", "media", "labels", "audit", "keys", "catalog")


def _modules():
    import importlib

    return [importlib.import_module(f"dse_tui.cli.{name}") for name in MODULES]


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    """The parser, its help and its usage errors in `lang` (argparse reads the texts as it is built)."""
    use_help_language(lang)
    common = Parser(add_help=False)
    # SUPPRESS keeps a value given before the subcommand from being reset by the subparser's default.
    common.add_argument("--profile", metavar=h("help.meta.file"), default=argparse.SUPPRESS, help=h("help.top.profile"))
    common.add_argument("--this-host", metavar=h("help.meta.name"), default=argparse.SUPPRESS,
                        help=h("help.top.this_host"))
    common.add_argument("--lang", choices=("es", "en"), default=argparse.SUPPRESS, help=h("help.top.lang"))

    parser = Parser(prog="dse-tui", parents=[common], description=h("help.description"))
    parser.add_argument("--version", action="version", version=f"dse-tui {__version__}", help=h("help.top.version"))
    parser.add_argument("--demo", action="store_true", help=h("help.top.demo"))
    sub = parser.add_subparsers(dest="command", metavar=h("help.meta.command"), parser_class=Parser)

    for module in _modules():
        module.add_parsers(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(help_language(argv)).parse_args(argv)
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


