"""Catalog at scale: 1,000 repositories and 1,000,000 runs.

Prints the time of the "last status of every repository" query (target <= 15 ms). The console's first
paint on the same site is bench/console_first_paint.py's (it builds the site with fill() and
write_profile() from here). Not a test: run it by hand.

    python bench/catalog_scale.py [--repos 1000] [--runs 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dse_tui.core.catalog import Catalog  # noqa: E402
from dse_tui.core.profile.config import load_profile  # noqa: E402
from dse_tui.core.engine.schedule import statuses  # noqa: E402
from dse_tui.core.common.timeutil import to_db  # noqa: E402

KINDS = [("database", "sqlite"), ("software", "git"), ("web", "files"), ("config", "files")]


def write_profile(directory: Path, repos: int) -> Path:
    lines = ["site: {id: bench, name: Benchmark site}", "storage: {root: ./backups, catalog: ./catalog.sqlite}",
             "repositories:"]
    for i in range(repos):
        kind, driver = KINDS[i % 4]
        lines.append(f"  - {{id: repo-{i:04d}, name: Repository {i}, kind: {kind}, driver: {driver}, "
                     f"source: {{path: ./src/{i}}}, periodicity: {random.choice(['6h', '1d', '1w'])}}}")
    path = directory / "profile.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def fill(catalog_path: Path, repos: int, runs: int) -> None:
    now = datetime.now(timezone.utc)
    per_repo = runs // repos
    with Catalog(catalog_path) as catalog:
        catalog.ensure_repositories(f"repo-{i:04d}" for i in range(repos))
        ids = {key: rid for rid, key in catalog.conn.execute("SELECT id, key FROM repositories")}
        with catalog.transaction():
            for i in range(repos):
                rid = ids[f"repo-{i:04d}"]
                rows = []
                for k in range(per_repo):
                    at = now - timedelta(hours=6 * (per_repo - k))
                    state = "failed" if random.random() < 0.03 else "good"
                    rows.append((rid, to_db(at), to_db(at + timedelta(seconds=30)), state,
                                 random.randint(10_000, 10_000_000) if state == "good" else None))
                catalog.conn.executemany(
                    "INSERT INTO runs(repository_id, started_at, ended_at, state, size) VALUES (?, ?, ?, ?, ?)", rows)
        catalog.conn.execute("ANALYZE")


def time_query(profile_path: Path, rounds: int = 20) -> tuple[float, float]:
    profile = load_profile(profile_path)
    with Catalog(profile.catalog_path) as catalog:
        catalog.last_status()  # warm the page cache, as a running console has it
        query, full = [], []
        for _ in range(rounds):
            t = time.perf_counter()
            catalog.last_status()
            query.append(time.perf_counter() - t)
            t = time.perf_counter()
            statuses(profile, catalog, datetime.now(timezone.utc))
            full.append(time.perf_counter() - t)
    return statistics.median(query), statistics.median(full)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="build the site here and keep it")
    args = parser.parse_args()
    random.seed(7)
    directory = args.keep or Path(tempfile.mkdtemp(prefix="dse-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    profile_path = write_profile(directory, args.repos)
    catalog_path = directory / "catalog.sqlite"
    if not catalog_path.exists():
        t = time.perf_counter()
        fill(catalog_path, args.repos, args.runs)
        print(f"filled {args.runs:,} runs of {args.repos:,} repositories in {time.perf_counter() - t:.1f} s "
              f"({catalog_path.stat().st_size / 2**20:.0f} MiB)")
    query, full = time_query(profile_path)
    print(f"last status of every repository: {query * 1000:.1f} ms (target <= 15 ms); "
          f"with due/overdue for all: {full * 1000:.1f} ms")
    if not args.keep:
        import shutil

        shutil.rmtree(directory)
    os.sync()


if __name__ == "__main__":
    main()
