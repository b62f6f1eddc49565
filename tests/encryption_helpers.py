"""Helpers for the encryption tests: age keys made by age-keygen, encrypted profiles, and the proof that what
is written holds no plaintext."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.engine_helpers import profile_with


def need(*tools):
    for tool in tools:
        if not shutil.which(tool):
            pytest.fail(f"{tool} is needed (.ci/run installs the Debian package age)")


def make_key(folder: Path, name: str = "key") -> tuple[Path, str, str]:
    """(identity file, public key, secret line) made by age-keygen."""
    need("age", "age-keygen")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.key"
    subprocess.run(["age-keygen", "-o", str(path)], check=True, capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", str(path)], check=True, capture_output=True,
                               text=True).stdout.strip()
    secret = next(line for line in path.read_text().splitlines() if line.startswith("AGE-SECRET-KEY-"))
    return path, recipient, secret


def encrypted_profile(tmp_path: Path, repo_yaml: str, identity: Path, recipient: str, extra: str = ""):
    return profile_with(tmp_path, repo_yaml, f"encryption: {{recipients: [{recipient}], identities: [{identity}]}}\n"
                                             + extra)


def assert_no_plaintext(run_dir: Path, markers: list[bytes]) -> None:
    """Neither the bytes written nor what zstd would make of them hold the source's strings: the parts are
    age files, not zstd streams."""
    for part in json.loads((run_dir / "manifest.json").read_text())["parts"]:
        path = run_dir / part["file"]
        assert part["file"].endswith(".zst.age") and part["encryption"] == "age", part["file"]
        data = path.read_bytes()
        assert data.startswith(b"age-encryption.org/v1\n"), f"{path.name} is not an age file"
        opened = subprocess.run(["zstd", "-dc"], input=data, capture_output=True)
        for marker in markers:
            assert marker not in data and marker not in opened.stdout, f"{marker!r} readable in {path.name}"
