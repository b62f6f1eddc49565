"""A run's contents from its manifest (the tree, folder sums, search) and a path's versions across runs."""

from __future__ import annotations

import os
import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.engine.runner import run_repository
from dse_tui.core.restore.contents import ContentsError, open_contents
from dse_tui.core.restore.versions import Change, versions
from dse_tui.core.verification.manifest import write_manifest
from tests.engine_helpers import make_tree, profile_with


def files_run(tmp_path):
    make_tree(tmp_path / "www")
    profile = profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")
    return profile, run_repository(profile, profile.repository("w"))


def test_the_tree_of_a_files_run_with_folder_sums_and_search(tmp_path):
    _, outcome = files_run(tmp_path)
    contents = open_contents(outcome.manifest)
    top = contents.children("")
    assert [(n.name, n.kind) for n in top] == [("cache", "dir"), ("docs", "dir"), ("error.log", "file"),
                                               ("index.html", "file"), ("notes-link", "symlink")]
    docs = contents.node("docs")
    notes = len(("ñandú " * 1000).encode())
    assert (docs.size, docs.files) == (3_000_000 + notes, 2)
    assert [n.name for n in contents.children("docs")] == ["deep", "notes.txt"]
    assert contents.root.size == 3_000_000 + notes + len("<h1>hola</h1>\n") + 1 + 3
    assert contents.node("docs/nothing") is None and contents.node("doc") is None
    hits, total = contents.search("NOTES")
    assert [n.path for n in hits] == ["docs/notes.txt", "notes-link"] and total == 2
    hits, total = contents.search("deep/")
    assert [n.path for n in hits] == ["docs/deep/big.bin"], "a path, not only a name"
    assert [n.path for n in contents.search("*.bin")[0]] == ["docs/deep/big.bin"]


def test_folders_not_listed_and_entries_out_of_order_and_sizes_after_the_owner(tmp_path):
    """The SSH reader's order of keys (size last), a tree not sorted, a folder only its files name, and a
    name that JSON escapes: all read as the local writer's."""
    entries = [{"path": "z/b.txt", "type": "file", "mode": "0644", "size": 5, "sha256": "a" * 64},
               {"path": "a.txt", "type": "file", "mode": "0644", "size": 7, "sha256": "b" * 64},
               {"path": "z", "type": "dir", "mode": "0755"},
               {"path": "z/caf\u00e9 \"x\".txt", "type": "file", "mode": "0644", "size": 11, "sha256": "c" * 64},
               {"path": "q/r/s.txt", "type": "file", "mode": "0644", "size": 13, "sha256": "d" * 64},
               {"path": "z.d/x", "type": "file", "mode": "0644", "size": 17, "sha256": "e" * 64}]
    write_manifest(tmp_path / "manifest.json", {"format": "x", "files": entries})
    contents = open_contents(tmp_path / "manifest.json")
    assert [(n.name, n.listed, n.size) for n in contents.children("")] == [
        ("q", False, 13), ("z", True, 16), ("z.d", False, 17), ("a.txt", True, 7)]
    assert [n.name for n in contents.children("z")] == ["b.txt", 'café "x".txt']
    assert contents.node("q/r").files == 1 and contents.root.files == 5
    assert [n.path for n in contents.search("CAFÉ")[0]] == ['z/café "x".txt']


def test_a_damaged_manifest_is_said_and_a_run_without_files_lists_none(tmp_path):
    write_manifest(tmp_path / "m.json", {"format": "x", "files": [{"path": "a", "type": "dir"},
                                                                  {"path": "a/b", "type": "file", "size": 1}]})
    whole = (tmp_path / "m.json").read_bytes()
    (tmp_path / "m.json").write_bytes(whole.replace(b"},\n", b"}\n", 1))
    with pytest.raises(ContentsError, match="cut short or damaged"):
        open_contents(tmp_path / "m.json")
    (tmp_path / "m.json").write_bytes(whole[:-4])
    with pytest.raises(ContentsError, match="cut short or damaged"):
        open_contents(tmp_path / "m.json")
    with pytest.raises(ContentsError, match="missing"):
        open_contents(tmp_path / "gone.json")
    write_manifest(tmp_path / "db.json", {"format": "x", "parts": []})
    assert not open_contents(tmp_path / "db.json").listed


