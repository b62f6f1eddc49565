"""`python -m dse_tui.core.engine.worker PROFILE REPO [--operator O] [--trigger T]`: one run, reported as JSON
lines on stdout ({"progress": ...}, {"log": ...}, then {"outcome": ...}). SIGTERM cancels it cleanly.

The console runs its backups through this, in a process of its own: a copy loop in a thread of the UI's
process would hold the GIL between its system calls and starve the event loop (seconds per keypress)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from dataclasses import asdict

PROGRESS_EVERY = 0.25


def main(argv: list[str] | None = None) -> int:
    from dse_tui.core.profile.config import load_profile
    from dse_tui.core.engine.runner import run_repository

    parser = argparse.ArgumentParser(prog="dse_tui.core.engine.worker")
    parser.add_argument("profile")
    parser.add_argument("repo")
    parser.add_argument("--operator")
    parser.add_argument("--trigger", default="console")
    args = parser.parse_args(argv)
    # Below the console in the scheduler's eyes (and so are the tools it starts): the keys stay quick
    # while a backup takes the cores.
    os.nice(10)
    cancel = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: cancel.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the terminal's ^C belongs to the console
    lock = threading.Lock()

    def say(**message) -> None:
        with lock:
            sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()

    last = [0.0, None]

    def progress(p) -> None:
        now = time.monotonic()
        # Four a second is smooth; more only costs the console. A new phase goes at once: it would be
        # missed when it is shorter than that.
        if now - last[0] >= PROGRESS_EVERY or (p.phase, p.destination) != last[1]:
            last[0], last[1] = now, (p.phase, p.destination)
            say(progress=asdict(p))

    profile = load_profile(args.profile)
    outcome = run_repository(profile, profile.repository(args.repo), trigger=args.trigger, operator=args.operator,
                             cancel=cancel, on_progress=progress,
                             log=lambda line: say(log=line))
    say(outcome=asdict(outcome))
    if profile.notify is not None:  # after the outcome is told: mail never delays the console's result
        from dse_tui.core.records import notify
        from dse_tui.core.catalog import open_catalog

        try:
            with open_catalog(profile) as catalog:
                notify.flush(profile, catalog, log=lambda line: say(log=line))
        except Exception as exc:
            say(log=f"notifications not sent: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
