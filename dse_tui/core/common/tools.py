"""The programs dse-tui drives: where they are, and what version they say they are. Used by the drivers,
the runner (the manifest's tool versions) and `check`, none of which need the others for it."""

from __future__ import annotations

import functools
import shutil
import subprocess

TIMEOUT = 10  # seconds for a tool to say its version


def find_tool(spec: str) -> str | None:
    """The path of the first of `a|b` alternatives on PATH."""
    for name in spec.split("|"):
        if path := shutil.which(name):
            return path
    return None


@functools.lru_cache(maxsize=None)
def tool_version(path: str) -> str:
    """The first line `path --version` (or `-V`, as ssh wants) prints, or "" (asked once per process)."""
    for flag in ("--version", "-V"):
        try:
            out = subprocess.run([path, flag], capture_output=True, text=True, timeout=TIMEOUT,
                                 stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        first = (out.stdout or out.stderr).strip().splitlines()
        if out.returncode == 0 and first:
            return first[0][:80]
    return ""
