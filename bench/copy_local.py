"""A copy with read-back onto a folder, against the plain tools doing the same work in the same run:
`cp` + `sync` + `openssl dgst -sha256` of the copy (what an operator would do by hand, with the fastest
hash tool here: coreutils' sha256sum is 3x slower on this machine). Not a test: run it by hand.

    python bench/copy_local.py [--size-gib 1] [--rounds 3] [--to DIR]

The run is one incompressible part (as a compressed artifact is). dse-tui hashes the source as it copies,
fsyncs, renames, drops the copy from the page cache and hashes it again from the medium; the plain tools
copy, sync and hash the copy (from the page cache, so they do less). The two alternate round by round
(bench/common.py); printed: the median of the rounds' pairwise ratios, with the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Bench, measured, median_of  # noqa: E402

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
        with Catalog(profile.catalog_path) as catalog:
            run = catalog.run(run_id)
            target = to / "plain"

            def plain() -> None:
                subprocess.run(["cp", "-r", run.artifact, str(target)], check=True)
                subprocess.run(["sync", "-f", str(target)], check=True)
                subprocess.run(["sh", "-c", f"openssl dgst -sha256 {target}/* > /dev/null"], check=True)

            def ours() -> None:
                outcome = copy_run(profile, catalog, run, profile.destinations["to"])
                assert outcome.state == "verified", outcome.message

            def fresh(name: str) -> None:  # the last round's copies gone, untimed
                shutil.rmtree(target, ignore_errors=True)
                catalog.conn.execute("DELETE FROM copies")
                shutil.rmtree(to / "bench", ignore_errors=True)

            gib = (run.size or size) / (1 << 30)
            with Bench(f"copy of a {gib:.2f} GiB run, {args.rounds} rounds") as bench:
                samples = bench.alternate({"cp + sync + openssl dgst": measured(plain),
                                           "dse-tui copy_run": measured(ours)}, args.rounds, before_each=fresh)
                for name, runs in samples.items():
                    print(f"  {name:<22} median {median_of(runs):6.2f} s  {gib / median_of(runs):5.2f} GiB/s")
                bench.ratio("dse-tui / the plain tools, wall", samples["dse-tui copy_run"],
                            samples["cp + sync + openssl dgst"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
