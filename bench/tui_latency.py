"""Keypress-to-screen latency of the console, screen by screen, at rest and during a backup (targets: p95
<= 50 ms at rest, <= 100 ms during a backup, on each screen).

Measured in a real terminal: dse-tui runs in tmux, keys are sent with send-keys and each key is timed until
the part of the screen it moves (capture-pane) shows it. The site is the demo with many runs and media, a
session left open and a repository of incompressible files (`bulk`, --size-mib) to back up:

- session: a note typed, the cursor moved across the steps;
- dashboard: the cursor moved up and down the repositories;
- runs: the cursor moved across a repository's runs, `n` (the next verification level);
- media: the search typed.

Each at rest, then during a backup: `dse-tui run bulk` running headless beside the console on the same
catalog (started again as soon as one ends, so one always runs), and on the dashboard also a backup started
from the console itself (`r`), whose progress and log lines the console relays. Not a test: run it by hand
(needs tmux).

    python bench/tui_latency.py [--size-mib 384] [--keys 30] [--runs 200] [--media 150] [--only runs,media]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, load_average  # noqa: E402

SESSION = "dse-latency"
TABLE_ROWS = slice(3, 12)  # screen lines of the dashboard's repository table
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def screen_text(styled: bool = False) -> str:
    return tmux("capture-pane", "-p", *(["-e"] if styled else []), "-t", SESSION)


def whole(styled: bool = True):
    """The whole screen (with its styles: a moved cursor changes only them)."""
    return lambda: screen_text(styled)


def dashboard_rows() -> str:
    """The repository table, without the row of the repository being backed up (its state changes as the
    backup starts and ends, not as keys are pressed)."""
    lines = screen_text(True).splitlines()[TABLE_ROWS]
    return "\n".join(line[:160] for line in lines if "Bulk files" not in line)


def wait_for(text: str, timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while text not in screen_text():
        if time.perf_counter() > deadline:
            raise SystemExit(f"the console never showed {text!r}:\n{screen_text()}")
        time.sleep(0.05)


def send(*keys: str) -> None:
    tmux("send-keys", "-t", SESSION, *keys)


def typed_in(focus_key: str, what: str) -> None:
    """`focus_key` focuses a field; the keys timed go there once it takes what is typed (a marker shown, then
    erased). A loaded machine may take the key before the screen is ready for it: it is pressed again."""
    for _ in range(5):
        send(focus_key)
        time.sleep(0.5)
        tmux("send-keys", "-t", SESSION, "-l", "@@")
        deadline = time.perf_counter() + 5
        while "@@" not in screen_text() and time.perf_counter() < deadline:
            time.sleep(0.05)
        if "@@" in screen_text():
            break
    else:
        raise SystemExit(f"{what} never took the keys typed:\n{screen_text()}")
    send("BSpace", "BSpace")
    deadline = time.perf_counter() + 10
    while "@@" in screen_text():
        if time.perf_counter() > deadline:
            raise SystemExit(f"{what} did not erase the marker")
        time.sleep(0.05)


def timed(keys: list[str], n: int, look, timeout: float = 5.0) -> list[float]:
    """Each of n keys (taken in turn from `keys`) timed until what `look` returns changes."""
    samples = []
    for i in range(n):
        before = look()
        t = time.perf_counter()
        send(keys[i % len(keys)])
        while look() == before and time.perf_counter() - t < timeout:
            time.sleep(0.002)  # each look is a tmux process: do not steal the CPU being measured
        samples.append(time.perf_counter() - t)
        time.sleep(0.15)  # typing speed
    return samples


class Headless:
    """`dse-tui run bulk` beside the console, started again as soon as one ends, until the block ends."""

    def __init__(self, profile: Path):
        self.profile, self.runs = profile, 0
        self.stop, self.child = threading.Event(), None

    def _loop(self) -> None:
        while not self.stop.is_set():
            self.child = subprocess.Popen([sys.executable, "-m", "dse_tui", "--profile", str(self.profile), "run",
                                           "bulk"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
            self.child.wait()
            self.runs += 1

    def __enter__(self) -> "Headless":
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        time.sleep(1.5)  # past the child's start-up: the backup itself is what is measured beside
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        if self.child is not None:
            self.child.terminate()  # the run stops its tools and records itself cancelled
        self.thread.join()


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)


def seed(profile_path: Path, tree: Path, runs: int, media: int) -> None:
    """The bulk repository; `runs` runs of every repository (every third verified, every fifth failed),
    `media` discs each holding a run, and a session of server-config left open at its first step."""
    from datetime import timedelta

    from dse_tui.core.catalog import Catalog
    from dse_tui.core.common.timeutil import utcnow
    from dse_tui.core.profile.config import load_profile
    from dse_tui.core.sessions.checklists import load_checklists, repository_checklist
    from dse_tui.core.sessions.machine import start_session

    with profile_path.open("a") as f:
        f.write(f"\n  - id: bulk\n    name: Bulk files (bench)\n    kind: web\n    driver: files\n"
                f"    source: {{path: {tree}}}\n    periodicity: 1d\n    verify: checksum\n"
                f"    destinations: []\n    copies: 1\n")
    profile = load_profile(profile_path)
    now = utcnow()
    with Catalog(profile.catalog_path) as catalog:
        catalog.ensure_repositories(r.id for r in profile.repositories)
        ids = []
        for repo in profile.repositories:
            for i in range(runs if repo.id != "bulk" else 0):
                at = now - timedelta(hours=runs - i)
                run_id = catalog.start_run(repo.id, at=at)
                good = i % 5 != 0
                catalog.finish_run(run_id, "good" if good else "failed", size=100_000 + i,
                                   message=None if good else "bench: a failed run", at=at + timedelta(seconds=40))
                ids.append(run_id)
                if i % 3 == 0:
                    v = catalog.start_verification(run_id, "checksum", trigger="cli", operator="bench")
                    catalog.finish_verification(v, "passed", [{"name": "checksum", "ok": True, "detail": "bench"}])
        for i in range(media):
            code = f"BENCH-{i:04d}"
            medium = catalog.create_medium(code, "optical", destination="disc-images", capacity=700 << 20,
                                           location="shelf")
            copy = catalog.add_copy(ids[i % len(ids)], "disc-images", device=f"optical:{code}")
            catalog.link_copy_medium(copy, medium, 1, 1, path=f"/media/discs/{code}.iso")
        repo = profile.repository("server-config")
        start_session(catalog, profile, repo, repository_checklist(profile, repo, load_checklists()), operator="bench")


def measure(results: dict, name: str, keys: list[str], n: int, look, profile: Path) -> None:
    results[(name, "rest")] = timed(keys, n, look)
    with Headless(profile) as h:
        results[(name, "backup")] = timed(keys, n, look)
    if not h.runs and h.child is None:
        print(f"  ({name}: the headless backup never started)")


def console_backup(results: dict, n: int) -> None:
    """A backup started on the dashboard (`r` on bulk, the last row), the cursor moved while it runs."""
    send("End")
    time.sleep(0.5)
    send("r")
    wait_for("backing up", 20)
    t = time.perf_counter()
    results[("dashboard", "console backup")] = timed(["Up", "Down"], n, dashboard_rows)
    if "backing up" not in screen_text():
        print(f"  (the console's backup ended before the last key, after {time.perf_counter() - t:.1f} s: "
              "a larger --size-mib keeps it going)")
    send("x")  # cancel it if it still runs
    time.sleep(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=384, help="the bulk repository's incompressible data")
    parser.add_argument("--keys", type=int, default=30, help="keys timed in each series")
    parser.add_argument("--runs", type=int, default=200, help="runs of each demo repository")
    parser.add_argument("--media", type=int, default=150, help="media in the inventory")
    parser.add_argument("--only", default="session,dashboard,runs,media", help="the screens measured")
    args = parser.parse_args()
    only = set(args.only.split(","))
    sys.path.insert(0, str(ROOT))
    from dse_tui.core.profile.demo import init_demo

    print(f"console latency; load average before: {load_average()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="dse-bench-tui-"))
    tree = work / "tree"
    tree.mkdir()
    for i in range(max(1, args.size_mib // 32)):
        (tree / f"blob{i:03d}.bin").write_bytes(os.urandom(32 << 20))
    profile = init_demo(work / "demo")
    seed(profile, tree, args.runs, args.media)
    tmux("kill-session", "-t", SESSION)
    tmux("new-session", "-d", "-s", SESSION, "-x", "200", "-y", "50", "-e", f"PYTHONPATH={ROOT}",
         f"{sys.executable} -m dse_tui --profile {profile} --lang en")
    results: dict = {}
    n = args.keys
    try:
        wait_for("Resume")
        send("Enter")  # the session left open
        wait_for("Notes")
        if "session" in only:
            measure(results, "session: cursor on the steps", ["Down", "Up"], n, whole(), profile)
            typed_in("o", "the note")
            measure(results, "session: a note typed", ["x", "BSpace", "y"], n, whole(False), profile)
            send("Enter")  # back to the steps
        time.sleep(1.0)
        send("Escape")
        wait_for("Kind filter")  # the dashboard's footer
        if "dashboard" in only:
            send("Home")
            time.sleep(0.5)
            measure(results, "dashboard: cursor", ["Down", "Up"], n, dashboard_rows, profile)
            console_backup(results, n)
        if "runs" in only:
            send("Home", "v")
            wait_for("Verification")
            time.sleep(1.0)
            measure(results, f"runs: cursor ({args.runs} runs)", ["Down", "Up"], n, whole(), profile)
            measure(results, "runs: n, the next level", ["n"], n, whole(False), profile)
            send("Escape")
            wait_for("Kind filter")
        if "media" in only:
            send("i")
            wait_for("BENCH-0000")
            typed_in("/", "the search")
            measure(results, f"media: search typed ({args.media} media)", ["B", "BSpace"], n, whole(False), profile)
    finally:
        tmux("kill-session", "-t", SESSION)
        time.sleep(1)
        shutil.rmtree(work, ignore_errors=True)
    for (what, when), samples in results.items():
        target = 50 if when == "rest" else 100
        flag = "" if p95(samples) * 1000 <= target else f"  > {target} ms"
        print(f"{what:38} {when:15} {len(samples)} keys, p50 {statistics.median(samples) * 1000:4.0f} ms, "
              f"p95 {p95(samples) * 1000:4.0f} ms, worst {max(samples) * 1000:4.0f} ms{flag}")
    print(f"load average after: {load_average()}", flush=True)


if __name__ == "__main__":
    main()
