"""The session state machine and the checklists it walks (core, no UI). Step commands and the registration of
a manual backup: test_sessions_commands.py."""

from __future__ import annotations

import pytest

from dse_tui.core.catalog import Catalog
from dse_tui.core.sessions.checklists import load_checklists, repository_checklist, site_checklists
from dse_tui.core.profile.problems import ConfigError
from dse_tui.core.sessions.machine import Session, SessionAlreadyOpen, SessionError, start_session
from tests.conftest import write_profile
from tests.engine_helpers import profile_with
# `site` is a fixture; CHECKLIST stays importable from here, where a test in test_encryption.py takes it.
from tests.session_helpers import CHECKLIST, site  # noqa: F401


def test_a_session_walks_its_steps_and_saves_every_change(site):
    profile, catalog, checklist = site
    s = start_session(catalog, profile, profile.repositories[0], checklist, operator="ana")
    assert s.progress() == (0, 4) and s.current == "first"
    s.tick("first")
    s.set_note("first", "done at 10:02")
    with pytest.raises(SessionError, match="does not match"):
        s.tick("count", evidence="many")
    assert s.state("count").outcome == "pending" and s.state("count").evidence is None
    s.tick("count", evidence=" 1234 ")
    with pytest.raises(SessionError, match="required"):
        s.skip("make", "no time")
    with pytest.raises(SessionError, match="reason"):
        s.skip("optional", "  ")
    s.skip("optional", "no tape drive today")
    s.move_to("make")
    # Another process (a console reopened after a crash) sees exactly this.
    with Catalog(profile.catalog_path) as other:
        again = Session.load(other, s.id)
        assert again.current == "make" and again.progress() == (3, 4)
        assert again.state("count").evidence == "1234" and again.state("first").note == "done at 10:02"
        assert again.state("optional").reason == "no tape drive today"
        assert again.state("first").operator == "ana"
    with pytest.raises(SessionError, match="make"):
        s.finish()
    s.tick("make")
    s.untick("count")
    assert not s.can_finish() and s.state("count").evidence == "1234"  # undone, its evidence kept
    s.tick("count")
    s.finish()
    assert s.row.state == "finished" and s.row.ended_at is not None
    with pytest.raises(SessionError, match="record"):
        s.untick("first")
    actions = [e["action"] for e in catalog.events(100)]
    assert "session started" in actions and "session finished" in actions and actions.count("session step") >= 6


def test_a_second_open_session_for_the_repository_is_refused(site):
    profile, catalog, checklist = site
    first = start_session(catalog, profile, profile.repositories[0], checklist, operator="ana")
    with pytest.raises(SessionAlreadyOpen, match=f"already open \\(session {first.id}, started by ana"):
        start_session(catalog, profile, profile.repositories[0], checklist, operator="bob")
    first.abandon("the server came back")
    second = start_session(catalog, profile, profile.repositories[0], checklist, operator="bob")
    assert second.id != first.id
    assert catalog.session(first.id).reason == "the server came back"


def test_abandon_needs_a_reason(site):
    profile, catalog, checklist = site
    s = start_session(catalog, profile, profile.repositories[0], checklist)
    with pytest.raises(SessionError, match="reason"):
        s.abandon("")
    assert s.is_open


def test_profile_extra_steps_are_put_in_place(tmp_path):
    (tmp_path / "src").mkdir()
    profile = profile_with(tmp_path, """{id: db, kind: database, driver: postgresql, source: {databases: [x]},
      checklist_steps: [{id: tell-dean, text: {es: Avisar al decano, en: Tell the dean}, after: announce},
                        {id: last, text: Last, required: false}]}""")
    steps = [s.id for s in repository_checklist(profile, profile.repositories[0], load_checklists()).steps]
    assert steps[:2] == ["announce", "tell-dean"] and steps[-1] == "last"


def test_profile_extra_step_after_an_unknown_step_names_the_profile_and_key(tmp_path):
    profile = profile_with(tmp_path, """{id: db, kind: database, driver: postgresql, source: {databases: [x]},
      checklist_steps: [{id: extra, text: Extra, after: no-such-step}]}""")
    with pytest.raises(ConfigError) as err:
        repository_checklist(profile, profile.repositories[0], load_checklists())
    text = str(err.value)
    assert str(profile.file) in text and "checklist_steps.extra.after" in text and "no-such-step" in text


def test_a_broken_site_checklist_names_file_line_and_key(tmp_path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "mine.yaml").write_text(
        "title: T\nkind: config\nsteps:\n  - id: a\n    text: A\n    evidence_pattern: '[0-9'\n")
    body = ("site: {id: t, name: T}\nstorage: {root: ./b}\nchecklists: ./lists\nrepositories: []\n")
    from dse_tui.core.profile.config import load_profile

    profile = load_profile(write_profile(tmp_path, body))
    with pytest.raises(ConfigError) as err:
        site_checklists(profile)
    assert "mine.yaml:6" in str(err.value) and "evidence_pattern" in str(err.value)


def test_a_session_ended_by_another_console_refuses_changes_and_no_false_event(site):
    profile, catalog, checklist = site
    s = start_session(catalog, profile, profile.repositories[0], checklist)
    s.tick("first")
    with Catalog(profile.catalog_path) as other:
        Session.load(other, s.id).abandon("taken over by the night shift")
    with pytest.raises(SessionError, match="meanwhile"):
        s.tick("make")
    assert s.row.state == "abandoned"
    with pytest.raises(SessionError):
        s.finish()
    assert catalog.session(s.id).step_rows.get("make") is None
    assert not any(e["action"] == "session finished" for e in catalog.events(100))


def test_a_step_undone_elsewhere_is_seen_before_finishing(site):
    profile, catalog, checklist = site
    s = start_session(catalog, profile, profile.repositories[0], checklist)
    for step in ("first", "make"):
        s.tick(step)
    s.tick("count", "3")
    with Catalog(profile.catalog_path) as other:
        Session.load(other, s.id).untick("make")
    with pytest.raises(SessionError, match="make"):
        s.finish()


def test_a_command_with_a_lone_brace_or_an_unknown_placeholder_is_a_checklist_error(tmp_path):
    from dse_tui.core.sessions.checklists import load_checklist

    bad = tmp_path / "bad.yaml"
    bad.write_text("title: T\nkind: config\nsteps:\n  - id: a\n    text: A\n"
                   "    command: find {path} -name '*.conf' -exec ls {} \\;\n"
                   "  - id: b\n    text: B\n    command: ls {folder}\n")
    with pytest.raises(ConfigError) as err:
        load_checklist(bad)
    text = str(err.value)
    assert "bad.yaml:6" in text and "literal brace" in text
    assert "bad.yaml:9" in text and "unknown placeholder {folder}" in text
