"""Keypress-to-screen latency of the dashboard while a backup runs in it (target p95 <= 100 ms).

Measured in a real terminal: dse-tui runs in tmux; a backup of incompressible data is started with 'r';
then the cursor is moved up and down with send-keys and each key is timed until the table rows on
screen (capture-pane) show the move. The same is done with nothing running, for comparison.
Not a test: run it by hand (needs tmux).

    python bench/tui_latency.py [--size-mib 2048] [--keys 60]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SESSION = "dse-latency"
TABLE_ROWS = slice(3, 10)  # screen lines of the repository table


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def table() -> str:
    lines = tmux("capture-pane", "-p", "-e", "-t", SESSION).splitlines()
    return "\n".join(line[:120] for line in lines[TABLE_ROWS])


def key_latency(key: str, timeout: float = 5.0) -> float:
    before = table()
    t = time.perf_counter()
    tmux("send-keys", "-t", SESSION, key)
    while table() == before:
        if time.perf_counter() - t > timeout:
            break
        time.sleep(0.002)  # each look is a tmux process: do not steal the CPU being measured
    return time.perf_counter() - t


def series(n: int) -> list[float]:
    samples = []
    for i in range(n):
        samples.append(key_latency("Down" if i % 2 == 0 else "Up"))
        time.sleep(0.15)  # typing speed; lets the detail pane follow between keys
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--keys", type=int, default=60)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dse-bench-tui-"))
    tree = work / "tree"
    tree.mkdir()
    for i in range(args.size_mib // 64):
        (tree / f"blob{i:03d}.bin").write_bytes(os.urandom(64 << 20))
    (work / "site.yaml").write_text(
        f"site: {{id: bench, name: Bench}}\nstorage: {{root: {work}/dse, catalog: {work}/c.sqlite}}\n"
        "repositories:\n"
        f"  - {{id: tree, kind: web, driver: files, source: {{path: {tree}}}}}\n"
        + "".join(f"  - {{id: other{i}, kind: config, driver: files, source: {{path: {tree}}}}}\n" for i in range(5)))
    tmux("kill-session", "-t", SESSION)
    tmux("new-session", "-d", "-s", SESSION, "-x", "200", "-y", "50",
         f"{sys.executable} -m dse_tui --profile {work / 'site.yaml'} --lang en")
    time.sleep(3)
    try:
        idle = series(args.keys // 2)
        tmux("send-keys", "-t", SESSION, "Home")
        time.sleep(0.3)
        tmux("send-keys", "-t", SESSION, "r")
        time.sleep(1.0)
        t = time.perf_counter()
        busy = series(args.keys)
        busy_for = time.perf_counter() - t
        running = "Running" in tmux("capture-pane", "-p", "-t", SESSION)
    finally:
        tmux("send-keys", "-t", SESSION, "x")
        time.sleep(1)
        tmux("kill-session", "-t", SESSION)
        shutil.rmtree(work)
    ms = lambda s: f"{s * 1000:.0f} ms"
    print(f"idle:   {len(idle)} keys, median {ms(statistics.median(idle))}, p95 {ms(p95(idle))}")
    print(f"backup: {len(busy)} keys over {busy_for:.1f} s, median {ms(statistics.median(busy))}, "
          f"p95 {ms(p95(busy))} (target p95 <= 100 ms)"
          f"{'' if running else ' — the backup had ended before the last key'}")
    worst = sorted(range(len(busy)), key=lambda i: busy[i])[-5:]
    print("        slowest keys (index: ms): " + ", ".join(f"{i}: {busy[i] * 1000:.0f}" for i in sorted(worst)))


if __name__ == "__main__":
    main()
