"""Keypress-to-screen latency of the console (target p95 <= 100 ms).

Measured in a real terminal: dse-tui runs in tmux, keys are sent with send-keys and each key is timed until
what is on screen (capture-pane) shows it.

By default, the dashboard while a backup runs in it: a backup of incompressible data is started with 'r',
then the cursor is moved up and down and each key is timed until the table rows show the move; the same is
done with nothing running, for comparison.

With --screens, the screens that read the catalog as keys are pressed, on a demo site with many runs and
media and a session left open: the session screen (a note typed, the cursor moved across the steps), the
runs screen (the cursor moved, `n` to the next level: a reload) and the media screen (the search typed).
Not a test: run it by hand (needs tmux).

    python bench/tui_latency.py [--size-mib 2048] [--keys 60]
    python bench/tui_latency.py --screens [--runs 200] [--media 150] [--keys 40]
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


def screen_text() -> str:
    """The whole screen as text: a typed character, a moved cursor's detail, a new heading all change it."""
    return tmux("capture-pane", "-p", "-t", SESSION)


def wait_for(text: str, timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while text not in screen_text():
        if time.perf_counter() > deadline:
            raise SystemExit(f"the console never showed {text!r}:\n{screen_text()}")
        time.sleep(0.05)


def typed_in(focus_key: str, what: str) -> None:
    """`focus_key` focuses a field; the keys timed go there once it takes what is typed (a marker shown, then
    erased). A loaded machine may take the key before the screen is ready for it: it is pressed again."""
    for _ in range(5):
        tmux("send-keys", "-t", SESSION, focus_key)
        time.sleep(0.5)
        tmux("send-keys", "-t", SESSION, "-l", "@@")
        deadline = time.perf_counter() + 5
        while "@@" not in screen_text() and time.perf_counter() < deadline:
            time.sleep(0.05)
        if "@@" in screen_text():
            break
    else:
        raise SystemExit(f"{what} never took the keys typed:\n{screen_text()}")
    tmux("send-keys", "-t", SESSION, "BSpace", "BSpace")
    deadline = time.perf_counter() + 10
    while "@@" in screen_text():
        if time.perf_counter() > deadline:
            raise SystemExit(f"{what} did not erase the marker")
        time.sleep(0.05)


def timed(keys: list[str], n: int, timeout: float = 5.0) -> list[float]:
    """Each of n keys (taken in turn from `keys`) timed until the screen changes."""
    samples = []
    for i in range(n):
        before = screen_text()
        t = time.perf_counter()
        tmux("send-keys", "-t", SESSION, keys[i % len(keys)])
        while screen_text() == before and time.perf_counter() - t < timeout:
            time.sleep(0.002)
        samples.append(time.perf_counter() - t)
        time.sleep(0.15)  # typing speed
    return samples


def seed(profile_path: Path, runs: int, media: int) -> None:
    """`runs` runs of every repository (every third verified, every fifth failed), `media` discs each
    holding a run, and a session of server-config left open at its first step."""
    from datetime import timedelta

    from dse_tui.core.catalog import Catalog
    from dse_tui.core.common.timeutil import utcnow
    from dse_tui.core.profile.config import load_profile
    from dse_tui.core.sessions.checklists import load_checklists, repository_checklist
    from dse_tui.core.sessions.machine import start_session

    profile = load_profile(profile_path)
    now = utcnow()
    with Catalog(profile.catalog_path) as catalog:
        catalog.ensure_repositories(r.id for r in profile.repositories)
        ids = []
        for repo in profile.repositories:
            for i in range(runs):
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


def screens(args) -> None:
    from dse_tui.core.profile.demo import init_demo

    work = Path(tempfile.mkdtemp(prefix="dse-bench-screens-"))
    profile = init_demo(work / "demo")
    seed(profile, args.runs, args.media)
    tmux("kill-session", "-t", SESSION)
    tmux("new-session", "-d", "-s", SESSION, "-x", "200", "-y", "50",
         f"{sys.executable} -m dse_tui --profile {profile} --lang en")
    results = {}
    try:
        wait_for("Resume")
        tmux("send-keys", "-t", SESSION, "Enter")  # the session left open
        wait_for("Notes")
        typed_in("o", "the note")
        results["session: a note typed"] = timed(["x", "BSpace", "y"], args.keys)
        tmux("send-keys", "-t", SESSION, "Enter")  # back to the steps
        time.sleep(1.0)
        results["session: cursor on the steps"] = timed(["Down", "Up"], args.keys)
        tmux("send-keys", "-t", SESSION, "Escape")
        wait_for("Kind filter")  # the dashboard's footer
        tmux("send-keys", "-t", SESSION, "Home", "v")
        wait_for("Verification")
        time.sleep(1.0)
        results[f"runs: cursor ({args.runs} runs)"] = timed(["Down", "Up"], args.keys)
        results["runs: n, the next level"] = timed(["n"], args.keys)
        tmux("send-keys", "-t", SESSION, "Escape")
        wait_for("Kind filter")
        tmux("send-keys", "-t", SESSION, "i")
        wait_for("BENCH-0000")
        typed_in("/", "the search")
        results[f"media: the search typed ({args.media} media)"] = timed(["B", "BSpace"], args.keys)
    finally:
        tmux("kill-session", "-t", SESSION)
        shutil.rmtree(work)
    for what, samples in results.items():
        print(f"{what:45} {len(samples)} keys, p50 {statistics.median(samples) * 1000:4.0f} ms, "
              f"p95 {p95(samples) * 1000:4.0f} ms, worst {max(samples) * 1000:4.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--keys", type=int, default=60)
    parser.add_argument("--screens", action="store_true", help="the session, runs and media screens instead")
    parser.add_argument("--runs", type=int, default=200, help="--screens: runs of each repository")
    parser.add_argument("--media", type=int, default=150, help="--screens: media in the inventory")
    args = parser.parse_args()
    if args.screens:
        screens(args)
        return
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
