"""What every headless command shares: exit codes, the argument parser, loading the profile and the
catalog, saying what is wrong, stopping on a signal, the notifications after the work. The command modules
import this, never each other or the package: no cycle."""

from __future__ import annotations

import argparse
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
        self.exit(EXIT_UNKNOWN, f"{self.prog}: error: {message}\n")


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


