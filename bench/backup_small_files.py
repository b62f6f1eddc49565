"""The `files` driver on a tree of many small files (default 100,000, as a config tree or a web docroot
has: many folders, files of some tens of bytes to a few KB) against `tar -cf - DIR | zstd -T0 -3 > out;
sync out`, alternating the two. dse-tui's run is the real one (`run_repository` of a files repository:
stream, per-file SHA-256 manifest, fsync, rename, read-back, verification, catalog), timed in its own
process from the call to its outcome.

Prints the median wall and CPU ratios with their spread, and dse-tui's peak RSS: the VmHWM of the run's
process and of each child (the tar writer, zstd), read from /proc while they run. Targets: wall <= 2.5x,
peak RSS <= 100 MiB and flat in the number of files (compare --files 20000 with the default). Not a test:
run it by hand.

    python bench/backup_small_files.py [--files 100000] [--rounds 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import Bench, dse_run, median_of, peak_rss, shell

WORDS = ("<?php return array server listen location root index include define config value true false "
         "servicios respaldo periodicidad verificación copia etiqueta soporte").split()


def make_tree(root: Path, files: int) -> int:
    """`files` files, 100 to a folder, two levels of folders; most of a few tens of bytes, one in twenty
    of a few KB. Returns the bytes written."""
    rng = random.Random(1)
    text = " ".join(rng.choice(WORDS) for _ in range(20_000)).encode()
    written = 0
    for i in range(files):
        d = root / f"module{i // 10_000:02d}" / f"part{i // 100 % 100:02d}"
        if i % 100 == 0:
            d.mkdir(parents=True, exist_ok=True)
        n = rng.randint(500, 4000) if rng.random() < 0.05 else rng.randint(16, 120)
        start = rng.randint(0, len(text) - n)
        (d / f"file{i:06d}.{('php', 'conf', 'html', 'js')[i % 4]}").write_bytes(text[start:start + n])
        written += n
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="a folder to make the tree in and keep (reused if there)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="dse-bench-small-", dir="/var/tmp"))
    tree = work / f"tree-{args.files}"
    if not tree.exists():
        t = time.perf_counter()
        size = make_tree(tree, args.files)
        print(f"made {args.files} files ({size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
    out = work / "out"
    profile = work / "profile.yaml"
    profile.write_text(f"site: {{id: bench, name: Bench}}\nstorage: {{root: {out}/dse, catalog: {out}/c.sqlite}}\n"
                       f"repositories:\n  - {{id: tree, kind: web, driver: files, source: {{path: {tree}}}, "
                       f"copies: 0, retention: {{daily: 1, weekly: 0, monthly: 0}}}}\n")

    def fresh(_name: str) -> None:  # every run the first of its repository, as every tar is
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()

    # Warm the page cache (through cat: GNU tar writing to /dev/null itself does not read the files).
    subprocess.run(f"tar -cf - -C {tree} . | cat > /dev/null", shell=True, check=True)
    with Bench(f"{args.files} small files, {args.rounds} rounds, tar | zstd then dse-tui") as bench:
        samples = bench.alternate({"tar | zstd -T0 -3; sync": shell(f"tar -cf - -C {tree} . | zstd -q -T0 -3 "
                                                                      f"> {out}/plain.tar.zst && sync {out}/plain.tar.zst"),
                                   "dse-tui run": lambda: dse_run(profile, "tree")}, args.rounds,
                                  before_each=fresh)
        base, ours = samples["tar | zstd -T0 -3; sync"], samples["dse-tui run"]
        print(f"  medians: tar | zstd {median_of(base):.2f} s wall, {median_of(base, 'cpu'):.2f} s CPU; "
              f"dse-tui {median_of(ours):.2f} s wall, {median_of(ours, 'cpu'):.2f} s CPU")
        bench.ratio("dse-tui / tar | zstd, wall", ours, base, target="<= 2.5x")
        bench.ratio("dse-tui / tar | zstd, CPU", ours, base, key="cpu")
        print(f"  {peak_rss(ours)} (target <= 100 MiB each, flat in the number of files)")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
