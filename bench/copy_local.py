"""A copy with read-back onto a folder, against the plain tools doing the same work in the same run:
`cp` + `sync` + `sha256sum` of the copy (what an operator would do by hand). Not a test: run it by hand.

    python bench/copy_local.py [--size-gib 1] [--rounds 3] [--to DIR]

The run is one incompressible part (as a compressed artifact is). dse-tui hashes the source as it copies,
fsyncs, renames, drops the copy from the page cache and hashes it again from the medium; the plain tools
copy, sync and hash the copy (from the page cache, so they do less).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dse_tui.core.catalog import Catalog  # noqa: E402
from dse_tui.core.profile.config import load_profile  # noqa: E402
from dse_tui.core.destinations.copies import copy_run  # noqa: E402
from dse_tui.core.engine.runner import run_repository  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-gib", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--to", type=Path, help="destination folder (default: a temporary one beside the source)")
    args = parser.parse_args()
    size = int(args.size_gib * (1 << 30))
    with tempfile.TemporaryDirectory(prefix="dse-bench-copy-", dir="/var/tmp") as tmp:
        tmp = Path(tmp)
        (tmp / "src").mkdir()
        with open(tmp / "src" / "data.bin", "wb") as f:
            for _ in range(size // (64 << 20) or 1):
                f.write(os.urandom(64 << 20))
        to = args.to or tmp / "to"
        to.mkdir(parents=True, exist_ok=True)
        (tmp / "profile.yaml").write_text(f"""site: {{id: bench, name: Bench}}
storage: {{root: ./backups, catalog: ./catalog.sqlite, compression_level: 1}}
destinations: [{{id: to, kind: directory, path: {to}}}]
repositories: [{{id: data, kind: config, driver: files, source: {{path: ./src}}, copies: 0}}]
""")
        profile = load_profile(tmp / "profile.yaml", cache=False)
        run_id = run_repository(profile, profile.repository("data")).run_id
        plain, ours = [], []
        with Catalog(profile.catalog_path) as catalog:
            run = catalog.run(run_id)
            for _ in range(args.rounds):
                target = to / "plain"
                shutil.rmtree(target, ignore_errors=True)
                t0 = time.perf_counter()
                subprocess.run(["cp", "-r", run.artifact, str(target)], check=True)
                subprocess.run(["sync", "-f", str(target)], check=True)
                subprocess.run(["sh", "-c", f"sha256sum {target}/* > /dev/null"], check=True)
                plain.append(time.perf_counter() - t0)
                shutil.rmtree(target)
                catalog.conn.execute("DELETE FROM copies")
                shutil.rmtree(to / "bench", ignore_errors=True)
                t0 = time.perf_counter()
                outcome = copy_run(profile, catalog, run, profile.destinations["to"])
                ours.append(time.perf_counter() - t0)
                assert outcome.state == "verified", outcome.message
        gib = (run.size or size) / (1 << 30)
        best_plain, best_ours = min(plain), min(ours)
        print(f"run of {gib:.2f} GiB, best of {args.rounds}:")
        print(f"  cp + sync + sha256sum : {best_plain:6.2f} s  {gib / best_plain:5.2f} GiB/s")
        print(f"  dse-tui copy_run      : {best_ours:6.2f} s  {gib / best_ours:5.2f} GiB/s  "
              f"(ratio {best_ours / best_plain:.2f}x the plain tools' time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
