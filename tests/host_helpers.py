"""Backup hosts simulated on one machine: each a folder of its own (its profile, storage root and data) and
its own DSE_TUI_HOST, all sharing one PostgreSQL catalog made for the test (a URL: the catalog_backend
fixture leaves it alone, whatever DSE_TUI_CATALOG says)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.catalog_backend import ADMIN_URL, admin, database_url
from tests.conftest import ROOT


@pytest.fixture
def shared_catalog():
    """The URL of a fresh PostgreSQL database, dropped after the test; skipped where there is no server."""
    try:
        import psycopg

        psycopg.connect(ADMIN_URL, connect_timeout=5).close()
    except Exception as exc:  # noqa: BLE001 - no driver or no server: these tests need both
        pytest.skip(f"PostgreSQL is not reachable at {ADMIN_URL}: {exc}")
    name = f"dse_hosts_{uuid.uuid4().hex[:12]}"
    admin(f"CREATE DATABASE {name}")
    try:
        yield database_url(name)
    finally:
        admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def host_site(base: Path, host: str, url: str, repos: dict[str, str | None], *, lease: str = "1m") -> Path:
    """Host `host`'s folder under `base`: a tiny tree per repository (`repos`: id → the host that backs it
    up, None for any), its own storage root, the shared catalog. Its profile's path."""
    home = base / host
    lines = []
    for repo, owner in repos.items():
        tree = home / "data" / repo
        tree.mkdir(parents=True, exist_ok=True)
        for i in range(3):
            (tree / f"f{i}.txt").write_text(f"{repo} on {host}, file {i}\n" * 20)
        where = f", host: {owner}" if owner else ""
        lines.append(f"  - {{id: {repo}, kind: config, driver: files, source: {{path: ./data/{repo}}}{where}}}")
    profile = home / "profile.yaml"
    profile.write_text(f"""\
site: {{id: t, name: Test}}
storage: {{root: ./storage, catalog: "{url}", parallel: 2, lease: {lease}}}
defaults: {{copies: 0}}
repositories:
""" + "\n".join(lines) + "\n")
    return profile


def host_env(host: str, path_first: Path | None = None) -> dict:
    env = {**os.environ, "DSE_TUI_HOST": host, "PYTHONPATH": str(ROOT), "TZ": "UTC"}
    if path_first is not None:
        env["PATH"] = f"{path_first}:{env['PATH']}"
    return env


def dse(profile: Path, host: str, *args: str, path_first: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dse_tui", *args, "--profile", str(profile)], cwd=ROOT,
                          env=host_env(host, path_first), capture_output=True, text=True, timeout=600)


def start(profile: Path, host: str, *args: str, path_first: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dse_tui", *args, "--profile", str(profile)], cwd=ROOT,
                            env=host_env(host, path_first), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def runs_of(url: str) -> list[dict]:
    """Every run in the shared catalog: id, repository, host, state, times, message."""
    from dse_tui.core.catalog import Catalog

    with Catalog(url) as catalog:
        rows = catalog.conn.execute(
            "SELECT r.id, p.key, r.host, r.state, r.started_at, r.ended_at, r.message, r.artifact FROM runs r"
            " JOIN repositories p ON p.id = r.repository_id ORDER BY r.id").fetchall()
    names = ("id", "repository", "host", "state", "started_at", "ended_at", "message", "artifact")
    return [dict(zip(names, row)) for row in rows]
