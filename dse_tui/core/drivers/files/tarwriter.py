"""`python -m dse_tui.core.drivers.files.tarwriter ROOT REPORT ENTRIES [--include P]... [--exclude P]...`: the
tar stream of ROOT on stdout, hashing every file as it goes; each file's manifest entry as a JSON line in
ENTRIES the moment it is made, and the rest of the report (what was not archived, the root, the counts)
as JSON in REPORT at the end.

A process of its own, not a thread: it then runs beside zstd and the reader without sharing a GIL."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dse_tui.core.drivers.files.tarstream import TreeReport, write_tar


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dse_tui.core.drivers.files.tarwriter")
    parser.add_argument("root", type=Path)
    parser.add_argument("report", type=Path)
    parser.add_argument("entries", type=Path)
    parser.add_argument("--include", action="append", default=[])
    parser.add_argument("--exclude", action="append", default=[])
    args = parser.parse_args(argv)
    # Unbuffered: the writer stages the archive in its own buffer (tarstream._Writer).
    out = open(sys.stdout.fileno(), "wb", buffering=0, closefd=False)
    with open(args.entries, "w", encoding="ascii", buffering=1 << 20) as entries:
        report = TreeReport(entries=entries)
        write_tar(args.root, out, args.include, args.exclude, report)
        out.flush()
    args.report.write_text(json.dumps(report.summary()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
