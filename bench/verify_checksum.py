"""Checksum verification of one large artifact against `openssl dgst -sha256` (and coreutils' `sha256sum`)
of the same file, alternated round by round (bench/common.py). Target: dse-tui's throughput >= 1.0x
OpenSSL's. With --chunks, dse-tui's hashing at each of those read sizes too, to choose READ_CHUNK
(dse_tui/core/verification/levels.py). Not a test: run it by hand.

    python bench/verify_checksum.py [--size-gib 2] [--rounds 5] [--chunks 64K,1M,4M]

Every tool reads the file from the page cache (a first untimed read warms it), so the figures compare
hashing, not the disk.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import Bench, measured, median_of

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dse_tui.core.verification import levels  # noqa: E402


def size_of(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20}
    return int(text[:-1]) * units[text[-1].upper()] if text[-1].upper() in units else int(text)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-gib", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chunks", default="", help="read sizes to try besides READ_CHUNK, e.g. 64K,1M,4M")
    args = parser.parse_args()
    size = int(args.size_gib * (1 << 30))
    with tempfile.TemporaryDirectory(prefix="dse-bench-", dir="/var/tmp") as tmp:
        path = Path(tmp) / "artifact.tar.zst"
        with open(path, "wb") as f:  # incompressible, as a compressed artifact is
            block = os.urandom(1 << 24)
            for _ in range(size // len(block)):
                f.write(block)
        levels.sha256_file(path)  # warm the page cache

        def tool(argv: list[str]):
            return measured(lambda: subprocess.run(argv + [str(path)], capture_output=True, text=True,
                                                   check=True).stdout.split()[0])

        def ours(chunk: int):
            def run():
                levels.READ_CHUNK, saved = chunk, levels.READ_CHUNK
                try:
                    return levels.sha256_file(path)[1]
                finally:
                    levels.READ_CHUNK = saved
            return measured(run)

        commands = {"openssl dgst -sha256": tool(["openssl", "dgst", "-sha256", "-r"]),
                    "sha256sum": tool(["sha256sum"]),
                    f"dse-tui ({levels.READ_CHUNK >> 10} KiB reads)": ours(levels.READ_CHUNK)}
        for chunk in map(size_of, filter(None, args.chunks.split(","))):
            if chunk != levels.READ_CHUNK:
                commands[f"dse-tui, {chunk >> 10} KiB reads"] = ours(chunk)
        with Bench(f"SHA-256 of {size / (1 << 30):.1f} GiB, {args.rounds} rounds") as bench:
            samples = bench.alternate(commands, args.rounds)
            digests = {s.extra["result"] for runs in samples.values() for s in runs}
            if len(digests) != 1:
                print(f"the tools disagree: {digests}")
                return 1
            base = samples["openssl dgst -sha256"]
            for name, runs in samples.items():
                print(f"  {name:<28} median {median_of(runs):6.3f} s  {size / median_of(runs) / 1e9:5.2f} GB/s")
            for name, runs in samples.items():
                if name != "openssl dgst -sha256":
                    bench.ratio(f"{name}: throughput / OpenSSL's", runs, base, inverse=True,
                                target=">= 1.0x" if name.startswith("dse-tui (") else "")
                    bench.ratio(f"{name}: per CPU second / OpenSSL's", runs, base, key="cpu", inverse=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
