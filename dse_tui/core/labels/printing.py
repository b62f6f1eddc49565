"""Printing through CUPS (`lp -d QUEUE`), the job id recorded. A missing queue or a CUPS that is not
running is said plainly, and the file to print is kept so nothing is lost."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from dse_tui.core.texts import Text, Told

TIMEOUT = 30


class PrintError(Told):
    """The job was not accepted; the message says why and where the file is kept."""


def scheduler_running() -> bool:
    try:
        out = subprocess.run(["lpstat", "-r"], capture_output=True, text=True, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.stdout.strip() == "scheduler is running"


def cups_queues() -> tuple[list[str], str | None]:
    """The queues CUPS has (`lpstat -e`) and its default (`lpstat -d`): ([], None) when CUPS is not
    installed or not running, which the label screen says by offering the PDF alone."""
    try:
        names = subprocess.run(["lpstat", "-e"], capture_output=True, text=True, timeout=TIMEOUT)
        default = subprocess.run(["lpstat", "-d"], capture_output=True, text=True, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return [], None
    queues = [line.strip() for line in names.stdout.splitlines() if line.strip()] if names.returncode == 0 else []
    match = re.search(r"system default destination: (\S+)", default.stdout)
    return queues, match.group(1) if match else None


def print_file(path: Path, queue: str, *, copies: int = 1, raw: bool = False, title: str | None = None,
               options: list[str] | None = None) -> str:
    """Send `path` to CUPS queue `queue`; the job id (`QUEUE-42`)."""
    lp = shutil.which("lp")
    kept = Text("print.kept", path=path)
    if lp is None:
        raise PrintError("print.no_lp", kept=kept)
    argv = [lp, "-d", queue, "-n", str(copies)]
    if title:
        argv += ["-t", title]
    if raw:
        argv += ["-o", "raw"]  # ZPL goes to the Zebra as it is
    for option in options or []:
        argv += ["-o", option]
    try:
        out = subprocess.run(argv + ["--", str(path)], capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise PrintError("print.timeout", seconds=TIMEOUT, kept=kept) from None
    if out.returncode != 0:
        err = out.stderr.strip()
        # With the scheduler down, lp says the queue "does not exist": ask the scheduler first.
        if not scheduler_running():
            raise PrintError("print.no_scheduler", kept=kept)
        if "does not exist" in err or "not exist" in err:
            raise PrintError("print.no_queue", queue=queue, kept=kept)
        if "scheduler" in err.lower() or "connect" in err.lower() or "refused" in err.lower():
            raise PrintError("print.cups_down", error=err.splitlines()[-1], kept=kept)
        raise PrintError("print.lp_failed", error=err.splitlines()[-1] if err else f"exit {out.returncode}", kept=kept)
    match = re.search(r"request id is (\S+)", out.stdout)
    return match.group(1) if match else "?"
