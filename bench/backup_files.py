"""The `files` driver against the plain pipeline on a mixed tree (default 2 GiB).

Prints wall times and ratios for: `tar -cf - DIR | zstd -T0 -3 > out` (the baseline), dse-tui's run of
the same tree (stream, per-file SHA-256 manifest, fsync, rename, read-back), and, when installed, the first
backup of the tree by restic and by borg. Also the peak RSS of the dse-tui process (target <= 150 MB).
With `age` installed, the same run encrypted (`encrypt: true`) against the plain one in the same run, and
`tar | zstd | age` against the baseline. Targets: dse-tui <= 1.10x the baseline; encrypted <= 1.05x the
plain dse-tui run. Not a test: run it by hand.

    python bench/backup_files.py [--size-gib 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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


def timed(argv, **kw) -> float:
    t = time.perf_counter()
    subprocess.run(argv, check=True, **kw)
    return time.perf_counter() - t


DSE_RUN = """
import resource, sys, time
from dse_tui.core.profile.config import load_profile
from dse_tui.core.engine.runner import run_repository
p = load_profile(sys.argv[1])
t = time.perf_counter()
o = run_repository(p, p.repository("tree"))
assert o.state == "good", o.message
# VmHWM, not ru_maxrss: a child's ru_maxrss starts from its parent's size at fork (this bench, with the
# tree it just made in memory), which is not dse-tui's own.
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(time.perf_counter() - t, hwm, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, o.size)
"""



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=2.0)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="dse-bench-files-"))
    tree = work / "tree"
    if not tree.exists():
        t = time.perf_counter()
        make_tree(tree, int(args.size_gib * 2**30))
        print(f"made a {args.size_gib} GiB tree in {time.perf_counter() - t:.1f} s")
    files = sum(1 for _ in tree.rglob("*") if _.is_file())
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    subprocess.run(f"tar -cf - -C {tree} . > /dev/null", shell=True, check=True)  # warm the page cache

    results = {}
    base = []
    for _ in range(2):
        base.append(timed(f"tar -cf - -C {tree} . | zstd -q -T0 -3 > {out}/plain.tar.zst", shell=True))
    results["tar | zstd -T0"] = min(base)

    def dse_run(encrypt: str = "") -> tuple[float, int, int]:
        profile = work / "profile.yaml"
        profile.write_text(f"site: {{id: bench, name: Bench}}\nstorage: {{root: {out}/dse, catalog: {out}/c.sqlite}}\n"
                           f"{encrypt and f'encryption: {{recipients: [{encrypt}]}}'}\n"
                           f"repositories:\n  - {{id: tree, kind: web, driver: files, source: {{path: {tree}}}, "
                           f"copies: 0, retention: {{daily: 1, weekly: 0, monthly: 0}}, encrypt: {str(bool(encrypt)).lower()}}}\n")
        times, rss, child_rss = [], 0, 0
        for _ in range(2):
            res = subprocess.run([sys.executable, "-c", DSE_RUN, str(profile)], capture_output=True, text=True,
                                 cwd=ROOT, check=True)
            seconds, maxrss_kib, child_kib, _size = res.stdout.split()
            times.append(float(seconds))
            rss, child_rss = max(rss, int(maxrss_kib)), max(child_rss, int(child_kib))
        return min(times), rss, child_rss

    results["dse-tui files driver"], rss, child_rss = dse_run()
    recipient = None
    if shutil.which("age-keygen"):
        key = subprocess.run(["age-keygen"], capture_output=True, text=True, check=True).stdout
        recipient = next(line.split(": ")[1] for line in key.splitlines() if line.startswith("# public key: "))
        results["tar | zstd | age"] = min(
            timed(f"tar -cf - -C {tree} . | zstd -q -T0 -3 | age -r {recipient} > {out}/plain.tar.zst.age", shell=True)
            for _ in range(2))
        # Interleaved with a plain run, so both see the same page cache and the same machine load.
        plain_again, _, _ = dse_run()
        results["dse-tui files driver"] = min(results["dse-tui files driver"], plain_again)
        results["dse-tui encrypted (age)"], _, _ = dse_run(recipient)

    if shutil.which("restic"):
        env = {**os.environ, "RESTIC_PASSWORD": "bench"}
        subprocess.run(["restic", "init", "-q", "-r", str(out / "restic")], env=env, check=True)
        results["restic (first backup)"] = timed(["restic", "backup", "-q", "-r", str(out / "restic"), str(tree)],
                                                 env=env)
    if shutil.which("borg"):
        env = {**os.environ, "BORG_PASSPHRASE": "bench", "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes"}
        subprocess.run(["borg", "init", "-e", "none", str(out / "borg")], env=env, check=True)
        results["borg (first backup)"] = timed(["borg", "create", "--compression", "zstd,3",
                                                f"{out / 'borg'}::first", "."], env=env, cwd=tree)

    baseline = results["tar | zstd -T0"]
    print(f"tree: {args.size_gib} GiB, {files} files; machine: {os.cpu_count()} cores")
    for name, seconds in results.items():
        print(f"  {name:<24} {seconds:7.2f} s   {seconds / baseline:5.2f}x")
    print(f"  dse-tui peak RSS: {rss / 1024:.0f} MB (target <= 150 MB); largest child (zstd or the tar "
          f"writer) {child_rss / 1024:.0f} MB; dse-tui target <= 1.10x")
    if recipient:
        ratio = results["dse-tui encrypted (age)"] / results["dse-tui files driver"]
        print(f"  encrypted / plain dse-tui run: {ratio:.3f}x (target <= 1.05x)")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
