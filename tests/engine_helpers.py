"""Helpers for the backup engine tests: profiles around real sources, and a /proc watcher for secrets."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from dse_tui.core.config import load_profile
from tests.conftest import write_profile


def profile_with(tmp_path: Path, repo_yaml: str, extra: str = ""):
    body = f"""\
site: {{id: t, name: Test}}
storage: {{root: ./backups, catalog: ./catalog.sqlite}}
{extra}
repositories:
  - {repo_yaml}
"""
    return load_profile(write_profile(tmp_path, body))


def slow_profile(tmp_path: Path, size: int = 3 * 1024**3, timeout: str = "6h"):
    """A `files` repository `big` over a sparse file: instant to make, seconds to read and hash."""
    (tmp_path / "big").mkdir(exist_ok=True)
    with open(tmp_path / "big" / "sparse.img", "wb") as f:
        f.truncate(size)
    return profile_with(tmp_path, f"{{id: big, kind: config, driver: files, source: {{path: ./big}}, "
                                  f"timeout: {timeout}}}")


def manifest_of(outcome) -> dict:
    return json.loads(Path(outcome.manifest).read_text())


class ProcWatcher:
    """Reads /proc/*/cmdline of every process while a backup runs, to prove a secret never reaches argv."""

    def __init__(self):
        self.cmdlines: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop.is_set():
            for pid in os.listdir("/proc"):
                if pid.isdigit() and int(pid) != os.getpid():
                    try:
                        with open(f"/proc/{pid}/cmdline", "rb") as f:
                            self.cmdlines.add(f.read().replace(b"\0", b" ").decode(errors="replace"))
                    except OSError:
                        pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
