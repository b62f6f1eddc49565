"""What every `--json` of the CLI prints (a module of its own: `dse-tui status` from cron imports nothing
more for it)."""

from __future__ import annotations

import json
import sys


def print_json(data) -> None:
    """Indented, UTF-8 as it is (names in Spanish stay readable), one trailing newline."""
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)  # a core Text reads as its text
    print()
