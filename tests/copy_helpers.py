"""A site for the copy tests: a files repository backed up once, with the destinations a test gives it."""

from __future__ import annotations

import os
from pathlib import Path

from dse_tui.core.profile.config import load_profile
from dse_tui.core.engine.runner import run_repository
from tests.conftest import write_profile


def site(tmp_path: Path, destinations: str, names: str, *, size: int = 200_000, copies: int = 2,
         mounted: bool = True):
    """A files repository of random data, backed up once, with these destinations (their folders there,
    as mounted disks and shares are, unless `mounted` is false)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "data.bin").write_bytes(os.urandom(size))
    (src / "notes.txt").write_text("the department's notes\n")
    body = f"""\
site: {{id: t, name: Test}}
storage: {{root: ./backups, catalog: ./catalog.sqlite}}
media: {{code: "T-{{year}}-{{seq:03}}"}}
destinations:
{destinations}
repositories:
  - {{id: docs, kind: config, driver: files, source: {{path: ./src}}, copies: {copies}, destinations: [{names}]}}
"""
    # Backed up before the destinations were given (a run copies at once to those it has): the tests copy.
    profile = load_profile(write_profile(tmp_path, body.replace(f"destinations: [{names}]", "destinations: []")))
    outcome = run_repository(profile, profile.repository("docs"))
    assert outcome.state == "good", outcome.message
    profile = load_profile(write_profile(tmp_path, body))
    for dest in profile.destinations.values():
        if mounted and dest.kind == "directory" and not dest.path.exists():
            dest.path.mkdir(parents=True)
    return profile, outcome.run_id
