"""A part of a files run restored: the files and folders named, byte-identical, with their modes, times and
links, and nothing else written; a path the run does not hold refused before anything is written; the
restore's record says which parts; the live source still needs the typed confirmation; the CLI's --path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dse_tui.cli import main
from dse_tui.core.catalog import Catalog
from dse_tui.core.engine.runner import run_repository
from dse_tui.core.restore.run import RestoreError, plan, restore
from tests.engine_helpers import profile_with
from tests.tree_helpers import fidelity_tree, snapshot


@pytest.fixture
def files_run(tmp_path):
    fidelity_tree(tmp_path / "etc", with_socket=False)
    profile = profile_with(tmp_path, "{id: etc, kind: config, driver: files, source: {path: ./etc}}")
    outcome = run_repository(profile, profile.repository("etc"))
    assert outcome.state == "good", outcome.message
    return profile, outcome.run_id, tmp_path / "etc"


def restore_parts(profile, run_id: int, target, parts, **kw):
    with Catalog(profile.catalog_path) as catalog:
        p = plan(profile, catalog.run(run_id), str(target), parts=parts)
        return restore(profile, catalog, p, **kw)


def walked(root: Path) -> set[str]:
    """Every path under `root`, as os.walk finds them (what was written, whatever it is)."""
    out = set()
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            out.add(os.path.relpath(os.path.join(folder, name), root))
    return out


def entries_under(snap, paths: set[str]) -> dict:
    return {p: e for p, e in snap[0].items() if p in paths}


def test_one_file_comes_back_alone_with_the_folders_above_it_as_recorded(files_run, tmp_path):
    profile, run_id, source = files_run
    out = tmp_path / "out"
    result = restore_parts(profile, run_id, out, ["a-ro/inner-ro/g.txt"])
    assert result.outcome == "done", result.message
    assert walked(out) == {"a-ro", "a-ro/inner-ro", "a-ro/inner-ro/g.txt"}
    assert (out / "a-ro/inner-ro/g.txt").read_bytes() == (source / "a-ro/inner-ro/g.txt").read_bytes()
    want = entries_under(snapshot(source, owners=True), walked(out))
    assert entries_under(snapshot(out, owners=True), walked(out)) == want  # modes, times (ns), owners


def test_one_folder_comes_back_with_everything_under_it_and_nothing_else(files_run, tmp_path):
    profile, run_id, source = files_run
    out = tmp_path / "out"
    result = restore_parts(profile, run_id, out, ["./docs/"])
    assert result.outcome == "done", result.message
    under = {p for p in snapshot(source)[0] if p == "docs" or p.startswith("docs/")}
    assert walked(out) == under
    assert entries_under(snapshot(out, owners=True), under) == entries_under(snapshot(source, owners=True), under)
    # A hard link to a file outside the folder comes back as that file's content, the other name left out.
    assert (out / "docs/data-again.bin").read_bytes() == (source / "data.bin").read_bytes()
    assert not (out / "data.bin").exists()


def test_links_and_a_file_named_by_its_live_path(files_run, tmp_path):
    profile, run_id, source = files_run
    out = tmp_path / "out"
    result = restore_parts(profile, run_id, out, ["links/guide", str(source / "bin/run.sh")])
    assert result.outcome == "done", result.message
    assert walked(out) == {"links", "links/guide", "bin", "bin/run.sh"}
    assert os.readlink(out / "links/guide") == "../docs/guide.txt"
    assert os.stat(out / "bin/run.sh").st_mode & 0o777 == 0o755


def test_a_path_the_run_does_not_hold_is_refused_and_nothing_is_written(files_run, tmp_path):
    profile, run_id, _ = files_run
    out = tmp_path / "out"
    with Catalog(profile.catalog_path) as catalog:
        with pytest.raises(RestoreError, match="'docs/missing.txt'") as raised:
            plan(profile, catalog.run(run_id), str(out), parts=["docs/guide.txt", "docs/missing.txt"])
        assert "guide" not in str(raised.value)
        for bad in ("../x", ".", "/elsewhere/f"):
            with pytest.raises(RestoreError):
                plan(profile, catalog.run(run_id), str(out), parts=[bad])
        assert catalog.restores(run_id) == []
    assert not out.exists()


def test_the_record_says_which_parts_and_the_live_source_needs_the_typed_id(files_run, tmp_path):
    profile, run_id, source = files_run
    (source / "docs/guide.txt").write_text("defaced")
    (source / "docs/deep/table.csv").write_text("defaced")
    with pytest.raises(RestoreError, match="live source of etc"):
        restore_parts(profile, run_id, source, ["docs/guide.txt"])
    assert (source / "docs/guide.txt").read_text() == "defaced"
    result = restore_parts(profile, run_id, source, ["docs/guide.txt"], confirm="etc")
    assert result.outcome == "done", result.message
    assert (source / "docs/guide.txt").read_text() == "ñandú\n" * 200
    assert (source / "docs/deep/table.csv").read_text() == "defaced", "only the part asked for"
    assert not [p for p in walked(source) if ".dse-tui-restore-" in p]
    with Catalog(profile.catalog_path) as catalog:
        (record,) = catalog.restores(run_id)
        assert record.parts == ("docs/guide.txt",) and record.outcome == "done"
        event = [e for e in catalog.events() if e["action"] == "restore"][-1]
        detail = event["detail"] if isinstance(event["detail"], dict) else json.loads(event["detail"])
        assert detail["parts"] == ["docs/guide.txt"]


def test_the_cli_restores_paths(files_run, tmp_path, capsys):
    profile, run_id, source = files_run
    out = tmp_path / "out"
    code = main(["restore", str(run_id), "--path", "docs/deep", "--path", "private/key.pem", "--to", str(out),
                 "--profile", str(profile.file), "--json"])
    assert code == 0, capsys.readouterr().err
    assert walked(out) == {"docs", "docs/deep", "docs/deep/table.csv", "private", "private/key.pem"}
    assert json.loads(capsys.readouterr().out)[0]["parts"] == ["docs/deep", "private/key.pem"]
    code = main(["restore", str(run_id), "--path", "nope", "--to", str(tmp_path / "o2"), "--profile", str(profile.file)])
    assert code == 1 and "'nope'" in capsys.readouterr().err and not (tmp_path / "o2").exists()
    code = main(["restore", str(run_id), "--table", "t", "--to", str(tmp_path / "o3"), "--profile", str(profile.file)])
    assert code == 1 and "--path" in capsys.readouterr().err


def test_a_driver_that_restores_runs_whole_refuses_parts(tmp_path):
    from tests.test_verify_local import git_repo

    git_repo(tmp_path / "proj")
    profile = profile_with(tmp_path, "{id: g, kind: software, driver: git, source: {path: ./proj}}")
    outcome = run_repository(profile, profile.repository("g"))
    with Catalog(profile.catalog_path) as catalog:
        with pytest.raises(RestoreError, match="bundle"):
            plan(profile, catalog.run(outcome.run_id), str(tmp_path / "out"), parts=["README"])
    assert not (tmp_path / "out").exists()


def test_a_part_of_a_run_over_ssh_whose_archive_names_its_members_dot_slash(tmp_path, sshd):
    """The server's GNU tar names members ./docs/…, dse-tui's own writer docs/…: the same path restores."""
    from tests.conftest import ssh_yaml

    fidelity_tree(tmp_path / "remote", with_socket=False)
    profile = profile_with(tmp_path, f"{{id: re, kind: config, driver: files, ssh: {ssh_yaml(sshd)}, "
                                     f"source: {{path: {tmp_path / 'remote'}}}}}")
    outcome = run_repository(profile, profile.repository("re"))
    assert outcome.state == "good", outcome.message
    out = tmp_path / "out"
    result = restore_parts(profile, outcome.run_id, out, ["docs/deep"])
    assert result.outcome == "done", result.message
    assert walked(out) == {"docs", "docs/deep", "docs/deep/table.csv"}
    assert (out / "docs/deep/table.csv").read_bytes() == (tmp_path / "remote/docs/deep/table.csv").read_bytes()
