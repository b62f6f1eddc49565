"""What every bench script shares: the load average before and after (on a machine shared with other work
a figure means little without it), the commands compared in alternation (A B A B …, so both see the same
page cache and the same load as it drifts), and the median of the pairwise ratios with their spread (a
best-of-N of each side taken at different moments compares two different machines).

    with Bench("backup of small files") as b:
        samples = b.alternate({"tar | zstd": plain, "dse-tui": ours}, rounds=5)
        b.ratio("dse-tui wall", samples["dse-tui"], samples["tar | zstd"])
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

# The code the runs import: this checkout, or another one (DSE_BENCH_CODE=DIR) to compare before and after.
ROOT = Path(os.environ.get("DSE_BENCH_CODE") or Path(__file__).resolve().parent.parent)


@dataclass
class Sample:
    wall: float  # seconds
    cpu: float = 0.0  # user + system seconds, of the process and the children it waited for
    extra: dict = field(default_factory=dict)  # what a command reports besides (peak RSS, sizes)


def load_average() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measured(fn: Callable[[], object]) -> Callable[[], Sample]:
    """`fn` timed from here: wall time, and the CPU time of this process and the children it waits for
    (a subprocess's, or a hash computed in this process)."""
    def run() -> Sample:
        cpu, t = _cpu(), time.perf_counter()
        out = fn()
        return Sample(time.perf_counter() - t, _cpu() - cpu, {"result": out})
    return run


def shell(command: str, env: dict | None = None) -> Callable[[], Sample]:
    return measured(lambda: subprocess.run(command, shell=True, check=True, env=env))


def spread(values: list[float]) -> str:
    """The median and the range, e.g. "1.23x (1.18–1.31, 5 pairs)"."""
    return f"{statistics.median(values):.2f}x ({min(values):.2f}–{max(values):.2f}, {len(values)} pairs)"


class Bench:
    def __init__(self, title: str):
        self.title = title
        self.results: list[tuple[str, list[float]]] = []

    def __enter__(self) -> "Bench":
        print(f"{self.title}; load average before: {load_average()}", flush=True)
        return self

    def __exit__(self, *exc) -> None:
        print(f"load average after: {load_average()}", flush=True)

    def alternate(self, commands: dict[str, Callable[[], Sample]], rounds: int,
                  before_each: Callable[[str], None] | None = None) -> dict[str, list[Sample]]:
        """Each command once per round, in the same order, `rounds` times. `before_each(name)`: untimed
        preparation (a fresh output folder)."""
        samples: dict[str, list[Sample]] = {name: [] for name in commands}
        for i in range(rounds):
            for name, command in commands.items():
                if before_each:
                    before_each(name)
                s = command()
                samples[name].append(s)
                print(f"  round {i + 1}: {name:<28} {s.wall:7.2f} s wall  {s.cpu:7.2f} s CPU", flush=True)
        return samples

    def ratio(self, label: str, ours: list[Sample], base: list[Sample], *, key: str = "wall",
              inverse: bool = False, target: str = "") -> float:
        """Print the median of ours/base over the pairs of the same round (base/ours with `inverse`, for a
        throughput), with its spread; returns the median."""
        pairs = [(getattr(b, key) / getattr(o, key)) if inverse else (getattr(o, key) / getattr(b, key))
                 for o, b in zip(ours, base)]
        print(f"  {label:<44} {spread(pairs)}{'  target ' + target if target else ''}", flush=True)
        self.results.append((label, pairs))
        return statistics.median(pairs)


def median_of(samples: list[Sample], key: str = "wall") -> float:
    return statistics.median(getattr(s, key) for s in samples)


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
        kib = next(int(l.split()[1]) for l in status.splitlines() if l.startswith("VmHWM:"))
        return (name, kib) if kib else None  # 0: a zombie, or a kernel thread
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
o = run_repository(p, p.repository(sys.argv[2]))
wall, used = time.perf_counter() - t, cpu() - c0
done.set()
assert o.state == "good", o.message
own = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
kids = {}
for name, kib in peaks.values():
    kids[name] = max(kids.get(name, 0), kib)
print(json.dumps({"wall": wall, "cpu": used, "rss_kib": own, "children_kib": kids, "size": o.size}))
"""


def dse_run(profile: Path, repo: str, code: Path | None = None) -> Sample:
    """One real run of `repo` (run_repository, as `dse-tui run` makes it) in a process of its own, timed
    from inside it, with the code of `code` (default ROOT); extra: rss_kib (its VmHWM), children_kib (each
    child's, by name), size."""
    code = code or ROOT
    res = subprocess.run([sys.executable, "-c", DSE_RUN, str(profile), repo], capture_output=True, text=True,
                         cwd=code, env={**os.environ, "PYTHONPATH": str(code)}, check=True)
    got = json.loads(res.stdout)
    return Sample(got["wall"], got["cpu"], got)


def peak_rss(samples: list[Sample]) -> str:
    """The highest VmHWM of dse-tui's run process and of each child over `samples`, in words."""
    own = max(s.extra["rss_kib"] for s in samples)
    kids: dict[str, int] = {}
    for s in samples:
        for name, kib in s.extra["children_kib"].items():
            kids[name] = max(kids.get(name, 0), kib)
    shown = ", ".join(f"{name} {kib / 1024:.0f}" for name, kib in sorted(kids.items()))
    return (f"dse-tui peak RSS (VmHWM, MiB): run process {own / 1024:.0f}; children {shown}; all together at "
            f"most {(own + sum(kids.values())) / 1024:.0f}")
