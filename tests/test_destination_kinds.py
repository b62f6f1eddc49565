"""Destination kinds: one module each, behind one interface, found by the profile's kind name."""

from __future__ import annotations

import inspect
from pathlib import Path

from dse_tui.core.catalog import Catalog
from dse_tui.core.destinations import KINDS
from dse_tui.core.destinations.base import DestinationKind, kind_module
from dse_tui.core.destinations.copies import copy_pending
from dse_tui.core.profile.config import DESTINATION_KINDS, load_profile
from tests.conftest import write_profile
from tests.copy_helpers import site

EVERY_KIND = """\
site: {id: t, name: Test}
storage: {root: ./backups, catalog: ./catalog.sqlite}
destinations:
  - {id: shelf, kind: directory, path: ./shelf}
  - {id: attic, kind: directory, path: ./attic}
  - {id: usb, kind: removable, uuid: 5E2B-9C41}
  - {id: stick, kind: removable, label: DSE-USB-01}
  - {id: nas, kind: ssh, host: nas.example.org, user: backup, port: 2222, path: /srv/backups}
  - {id: nas2, kind: ssh, host: nas.example.org, user: backup, port: 2222, path: /srv/other}
  - {id: discs, kind: optical, path: ./discs, disc: dvd}
repositories: []
"""


def test_every_kind_the_profile_accepts_has_a_module_with_the_whole_interface():
    assert set(DESTINATION_KINDS) == set(KINDS)
    wanted = {name: [p for p in inspect.signature(getattr(DestinationKind, name)).parameters if p != "self"]
              for name in ("copy", "verify", "describe", "device", "tools")}
    for kind in KINDS:
        module = kind_module(kind)
        for name, params in wanted.items():
            function = getattr(module, name, None)
            assert callable(function), f"{kind} has no {name}()"
            assert list(inspect.signature(function).parameters) == params, f"{kind}.{name}"


def test_each_kind_says_where_it_is_and_what_counts_as_one_device(tmp_path):
    (tmp_path / "shelf").mkdir()
    (tmp_path / "attic").mkdir()
    profile = load_profile(write_profile(tmp_path, EVERY_KIND))
    d = profile.destinations

    def described(dest_id: str) -> str:
        return kind_module(d[dest_id].kind).describe(d[dest_id])

    def device(dest_id: str) -> str | None:
        return kind_module(d[dest_id].kind).device(d[dest_id])

    assert str(tmp_path / "shelf") in described("shelf")
    assert "5E2B-9C41" in described("usb") and "DSE-USB-01" in described("stick")
    assert "backup@nas.example.org:/srv/backups" in described("nas") and "2222" in described("nas")
    assert "dvd" in described("discs") and str(tmp_path / "discs") in described("discs")
    assert device("shelf") == device("attic")  # two folders on one disk are one copy
    assert device("usb") == "vol:5E2B-9C41" and device("stick") == "vol:label:DSE-USB-01"
    assert device("nas") == device("nas2") == "ssh:backup@nas.example.org:2222"
    assert device("discs") is None  # each disc is its own medium


def test_a_copy_says_where_it_goes_before_it_starts(tmp_path: Path):
    profile, run_id = site(tmp_path, "  - {id: shelf, kind: directory, path: ./shelf}", "shelf", copies=1)
    lines: list[str] = []
    with Catalog(profile.catalog_path) as catalog:
        (outcome,) = copy_pending(profile, catalog, log=lines.append)
    assert outcome.state == "verified"
    assert lines[0] == f"shelf: copying run {run_id} onto folder {tmp_path / 'shelf'}", lines
