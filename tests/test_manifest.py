"""The manifest file: one JSON document any reader takes whole, whose per-file entries dse-tui streams in
and reads only as it goes through them; manifests written before stay readable."""

from __future__ import annotations

import json
import os

import pytest

from dse_tui.core.engine.runner import run_repository
from dse_tui.core.verification.manifest import JsonLines, VerifyFailed, load_manifest, write_manifest
from tests.engine_helpers import manifest_of, profile_with, verify
from tests.test_engine_local import make_tree

ENTRIES = [{"path": "index.html", "type": "file", "size": 3, "sha256": "ab" * 32},
           {"path": "caf\udce9.txt", "type": "file", "size": 0, "sha256": "cd" * 32},
           {"path": "docs", "type": "dir"}]


def test_entries_streamed_from_a_list_of_lines_make_one_json_document(tmp_path):
    lines = tmp_path / "entries.jsonl"
    lines.write_text("".join(json.dumps(e) + "\n" for e in ENTRIES))
    size, digest = write_manifest(tmp_path / "manifest.json", {"format": "x", "parts": [], "files": JsonLines(lines)})
    data = (tmp_path / "manifest.json").read_bytes()
    assert json.loads(data) == {"format": "x", "parts": [], "files": ENTRIES} and data.isascii()
    assert size == len(data) and not lines.exists()
    manifest = load_manifest(tmp_path / "manifest.json")
    assert manifest["format"] == "x" and list(manifest["files"]) == ENTRIES
    write_manifest(tmp_path / "twin.json", {**manifest, "format": "y"})  # another manifest's entries, copied
    assert json.loads((tmp_path / "twin.json").read_text()) == {"format": "y", "parts": [], "files": ENTRIES}


@pytest.mark.parametrize("files", [[], None])
def test_a_manifest_with_no_entries_or_no_list(tmp_path, files):
    write_manifest(tmp_path / "manifest.json", {"format": "x"} | ({} if files is None else {"files": files}))
    manifest = load_manifest(tmp_path / "manifest.json")
    assert json.loads((tmp_path / "manifest.json").read_text()) == manifest | (
        {} if files is None else {"files": []})
    assert list(manifest.get("files", [])) == []


def test_an_indented_manifest_of_before_is_read_whole(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"files": ENTRIES, "format": "x"}, indent=2))
    assert load_manifest(tmp_path / "manifest.json") == {"files": ENTRIES, "format": "x"}


def test_a_list_cut_short_or_damaged_fails_when_it_is_read(tmp_path):
    write_manifest(tmp_path / "manifest.json", {"format": "x", "files": ENTRIES})
    whole = (tmp_path / "manifest.json").read_bytes()
    for damaged in (whole[:whole.rindex(b"]}")], whole.replace(b'"docs"', b'"do'), whole.replace(b"},\n", b"}\n", 1)):
        (tmp_path / "manifest.json").write_bytes(damaged)
        manifest = load_manifest(tmp_path / "manifest.json")  # the rest of it reads: the entries are not read yet
        assert manifest["format"] == "x"
        with pytest.raises(VerifyFailed, match="cannot be read"):
            list(manifest["files"])


def test_a_files_run_verifies_at_every_level_from_its_streamed_manifest(tmp_path):
    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, verify: restore, source: {path: ./www}}")
    outcome = run_repository(profile, profile.repository("w"))
    assert outcome.state == "good", outcome.message
    manifest = manifest_of(outcome)
    assert manifest["file_count"] == sum(f["type"] == "file" for f in manifest["files"]) > 0
    # the writer's list of entries went into the manifest and is not left beside the parts
    assert sorted(os.listdir(outcome.artifact)) == sorted([p["file"] for p in manifest["parts"]] + ["manifest.json"])
    assert verify(profile, outcome.run_id, "restore").outcome == "passed"