def files_profile(tmp_path):
    make_tree(tmp_path / "www")
    return profile_with(tmp_path, "{id: w, kind: web, driver: files, source: {path: ./www}}")


def test_the_versions_of_a_file_across_five_runs_where_it_changed_twice(tmp_path):
    profile = files_profile(tmp_path)
    page = tmp_path / "www" / "docs" / "notes.txt"
    ids = []
    for i in range(5):
        if i == 2:
            page.write_text("Tuesday's page")
        if i == 4:
            page.write_text("Thursday's page, longer")
        if i:
            (tmp_path / "www" / "index.html").write_text(f"home {i}")  # the rest changes in every run
            os.utime(tmp_path / "www" / "docs" / "deep", ns=(i * 10**9, i * 10**9))  # a folder's own time is not a change
        ids.append(run_repository(profile, profile.repository("w")).run_id)
    with Catalog(profile.catalog_path) as catalog:
        history = catalog.run_history("w")
    found = versions(history, "docs/notes.txt", folder=False)
    assert [(v.run.id, v.change) for v in found] == [(ids[4], Change.CHANGED), (ids[2], Change.CHANGED),
                                                    (ids[0], Change.ADDED)]
    assert found[0].size == len("Thursday's page, longer") and found[1].size == len("Tuesday's page")
    assert found[0].mtime_ns == page.stat().st_mtime_ns
    # The folder changed when its file did, and not for its own time alone.
    assert [v.run.id for v in versions(history, "docs", folder=True)] == [ids[4], ids[2], ids[0]]
    assert [v.run.id for v in versions(history, "docs/deep", folder=True)] == [ids[0]]
    assert [v.run.id for v in versions(history, "index.html", folder=False)] == ids[::-1]


def test_versions_show_runs_pruned_and_a_path_removed(tmp_path):
    profile = files_profile(tmp_path)
    ids = []
    for i in range(4):
        if i == 2:
            (tmp_path / "www" / "error.log").unlink()
        if i == 3:
            (tmp_path / "www" / "error.log").write_text("log")
        ids.append(run_repository(profile, profile.repository("w")).run_id)
    with Catalog(profile.catalog_path) as catalog:
        catalog.mark_pruned(ids[1])
        history = catalog.run_history("w")
    found = versions(history, "error.log", folder=False)
    assert [(v.run.id, v.change, v.restorable) for v in found] == [
        (ids[3], Change.ADDED, True), (ids[2], Change.REMOVED, False), (ids[1], Change.PRUNED, False),
        (ids[0], Change.ADDED, True)]


def test_the_contents_index_reads_as_the_manifest_and_a_bad_one_is_read_again(tmp_path):
    from dse_tui.core.restore.contents_index import contents_of, read_index

    _, outcome = files_run(tmp_path)
    index = tmp_path / "idx" / "r1-abc.idx"
    first = contents_of(outcome.manifest, index)
    assert index.exists()
    again = read_index(index)
    assert again.paths == first.paths and again.kinds == first.kinds
    assert [(n.path, n.size, n.files) for n in again.children("docs")] == \
        [(n.path, n.size, n.files) for n in first.children("docs")]
    assert again.root == first.root and again.search("notes")[1] == 2
    index.write_bytes(index.read_bytes()[:-3])  # cut short: read from the manifest, and written again whole
    assert contents_of(outcome.manifest, index).root == first.root
    assert read_index(index).root == first.root
    contents_of(outcome.manifest, tmp_path / "idx" / "r1-def.idx")  # the manifest's hash changed
    assert sorted(p.name for p in (tmp_path / "idx").iterdir()) == ["r1-def.idx"]
