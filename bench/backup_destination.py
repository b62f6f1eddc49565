"""A files run with one directory destination (the copy and its read-back from the medium) against the
plain tools doing the same work: `tar -cf - DIR | zstd -T0 -3 > f && sync f`, a read-back of f from the
disk (`dd iflag=direct`, so not from the page cache) hashed by `openssl dgst -sha256`, then `cp f DEST &&
sync DEST` and the same read-back of the copy. Alternates the two (A B A B, bench/common.py) and prints the
median of the pairwise ratios with their spread and the load average before and after. Target: <= 1.6x.
Not a test: run it by hand.

dse-tui's side is the real run (`run_repository`, timed in its own process): per-file SHA-256 manifest,
stream hashed once, each part read back from the disk as it is written, fsync, rename, verification, the
catalog, then the copy onto the destination, read back from there as it is written.

    python bench/backup_destination.py [--size-gib 1] [--rounds 3] [--keep DIR] [--to DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from backup_files import kept_tree
from common import Bench, dse_run, median_of, shell


def read_back(path: str) -> str:
    """The file from the disk, past the page cache, hashed (a failed read fails the pipeline)."""
    return f"set -o pipefail; dd if={path} iflag=direct bs=1M status=none | openssl dgst -sha256 > /dev/null"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="a folder to make the tree in and keep (reused if there)")
    parser.add_argument("--to", type=Path, help="the destination's folder (default: one beside the output)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="dse-bench-dest-", dir="/var/tmp"))
    tree, files = kept_tree(work, args.size_gib)
    out, dest = work / "out", args.to or work / "dest"
    profile = work / "profile-dest.yaml"
    profile.write_text(f"site: {{id: bench, name: Bench}}\nstorage: {{root: {out}/dse, catalog: {out}/c.sqlite}}\n"
                       f"destinations: [{{id: shelf, kind: directory, path: {dest}}}]\n"
                       f"repositories:\n  - {{id: tree, kind: web, driver: files, source: {{path: {tree}}}, "
                       f"copies: 1, destinations: [shelf], retention: {{daily: 1, weekly: 0, monthly: 0}}}}\n")
    f, copy = out / "plain.tar.zst", dest / "plain.tar.zst"
    commands = {
        "tar | zstd, cp, read-backs": shell(
            f"bash -c '{f'tar -cf - -C {tree} . | zstd -q -T0 -3 > {f} && sync {f}'} && {read_back(str(f))} && "
            f"cp {f} {copy} && sync {copy} && {read_back(str(copy))}'"),
        "dse-tui run + copy": lambda: copied(dse_run(profile, "tree")),
    }

    def copied(sample):
        made = list(dest.rglob("manifest.json"))
        assert made, "the run made no copy on its destination (see the catalog's copies)"
        return sample

    def fresh(name: str) -> None:  # untimed: every run the first of its site, the destination empty
        for folder in (out, dest):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)

    # Warm the page cache with the tree (through cat: GNU tar writing to /dev/null reads nothing).
    os.system(f"tar -cf - -C {tree} . | cat > /dev/null")
    with Bench(f"{args.size_gib} GiB tree, {files} files, one directory destination, {args.rounds} rounds, "
               f"{os.cpu_count()} cores") as bench:
        samples = bench.alternate(commands, args.rounds, before_each=fresh)
        base, ours = samples["tar | zstd, cp, read-backs"], samples["dse-tui run + copy"]
        for name, runs in samples.items():
            print(f"  {name:<28} median {median_of(runs):7.2f} s wall  {median_of(runs, 'cpu'):7.2f} s CPU")
        bench.ratio("dse-tui / plain tools, wall", ours, base, target="<= 1.6x")
        bench.ratio("dse-tui / plain tools, CPU", ours, base, key="cpu")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
