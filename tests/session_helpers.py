"""The checklist session tests' site: a `files` repository on a small test checklist, and a session open on it."""

from __future__ import annotations

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.sessions.checklists import repository_checklist, site_checklists
from tests.engine_helpers import profile_with

CHECKLIST = """\
title: {es: Prueba, en: Test}
kind: config
steps:
  - id: first
    text: {es: Primero, en: First}
    command: "echo hello-from-step; echo oops >&2; exit 3"
  - id: count
    text: {es: Contar, en: Count}
    evidence: {es: Filas, en: Rows}
    evidence_pattern: '[0-9]+'
  - id: optional
    text: {es: Opcional, en: Optional}
    required: false
  - id: make
    text: {es: Hacer, en: Make}
    command: "tar -C {path} -cf {output}/etc.tar ."
"""


def make_site(tmp_path):
    """A `files` repository `etc` on the test checklist above (from the profile's own checklist folder)."""
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "test-config.yaml").write_text(CHECKLIST)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "hosts").write_text("127.0.0.1 localhost\n")
    return profile_with(tmp_path, "{id: etc, kind: config, driver: files, source: {path: ./src}, "
                                  "checklist: test-config, verify: structure}", extra="checklists: ./lists")


@pytest.fixture
def site(tmp_path):
    profile = make_site(tmp_path)
    checklist = repository_checklist(profile, profile.repositories[0], site_checklists(profile))
    with Catalog(profile.catalog_path) as catalog:
        yield profile, catalog, checklist
