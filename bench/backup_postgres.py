"""The `postgresql` driver against bare `pg_dump -Fc` on a database of about 1 GB (target <= 1.05x).

The two alternate round by round (bench/common.py), and the ratio printed is the median of the rounds'
pairs, with the load average before and after. dse-tui's run is timed inside its process (as
bench/backup_files.py's), from the profile loaded to the outcome: dump, compression, hashing, fsync,
read-back and the catalog. Needs the local PostgreSQL (127.0.0.1:5432, user postgres, trust). Not a test:
run it by hand.

    python bench/backup_postgres.py [--size-mb 1024] [--rounds 3] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Bench, dse_run, median_of, shell  # noqa: E402
DB = "dse_bench_pg"
PSQL = ["psql", "-XAtq", "-h", "127.0.0.1", "-U", "postgres"]


def psql(db: str, sql: str) -> str:
    return subprocess.run(PSQL + ["-d", db, "-c", sql], capture_output=True, text=True, check=True).stdout.strip()


def ensure_database(size_mb: int) -> None:
    if psql("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{DB}'") == "1":
        return
    psql("postgres", f"CREATE DATABASE {DB}")
    rows = size_mb * 1024 * 1024 // 260  # about 260 bytes a row on disk, indexes included
    psql(DB, "CREATE TABLE enrolment (id bigint PRIMARY KEY, student text, course text, grade numeric, "
             "notes text, enrolled_at timestamptz)")
    psql(DB, f"INSERT INTO enrolment SELECT g, 'student-' || (g % 50000), 'course-' || (g % 700), (g % 100) / 10.0, "
             f"md5(g::text) || ' ' || md5((g * 7)::text) || ' ' || repeat('nota ', 10), "
             f"now() - (g % 10000) * interval '1 hour' FROM generate_series(1, {rows}) g")
    psql(DB, "VACUUM ANALYZE enrolment")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run")
    args = parser.parse_args()
    t = time.perf_counter()
    ensure_database(args.size_mb)
    size = int(psql(DB, f"SELECT pg_database_size('{DB}')"))
    print(f"database {DB}: {size / 2**20:.0f} MiB (ready in {time.perf_counter() - t:.0f} s)")
    work = Path(tempfile.mkdtemp(prefix="dse-bench-pg-"))
    profile = work / "profile.yaml"
    profile.write_text(f"site: {{id: bench, name: Bench}}\nstorage: {{root: {work}/dse, catalog: {work}/c.sqlite}}\n"
                       f"repositories:\n  - {{id: pg, kind: database, driver: postgresql, source: {{host: 127.0.0.1, "
                       f"user: postgres, databases: [{DB}], globals: false}}, copies: 0, "
                       f"retention: {{daily: 1, weekly: 0, monthly: 0}}}}\n")
    bare = work / "bare.dump"
    commands = {"pg_dump -Fc": shell(f"pg_dump -h 127.0.0.1 -U postgres -Fc -f {bare} {DB}"),
                "dse-tui postgresql driver": lambda: dse_run(profile, "pg")}

    def fresh(name: str) -> None:  # the command's output of the round before gone, untimed
        if name == "pg_dump -Fc":
            bare.unlink(missing_ok=True)
        else:
            shutil.rmtree(work / "dse", ignore_errors=True)

    with Bench(f"database {DB}, {size / 2**20:.0f} MiB, {args.rounds} rounds") as bench:
        samples = bench.alternate(commands, args.rounds, before_each=fresh)
        out = next((work / "dse" / "pg").iterdir()) / f"{DB}.pgdump.zst"
        for name, runs in samples.items():
            print(f"  {name:<26} median {median_of(runs):7.2f} s wall  {median_of(runs, 'cpu'):7.2f} s CPU")
        print(f"  sizes: pg_dump -Fc {bare.stat().st_size / 2**20:.0f} MiB, "
              f"dse-tui {out.stat().st_size / 2**20:.0f} MiB")
        bench.ratio("dse-tui / pg_dump -Fc, wall", samples["dse-tui postgresql driver"], samples["pg_dump -Fc"],
                    target="<= 1.05x")
    subprocess.run(["rm", "-rf", str(work)])
    if not args.keep:
        psql("postgres", f"DROP DATABASE {DB}")


if __name__ == "__main__":
    main()
