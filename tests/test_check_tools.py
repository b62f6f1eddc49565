"""The version `check` and the manifests give of a tool: what the tool says of it, never cut."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

from dse_tui.core.common.tools import tool_version
from tests.conftest import ROOT, write_profile


def fake_tool(folder, name: str, line: str):
    """A program that answers --version with `line` ("{path}" is where it is, as mariadb prints it)."""
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\necho \"{line.replace('{path}', str(path))}\"\n")
    path.chmod(0o755)
    return str(path)


def test_the_mysql_family_keeps_the_server_release_the_platform_goes(tmp_path):
    """Issue 20: the line was cut at 80 characters, in the middle of the platform after the release."""
    mariadb = fake_tool(tmp_path, "mariadb", "{path}  Ver 15.1 Distrib 10.11.19-MariaDB, for debian-linux-gnu"
                                             " (x86_64) using  EditLine wrapper")
    assert tool_version(mariadb) == "mariadb 15.1, MariaDB 10.11.19"
    dump = fake_tool(tmp_path, "mysqldump", "mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)")
    assert tool_version(dump) == "mysqldump 10.13, MySQL 5.7.44"


def test_a_long_version_line_is_shown_whole(tmp_path):
    line = "frobnicate 3.2.1 (" + ", ".join(f"feature-{i}" for i in range(20)) + ")"
    assert len(line) > 120
    assert tool_version(fake_tool(tmp_path, "frobnicate", line)) == line


def test_check_shows_the_mariadb_client_release_uncut(tmp_path):
    assert shutil.which("mariadb"), "the MariaDB client is needed"
    body = ("site: {id: t, name: T}\nstorage: {root: ./b, catalog: ./c.sqlite}\nrepositories:\n"
            "  - {id: my, kind: database, driver: mysql, source: {host: 127.0.0.1, user: root}, verify: restore}\n")
    result = subprocess.run([sys.executable, "-m", "dse_tui", "check", "--profile", str(write_profile(tmp_path, body))],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    line = next(x for x in result.stdout.splitlines() if x.startswith("ok     tool mariadb|mysql: "))
    assert re.search(r"\(mariadb [\d.]+, MariaDB \d+\.\d+\.\d+\)$", line), line
