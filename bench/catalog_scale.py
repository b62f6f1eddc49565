"""Catalog at scale: 1,000 repositories and 1,000,000 runs.

Prints the time of the "last status of every repository" query (target <= 15 ms, issue 21), with the load
average (a busy machine's figure is not an idle one's). The console's first
paint on the same site is bench/console_first_paint.py's (it builds the site with fill() and
write_profile() from here). Not a test: run it by hand.

    python bench/catalog_scale.py [--repos 1000] [--runs 1000000] [--keep DIR] [--catalog postgresql://…]
        [--writers 8] [--events 500]

--catalog: an empty PostgreSQL database to use instead of a SQLite file. Then, on the same catalog, the
event log's appends from --writers concurrent processes (each --events events): events per second, and
the chain checked whole afterwards.
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


def write_profile(directory: Path, repos: int, catalog: str = "./catalog.sqlite") -> Path:
    lines = ["site: {id: bench, name: Benchmark site}", f"storage: {{root: ./backups, catalog: '{catalog}'}}",
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
        if catalog.dialect.name == "postgresql":
            # One transaction of a million runs updates each repository's row (its last runs, migration 16)
            # a thousand times with no chance to reuse the space; a site's short run transactions and
            # autovacuum keep that table at its size, as this does once.
            catalog.conn.execute("VACUUM (FULL, ANALYZE) repositories")
        catalog.conn.execute("ANALYZE")


WRITER = """
import sys, time
sys.path.insert(0, sys.argv[3])
from dse_tui.core.catalog import Catalog
with Catalog(sys.argv[1]) as catalog:
    for i in range(int(sys.argv[2])):
        catalog.record_event("bench", "ok", repository=f"repo-{i % 1000:04d}", detail={"i": i})
"""


def time_appends(catalog_path, writers: int, events: int) -> tuple[float, list]:
    """Events per second appended by `writers` processes at once; the chain's problems afterwards."""
    import subprocess

    from dse_tui.core.records.audit import verify_chain

    Catalog(catalog_path).close()
    t = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(catalog_path), str(events), str(ROOT)])
             for _ in range(writers)]
    if any(p.wait() for p in procs):
        raise SystemExit("a writer failed")
    rate = writers * events / (time.perf_counter() - t)
    with Catalog(catalog_path) as catalog:
        return rate, verify_chain(catalog)[1]


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
    parser.add_argument("--catalog", help="an empty PostgreSQL database's postgresql:// URL")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args()
    random.seed(7)
    directory = args.keep or Path(tempfile.mkdtemp(prefix="dse-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    profile_path = write_profile(directory, args.repos, args.catalog or "./catalog.sqlite")
    catalog_path = args.catalog or directory / "catalog.sqlite"
    if args.catalog or not catalog_path.exists():
        t = time.perf_counter()
        fill(catalog_path, args.repos, args.runs)
        print(f"filled {args.runs:,} runs of {args.repos:,} repositories in {time.perf_counter() - t:.1f} s "
              + ("" if args.catalog else f"({catalog_path.stat().st_size / 2**20:.0f} MiB)"))
    query, full = time_query(profile_path)
    backend = "PostgreSQL" if args.catalog else "SQLite"
    print(f"{backend}: last status of every repository: {query * 1000:.1f} ms (target <= 15 ms); "
          f"with due/overdue for all: {full * 1000:.1f} ms; load average {os.getloadavg()[0]:.2f}")
    rate, problems = time_appends(catalog_path, args.writers, args.events)
    print(f"{backend}: event appends from {args.writers} concurrent writers: {rate:,.0f} events/s; "
          f"chain {'intact' if not problems else f'BROKEN: {problems[:3]}'}; load average {os.getloadavg()[0]:.2f}")
    if not args.keep:
        import shutil

        shutil.rmtree(directory)
    os.sync()


if __name__ == "__main__":
    main()
