"""What every bench script shares: the load average before and after (on a machine shared with other work
a figure means little without it), the commands compared in alternation (A B A B …, so both see the same
page cache and the same load as it drifts), and the median of the pairwise ratios with their spread (a
best-of-N of each side taken at different moments compares two different machines).

    with Bench("backup of small files") as b:
        samples = b.alternate({"tar | zstd": plain, "dse-tui": ours}, rounds=5)
        b.ratio("dse-tui wall", samples["dse-tui"], samples["tar | zstd"])
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from typing import Callable


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


def shell(command: str) -> Callable[[], Sample]:
    return measured(lambda: subprocess.run(command, shell=True, check=True))


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
