"""The `files` driver against the plain pipeline on a mixed tree (default 2 GiB).

Alternates, round by round (bench/common.py): `tar -cf - DIR | zstd -T0 -3 > out; sync out` (the
baseline), dse-tui's run of the same tree (stream, per-file SHA-256 manifest, fsync, rename, read-back),
and, when installed, the first backup of the tree by restic and by borg. With `age` installed, the same run
encrypted (`encrypt: true`) and `tar | zstd | age`. Prints the medians of the pairwise ratios with their
spread, and dse-tui's peak RSS (VmHWM of the run's process and of each child, target <= 150 MiB).
Targets (issue 21): dse-tui <= 1.10x the baseline wall, <= 1.30x its CPU; encrypted <= 1.08x the plain
dse-tui run. `tar | zstd + 2x SHA-256` is the plain tools with the hashing dse-tui does (all that is read and
all that is written), for scale.
`tar | zstd | age` over `tar | zstd` in the same run is the floor encryption can reach (age's own CPU
competes with zstd -T0's threads; dse-tui also hashes the plaintext on its way to age). Not a test: run it by
hand.

    python bench/backup_files.py [--size-gib 2] [--rounds 3] [--keep DIR] [--encrypted-only] [--before DIR]

--before DIR: another checkout's dse-tui (the code before a change, e.g. from `git worktree add`) run in the
same rounds, and its ratio to this one's printed: a before and after that saw the same load.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import Bench, dse_run, median_of, peak_rss, shell

WORDS = ("backup repository manifest verify checksum archive restore medium label tape disc "
         "universidad servicios respaldo periodicidad verificación copia etiqueta soporte").split()


def make_tree(root: Path, size: int) -> None:
    """About a quarter in many small text files, a quarter in medium files, half in a few large ones
    (some compressible, some random), the shape of a web site with its uploads."""
    rng = random.Random(1)
    text = " ".join(rng.choice(WORDS) for _ in range(400_000)).encode()
    written = 0
    small_budget, medium_budget = size // 4, size // 4
    i = 0
    while written < small_budget:
        d = root / "site" / f"section{i % 40:02d}"
        d.mkdir(parents=True, exist_ok=True)
        n = rng.randint(1_000, 60_000)
        start = rng.randint(0, len(text) - n)
        (d / f"page{i:05d}.html").write_bytes(text[start:start + n])
        written += n
        i += 1
    j = 0
    while written < small_budget + medium_budget:
        d = root / "uploads" / f"{2020 + j % 6}"
        d.mkdir(parents=True, exist_ok=True)
        n = rng.randint(1 << 20, 8 << 20)
        data = os.urandom(n) if j % 2 else (text * (n // len(text) + 1))[:n]
        (d / f"doc{j:04d}.bin").write_bytes(data)
        written += n
        j += 1
    big = root / "media"
    big.mkdir()
    k = 0
    while written < size:
        n = min(256 << 20, size - written)
        with open(big / f"video{k}.bin", "wb") as f:
            for _ in range(0, n, 16 << 20):
                chunk = os.urandom(16 << 20) if k % 2 else (text * 50)[: 16 << 20]
                f.write(chunk)
        written += n
        k += 1


def kept_tree(work: Path, size_gib: float) -> tuple[Path, int]:
    """work/tree, made the first time (kept for the next run with --keep), and its number of files."""
    tree = work / "tree"
    if not tree.exists():
        t = time.perf_counter()
        make_tree(tree, int(size_gib * 2**30))
        print(f"made a {size_gib} GiB tree in {time.perf_counter() - t:.1f} s")
    return tree, sum(1 for _ in tree.rglob("*") if _.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="a folder to make the tree in and keep (reused if there)")
    parser.add_argument("--encrypted-only", action="store_true",
                        help="only the plain and the encrypted dse-tui runs, alternated (needs age)")
    parser.add_argument("--before", type=Path, help="a checkout whose dse-tui runs in the same rounds too")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="dse-bench-files-", dir="/var/tmp"))
    tree, files = kept_tree(work, args.size_gib)
    out = work / "out"

    def profile(encrypt: str) -> Path:
        path = work / f"profile{'-age' if encrypt else ''}.yaml"
        path.write_text(f"site: {{id: bench, name: Bench}}\nstorage: {{root: {out}/dse, catalog: {out}/c.sqlite}}\n"
                        f"{encrypt and f'encryption: {{recipients: [{encrypt}]}}'}\n"
                        f"repositories:\n  - {{id: tree, kind: web, driver: files, source: {{path: {tree}}}, "
                        f"copies: 0, retention: {{daily: 1, weekly: 0, monthly: 0}}, encrypt: {str(bool(encrypt)).lower()}}}\n")
        return path

    plain = profile("")
    commands = {"tar | zstd -T0": shell(f"tar -cf - -C {tree} . | zstd -q -T0 -3 > {out}/plain.tar.zst "
                                        f"&& sync {out}/plain.tar.zst"),
                "dse-tui files driver": lambda: dse_run(plain, "tree"),
                # The plain tools with the hashing dse-tui's guarantees need: SHA-256 of all that is read and
                # of all that is written (openssl's, as fast as Python's hashlib; sha256sum is 3x slower).
                "tar | zstd + 2x SHA-256": shell(
                    f"bash -c 'set -o pipefail; tar -cf - -C {tree} . | tee >(openssl dgst -sha256 > /dev/null)"
                    f" | zstd -q -T0 -3 | tee >(openssl dgst -sha256 > /dev/null) > {out}/plain.tar.zst"
                    f" && sync {out}/plain.tar.zst'")}
    recipient = None
    if shutil.which("age-keygen"):
        key = subprocess.run(["age-keygen"], capture_output=True, text=True, check=True).stdout
        recipient = next(line.split(": ")[1] for line in key.splitlines() if line.startswith("# public key: "))
        encrypted = profile(recipient)
        commands["tar | zstd | age"] = shell(f"tar -cf - -C {tree} . | zstd -q -T0 -3 | age -r {recipient} "
                                             f"> {out}/plain.tar.zst.age && sync {out}/plain.tar.zst.age")
        commands["dse-tui encrypted (age)"] = lambda: dse_run(encrypted, "tree")
    restic_env = {**os.environ, "RESTIC_PASSWORD": "bench"}
    borg_env = {**os.environ, "BORG_PASSPHRASE": "bench", "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes"}
    if shutil.which("restic"):
        commands["restic (first backup)"] = shell(f"restic backup -q -r {out}/restic {tree}", env=restic_env)
    if shutil.which("borg"):
        commands["borg (first backup)"] = shell(f"cd {tree} && borg create --compression zstd,3 {out}/borg::first .",
                                                env=borg_env)
    if args.before:
        commands["dse-tui before"] = lambda: dse_run(plain, "tree", args.before)
    if args.encrypted_only:
        commands = {name: commands[name] for name in ("tar | zstd -T0", "dse-tui files driver", "tar | zstd + 2x SHA-256",
                                                      "dse-tui encrypted (age)", "tar | zstd | age")}

    def fresh(name: str) -> None:  # every backup the first of its repository, untimed
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        if name.startswith("restic"):
            subprocess.run(["restic", "init", "-q", "-r", str(out / "restic")], env=restic_env, check=True)
        elif name.startswith("borg"):
            subprocess.run(["borg", "init", "-e", "none", str(out / "borg")], env=borg_env, check=True)

    # Warm the page cache (through cat: GNU tar writing to /dev/null itself does not read the files).
    subprocess.run(f"tar -cf - -C {tree} . | cat > /dev/null", shell=True, check=True)
    with Bench(f"{args.size_gib} GiB tree, {files} files, {args.rounds} rounds, {os.cpu_count()} cores") as bench:
        samples = bench.alternate(commands, args.rounds, before_each=fresh)
        base = samples["tar | zstd -T0"]
        for name, runs in samples.items():
            print(f"  {name:<26} median {median_of(runs):7.2f} s wall  {median_of(runs, 'cpu'):7.2f} s CPU")
        bench.ratio("dse-tui / tar | zstd, wall", samples["dse-tui files driver"], base, target="<= 1.10x")
        bench.ratio("dse-tui / tar | zstd, CPU", samples["dse-tui files driver"], base, key="cpu",
                    target="<= 1.30x")
        hashed = samples["tar | zstd + 2x SHA-256"]
        bench.ratio("tar | zstd + 2x SHA-256 / tar | zstd, wall (the hashing floor)", hashed, base)
        bench.ratio("dse-tui / tar | zstd + 2x SHA-256, wall", samples["dse-tui files driver"], hashed)
        bench.ratio("dse-tui / tar | zstd + 2x SHA-256, CPU", samples["dse-tui files driver"], hashed, key="cpu")
        if args.before:
            bench.ratio("before / tar | zstd, wall", samples["dse-tui before"], base)
            bench.ratio("before / tar | zstd, CPU", samples["dse-tui before"], base, key="cpu")
            bench.ratio("dse-tui / before, wall", samples["dse-tui files driver"], samples["dse-tui before"])
            bench.ratio("dse-tui / before, CPU", samples["dse-tui files driver"], samples["dse-tui before"],
                        key="cpu")
        if recipient:
            bench.ratio("encrypted / plain dse-tui run, wall", samples["dse-tui encrypted (age)"],
                        samples["dse-tui files driver"], target="<= 1.08x")
            bench.ratio("tar | zstd | age / tar | zstd, wall", samples["tar | zstd | age"], base)
        for other in ("restic (first backup)", "borg (first backup)"):
            if other in samples:
                bench.ratio(f"{other} / tar | zstd, wall", samples[other], base)
        print(f"  {peak_rss(samples['dse-tui files driver'])} (target <= 150 MiB)")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
