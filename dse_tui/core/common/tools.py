"""The programs dse-tui drives: where they are, and what version they say they are. Used by the drivers,
the runner (the manifest's tool versions) and `check`, none of which need the others for it."""

from __future__ import annotations

import functools
import os
import re
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
            return telling(first[0], path)
    return ""


# MySQL's and MariaDB's clients: "mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)"
_MYSQL_STYLE = re.compile(r"(?P<name>\S+) Ver (?P<ver>\S+?),?(?: Distrib (?P<distrib>[^,\s]+))?(?:[, ]|$)")


def telling(line: str, path: str) -> str:
    """What a version line says of the version, whole: the MySQL family's client version, server release and
    platform make a line long enough to be cut where the release is; its platform is left out instead."""
    line = " ".join(line.split())
    if line.startswith(path + " "):  # mariadb names itself by the path it was run as
        line = os.path.basename(path) + line[len(path):]
    found = _MYSQL_STYLE.match(line)
    if found is None:
        return line
    name, ver, distrib = found["name"], found["ver"], found["distrib"]
    if not distrib:
        return f"{name} {ver}"
    release, _, flavour = distrib.partition("-")
    return f"{name} {ver}, {flavour} {release}" if flavour[:1].isalpha() else f"{name} {ver}, MySQL {distrib}"
