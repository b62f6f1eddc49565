"""`dse-tui session list|show|register|abandon` and `check` over the profile's checklist settings."""

from __future__ import annotations

import json

from dse_tui.core.catalog import Catalog
from dse_tui.core.sessions.checklists import load_checklists, repository_checklist
from dse_tui.core.sessions.command import run_step_command
from dse_tui.core.sessions.machine import start_session
from tests.engine_helpers import profile_with
from tests.test_cli import dse, no_traceback


def _finished_session(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "fstab").write_text("/dev/sda1 / ext4 defaults 0 1\n")
    profile = profile_with(tmp_path, "{id: cfg, kind: config, driver: files, source: {path: ./etc}, verify: structure, "
                                     "checklist_steps: [{id: photo, text: Photograph the rack, required: false}]}")
    repo = profile.repositories[0]
    with Catalog(profile.catalog_path) as catalog:
        s = start_session(catalog, profile, repo, repository_checklist(profile, repo, load_checklists()),
                          operator="ana")
        for step in s.steps:
            if step.required:
                s.tick(step.id, evidence="host1" if step.evidence else None)
            else:
                s.skip(step.id, "not on this host")
        s.set_note(s.steps[0].id, "window agreed with the dean")
        s.finish()
    return profile, s.id


def test_list_show_and_register_a_session(tmp_path):
    profile, sid = _finished_session(tmp_path)
    listed = dse("session", "list", "--profile", str(profile.file), "--json")
    assert listed.returncode == 0, listed.stderr
    (item,) = json.loads(listed.stdout)
    assert item["id"] == sid and item["state"] == "finished" and item["operator"] == "ana"
    assert item["dealt_with"] == item["steps"] and item["runs"] == []

    shown = dse("session", "show", str(sid), "--profile", str(profile.file), "--format", "md", "--lang", "en")
    assert shown.returncode == 0, shown.stderr
    assert f"# Manual-backup session {sid}: cfg" in shown.stdout
    assert "window agreed with the dean" in shown.stdout and "Skipped because: not on this host" in shown.stdout

    archive = tmp_path / "etc-manual.tar"
    import subprocess

    subprocess.run(["tar", "-C", str(tmp_path), "-cf", str(archive), "etc"], check=True)
    missing = dse("session", "register", str(sid), str(tmp_path / "nope.tar"), "--profile", str(profile.file))
    assert missing.returncode == 1 and "nope.tar does not exist" in missing.stderr
    no_traceback(missing)
    empty = tmp_path / "empty.tar"
    empty.touch()
    spanish = dse("--lang", "es", "session", "register", str(sid), str(empty), "--profile", str(profile.file))
    assert spanish.returncode == 1 and "empty.tar está vacío: no puede ser un respaldo" in spanish.stderr, \
        spanish.stderr
    registered = dse("session", "register", str(sid), str(archive), "--profile", str(profile.file), "--json")
    assert registered.returncode == 0, registered.stderr
    (run,) = json.loads(registered.stdout)
    assert run["state"] == "good"
    record = json.loads(dse("session", "show", str(sid), "--profile", str(profile.file), "--format", "json").stdout)
    assert record["format"] == "dse-tui-session/1" and [r["run_id"] for r in record["runs"]] == [run["run_id"]]
    assert all(s["outcome"] in ("done", "skipped") for s in record["steps"])
    status = json.loads(dse("status", "--profile", str(profile.file), "--json").stdout)
    assert status[0]["state"] == "ok"


def test_abandon_needs_an_open_session_and_a_reason(tmp_path):
    profile, sid = _finished_session(tmp_path)
    again = dse("session", "abandon", str(sid), "--reason", "x", "--profile", str(profile.file))
    assert again.returncode == 1 and "finished" in again.stderr
    repo = profile.repositories[0]
    with Catalog(profile.catalog_path) as catalog:
        s = start_session(catalog, profile, repo, repository_checklist(profile, repo, load_checklists()))
        assert run_step_command(s, s.steps[0].id, repo, storage_root=profile.storage_root) == 0  # uname -a
    empty = dse("session", "abandon", str(s.id), "--reason", " ", "--profile", str(profile.file))
    assert empty.returncode == 1 and "needs a reason" in empty.stderr
    done = dse("session", "abandon", str(s.id), "--reason", "server replaced", "--profile", str(profile.file))
    assert done.returncode == 0, done.stderr
    listed = dse("session", "list", "--profile", str(profile.file), "--state", "abandoned")
    assert "server replaced" in listed.stdout
    unknown = dse("session", "show", "999", "--profile", str(profile.file))
    assert unknown.returncode == 3 and "no session 999" in unknown.stderr


def test_check_reports_extra_steps_that_do_not_fit_and_checklist_show_includes_them(tmp_path):
    profile = profile_with(tmp_path, """{id: db, kind: database, driver: postgresql, source: {databases: [x]},
      checklist_steps: [{id: tell-dean, text: {es: Avisar al decano, en: Tell the dean}, after: announce}]}""")
    shown = dse("checklist", "show", "--repo", "db", "--lang", "en", "--profile", str(profile.file))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert any(line.startswith(" 2. [ ] Tell the dean") for line in lines), shown.stdout
    profile.file.write_text(profile.file.read_text().replace("after: announce", "after: nothing-like-it"))
    checked = dse("check", "--profile", str(profile.file))
    assert checked.returncode == 1
    assert "extra step 'tell-dean' goes after 'nothing-like-it'" in checked.stdout
