"""What every headless command shares: exit codes, the argument parser, loading the profile and the
catalog, saying what is wrong, stopping on a signal, the notifications after the work. The command modules
import this, never each other or the package: no cycle."""

from __future__ import annotations

import argparse
import gettext
import signal
import sys
import threading
from pathlib import Path

EXIT_UNKNOWN = 3  # monitoring plugins' UNKNOWN: the profile or catalog could not be used
EXIT_NOT_STORED = 4  # `run`: every run good, but not all on as many distinct devices as asked (4.2.1)


class Parser(argparse.ArgumentParser):
    """Usage errors exit 3, not argparse's 2: for `status`, 2 means a failed backup to monitoring."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_UNKNOWN, argparse._("%(prog)s: error: %(message)s\n") % {"prog": self.prog, "message": message})


# The help's language: picked from argv before the parser is built (help_language), as the parser's texts are
# read when it is built; h() gives a help text (dse_tui/core/texts/<lang>_cli.py) in it.
_help_lang = "en"
# argparse's own words (Python 3.11's argparse passes them to gettext) -> their keys in <lang>_cli.py.
ARGPARSE_WORDS = {
    "usage: ": "argparse.usage",
    "positional arguments": "argparse.positionals",
    "options": "argparse.options",
    "show this help message and exit": "argparse.help",
    "%(prog)s: error: %(message)s\n": "argparse.error",
    "argument %(argument_name)s: %(message)s": "argparse.argument",
    "unrecognized arguments: %s": "argparse.unrecognized",
    "not allowed with argument %s": "argparse.not_allowed",
    "ignored explicit argument %r": "argparse.ignored",
    "the following arguments are required: %s": "argparse.required",
    "one of the arguments %s is required": "argparse.one_of",
    "expected one argument": "argparse.expected_one",
    "expected at most one argument": "argparse.expected_at_most_one",
    "expected at least one argument": "argparse.expected_at_least_one",
    "expected %s argument": "argparse.expected_n",
    "ambiguous option: %(option)s could match %(matches)s": "argparse.ambiguous",
    "unexpected option string: %s": "argparse.unexpected",
    "invalid %(type)s value: %(value)r": "argparse.invalid_value",
    "invalid choice: %(value)r (choose from %(choices)s)": "argparse.invalid_choice",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "argparse.unknown_parser",
    "can't open '%(filename)s': %(error)s": "argparse.cannot_open",
}


def help_language(argv: list[str]) -> str:
    """The language of --help and of usage errors: the last `--lang X` / `--lang=X` of argv (before the
    subcommand or after it, as argparse takes it), else the locale. Not the profile's: reading a profile,
    perhaps a broken one, is not worth it for a help text."""
    from dse_tui.core.texts import LANGUAGES, default_language

    chosen = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        name, eq, value = arg.partition("=")
        if len(name) >= 4 and "--lang".startswith(name):  # argparse takes --lan and --la for --lang too
            if not eq:
                value = argv[i + 1] if i + 1 < len(argv) else ""
            if value in LANGUAGES:
                chosen = value
    return chosen or default_language()


def use_help_language(lang: str) -> None:
    """Help texts (h) and argparse's own words in `lang` from now on: English is argparse's own gettext."""
    from dse_tui.core.texts import tr

    global _help_lang
    _help_lang = lang
    if lang == "en":
        argparse._, argparse.ngettext = gettext.gettext, gettext.ngettext
        return

    def words(message):
        key = ARGPARSE_WORDS.get(message)
        return tr(key, lang) if key else message

    def plural(singular, plural_, n):
        key = ARGPARSE_WORDS.get(singular)
        return tr(key, lang, n=n) if key else (singular if n == 1 else plural_)

    argparse._, argparse.ngettext = words, plural


def h(key: str) -> str:
    """A help text of the parser (help=, metavar=, description=) in the help's language."""
    from dse_tui.core.texts import tr

    return tr(key, _help_lang)


def lang(args) -> str:
    """The language of what a person reads: --lang, else the profile's site.language (once load() has read
    it), else the locale. Machine output (--json, metrics) has none."""
    from dse_tui.core.common.fmt import set_language
    from dse_tui.core.texts import default_language

    chosen = getattr(args, "lang", None) or default_language(getattr(args, "site_language", None))
    set_language(chosen)  # humanize's ages and sizes too
    return chosen


def say(args, key: str, **values) -> str:
    """The text `key` in the command's language (dse_tui/core/texts)."""
    from dse_tui.core.texts import tr

    return tr(key, lang(args), **values)


def speak(args, profile):
    """The profile as the command's core functions see it: `--lang` given, it is the site's language
    (labels, mails, the report follow it); what the profile says is kept for lang()."""
    from dataclasses import replace

    args.site_language = profile.site.language
    if getattr(args, "lang", None) and args.lang != profile.site.language:
        profile = replace(profile, site=replace(profile.site, language=args.lang))
    return profile


def profile_path(args) -> Path:
    from dse_tui.core.profile.config import profile_path_from_env

    return profile_path_from_env(getattr(args, "profile", None))


def load(args, readonly: bool = False):
    """Profile and catalog for a headless command, or a short error on stderr and None.
    `readonly`: for commands that only read (a monitoring user may have no write access)."""
    from dse_tui.core.catalog import CatalogError, open_catalog
    from dse_tui.core.profile.problems import ConfigError
    from dse_tui.core.profile.config import load_profile

    path = profile_path(args)
    if not path.exists():
        fail(say(args, "cli.no_profile", path=path))
        return None
    try:
        profile = speak(args, load_profile(path))
        lang(args)  # the site's language is known now: what the core says from here on speaks it
    except ConfigError as exc:
        fail(say(args, "cli.profile_problems", n=len(exc.problems), problems=exc))
        return None
    import sqlite3

    try:
        catalog = open_catalog(profile, readonly=readonly)
        if not readonly:
            from dse_tui.core.records.audit import note_profile

            note_profile(catalog, profile)
    except (CatalogError, sqlite3.Error) as exc:
        fail(say(args, "cli.catalog_unusable", path=profile.catalog_path, error=exc))
        return None
    return profile, catalog


def fail(message: str) -> None:
    print(f"dse-tui: {message}", file=sys.stderr)


def notify_after(profile, scan: bool = True) -> None:
    """After the work of a headless command: the state's alerts, then the mail that waits (never fatal)."""
    if profile.notify is None:
        return
    from dse_tui.core.records import notify
    from dse_tui.core.catalog import open_catalog

    try:
        with open_catalog(profile) as catalog:
            if scan:
                notify.scan(profile, catalog)
                notify.daily_summary(profile, catalog)
            notify.flush(profile, catalog, log=lambda line: print(f"dse-tui: {line}", file=sys.stderr))
    except Exception as exc:  # mail must never turn a good backup into a failed command
        from dse_tui.core.texts import default_language, tr

        fail(tr("cli.notify_failed", default_language(profile.site.language), error=exc))


def cancel_on_signals() -> threading.Event:
    cancel = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: cancel.set())
    return cancel


