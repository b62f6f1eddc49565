"""Checksum verification of one large artifact against `openssl dgst -sha256` (and coreutils'
`sha256sum`) of the same file, in the same run. Target: dse-tui's throughput >= 0.9x OpenSSL's.
Not a test: run it by hand.

    python bench/verify_checksum.py [--size-gib 2] [--rounds 3]

Every tool reads the file from the page cache (a first untimed read warms it), so the figures compare
hashing, not the disk.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dse_tui.core.verification.levels import sha256_file  # noqa: E402


def timed(fn) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-gib", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = int(args.size_gib * (1 << 30))
    with tempfile.TemporaryDirectory(prefix="dse-bench-") as tmp:
        path = Path(tmp) / "artifact.tar.zst"
        with open(path, "wb") as f:  # incompressible, as a compressed artifact is
            block = os.urandom(1 << 24)
            for _ in range(size // len(block)):
                f.write(block)
        sha256_file(path)  # warm the page cache
        tools = {
            "openssl dgst -sha256": lambda: subprocess.run(["openssl", "dgst", "-sha256", "-r", str(path)],
                                                           capture_output=True, text=True, check=True).stdout.split()[0],
            "sha256sum": lambda: subprocess.run(["sha256sum", str(path)], capture_output=True, text=True,
                                                check=True).stdout.split()[0],
            "dse-tui checksum": lambda: sha256_file(path)[1],
        }
        best: dict[str, float] = {}
        digests = set()
        for _ in range(args.rounds):
            for name, fn in tools.items():
                seconds, digest = timed(fn)
                digests.add(digest)
                best[name] = min(best.get(name, seconds), seconds)
        if len(digests) != 1:
            print(f"the tools disagree: {digests}")
            return 1
        base = best["openssl dgst -sha256"]
        print(f"{size / (1 << 30):.1f} GiB, best of {args.rounds}")
        for name, seconds in best.items():
            print(f"{name:<22} {seconds:7.3f} s  {size / seconds / 1e9:6.2f} GB/s  "
                  f"throughput {base / seconds:5.2f}x OpenSSL's")
        ratio = base / best["dse-tui checksum"]
        print(f"target >= 0.90x: {'met' if ratio >= 0.9 else 'MISSED'} ({ratio:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
