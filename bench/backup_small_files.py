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
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import Bench, Sample, median_of, shell

ROOT = Path(__file__).resolve().parent.parent

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


# The run, timed from inside its process (not the interpreter's start-up), with the peak RSS of the
# process and of each child: VmHWM read from /proc as they run (ru_maxrss of a child starts from its
# parent's size at fork, which is not the child's own).
DSE_RUN = """
import json, os, resource, sys, threading, time
from dse_tui.core.profile.config import load_profile
from dse_tui.core.engine.runner import run_repository

peaks, done = {}, threading.Event()
OWN = open("/proc/self/cmdline", "rb").read()
def hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            status = f.read()
        name = status.split("\\n", 1)[0].split()[1]
        cmd = open(f"/proc/{pid}/cmdline", "rb").read()
        if cmd == OWN:  # forked, not yet the program it will be: its memory is still ours
            return None
        if b"dse_tui.core.drivers.files.tarwriter" in cmd:
            name = "tar writer"
        return name, next(int(l.split()[1]) for l in status.splitlines() if l.startswith("VmHWM:"))
    except (OSError, StopIteration, IndexError):
        return None
def children(pid):
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            out += open(f"/proc/{pid}/task/{task}/children").read().split()
    except OSError:
        pass
    return out
def watch():
    while not done.wait(0.02):
        todo = children(os.getpid())
        while todo:
            pid = todo.pop()
            todo += children(pid)
            got = hwm(pid)
            if got:
                peaks[pid] = got
threading.Thread(target=watch, daemon=True).start()
p = load_profile(sys.argv[1], cache=False)
def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
c0, t = cpu(), time.perf_counter()
o = run_repository(p, p.repository("tree"))
wall, used = time.perf_counter() - t, cpu() - c0
done.set()
assert o.state == "good", o.message
own = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
kids = {}
for name, kib in peaks.values():
    kids[name] = max(kids.get(name, 0), kib)
print(json.dumps({"wall": wall, "cpu": used, "rss_kib": own, "children_kib": kids, "size": o.size}))
"""


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

    def dse() -> Sample:
        res = subprocess.run([sys.executable, "-c", DSE_RUN, str(profile)], capture_output=True, text=True,
                             cwd=ROOT, check=True)
        got = json.loads(res.stdout)
        return Sample(got["wall"], got["cpu"], got)

    subprocess.run(f"tar -cf - -C {tree} . > /dev/null", shell=True, check=True)  # warm the page cache
    with Bench(f"{args.files} small files, {args.rounds} rounds, tar | zstd then dse-tui") as bench:
        samples = bench.alternate({"tar | zstd -T0 -3; sync": shell(f"tar -cf - -C {tree} . | zstd -q -T0 -3 "
                                                                      f"> {out}/plain.tar.zst && sync {out}/plain.tar.zst"),
                                   "dse-tui run": dse}, args.rounds, before_each=fresh)
        base, ours = samples["tar | zstd -T0 -3; sync"], samples["dse-tui run"]
        print(f"  medians: tar | zstd {median_of(base):.2f} s wall, {median_of(base, 'cpu'):.2f} s CPU; "
              f"dse-tui {median_of(ours):.2f} s wall, {median_of(ours, 'cpu'):.2f} s CPU")
        bench.ratio("dse-tui / tar | zstd, wall", ours, base, target="<= 2.5x")
        bench.ratio("dse-tui / tar | zstd, CPU", ours, base, key="cpu")
        own = max(s.extra["rss_kib"] for s in ours)
        kids: dict[str, int] = {}
        for s in ours:
            for name, kib in s.extra["children_kib"].items():
                kids[name] = max(kids.get(name, 0), kib)
        shown = ", ".join(f"{name} {kib / 1024:.0f}" for name, kib in sorted(kids.items()))
        print(f"  dse-tui peak RSS (VmHWM, MiB): run process {own / 1024:.0f}; children {shown}; "
              f"all together at most {(own + sum(kids.values())) / 1024:.0f} (target <= 100 each, flat in files)")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
