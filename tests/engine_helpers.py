"""Helpers for the backup engine tests: profiles around real sources, a small tree to back up, and a /proc
watcher for secrets."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from dse_tui.core.profile.config import load_profile
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


def rewrite_part(profile, run_id: int, file: str, data: bytes, *, keep_checksums: bool) -> None:
    """Replace a part's bytes (already compressed). With `keep_checksums`, the manifest and the catalog are
    updated to match, so only the deeper levels can tell: a forger who also fixed the checksums."""
    import hashlib

    from dse_tui.core.catalog import Catalog

    with Catalog(profile.catalog_path) as catalog:
        run = catalog.run(run_id)
        (Path(run.artifact) / file).write_bytes(data)
        if not keep_checksums:
            return
        manifest_path = Path(run.manifest)
        manifest = json.loads(manifest_path.read_text())
        for part in manifest["parts"]:
            if part["file"] == file:
                part["size"], part["sha256"] = len(data), hashlib.sha256(data).hexdigest()
        manifest["size"] = sum(p["size"] for p in manifest["parts"])
        manifest_path.write_text(json.dumps(manifest, indent=2))
        catalog.conn.execute("UPDATE runs SET sha256 = ? WHERE id = ?",
                             (hashlib.sha256(manifest_path.read_bytes()).hexdigest(), run_id))


def zstd_bytes(data: bytes) -> bytes:
    import subprocess

    return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True).stdout


def unzstd(path) -> bytes:
    import subprocess

    return subprocess.run(["zstd", "-dc", str(path)], capture_output=True, check=True).stdout


def verify(profile, run_id: int, level: str):
    from dse_tui.core.catalog import Catalog
    from dse_tui.core.verification.runs import verify_run

    with Catalog(profile.catalog_path) as catalog:
        return verify_run(profile, catalog, catalog.run(run_id), level=level, trigger="test")


def failed_checks(outcome) -> dict[str, str]:
    return {c.name: c.detail for c in outcome.checks if not c.ok}


def make_tree(root: Path) -> None:
    (root / "docs" / "deep").mkdir(parents=True)
    (root / "cache").mkdir()
    (root / "index.html").write_text("<h1>hola</h1>\n")
    (root / "docs" / "deep" / "big.bin").write_bytes(os.urandom(3_000_000))
    (root / "docs" / "notes.txt").write_text("ñandú " * 1000)
    (root / "cache" / "junk.tmp").write_text("x")
    (root / "error.log").write_text("log")
    os.symlink("docs/notes.txt", root / "notes-link")
