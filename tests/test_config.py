"""Profile validation: every problem at once, each naming file, line and key path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from dse_tui.core.profile.config import load_profile
from dse_tui.core.profile.problems import ConfigError
from tests.conftest import ROOT, write_profile

MINIMAL = """\
site:
  id: t
  name: Test site
storage:
  root: ./backups
repositories:
  - id: db
    kind: database
    driver: sqlite
    source: {path: ./db.sqlite}
"""


def problems_of(tmp_path: Path, body: str) -> list[str]:
    path = write_profile(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        load_profile(path)
    return [str(p) for p in err.value.problems]


def test_shipped_profiles_are_valid():
    for name in ("demo.yaml", "example-dse.yaml"):
        profile = load_profile(ROOT / "profiles" / name)
        assert {r.kind for r in profile.repositories} == {"database", "software", "web", "config"}


def test_example_profile_covers_a_real_department():
    profile = load_profile(ROOT / "profiles" / "example-dse.yaml")
    drivers = {r.driver for r in profile.repositories}
    assert {"postgresql", "mysql", "git", "files"} <= drivers
    assert any(r.ssh for r in profile.repositories if r.kind == "web")


def test_minimal_profile_gets_defaults_and_paths_relative_to_the_file(tmp_path):
    profile = load_profile(write_profile(tmp_path, MINIMAL))
    repo = profile.repository("db")
    assert repo.source["path"] == tmp_path / "db.sqlite"
    assert profile.storage_root == tmp_path / "backups"
    assert repo.periodicity.interval == timedelta(days=1)
    assert repo.copies == 2 and repo.verify == "checksum"
    assert repo.name == "db"


def test_wrong_type_names_file_line_and_key(tmp_path):
    body = MINIMAL.replace("kind: database", "kind: database\n    copies: two")
    (problem,) = problems_of(tmp_path, body)
    assert problem == f"{tmp_path / 'profile.yaml'}:9: repositories[0].copies: expected a whole number ≥ 0, got text"


def test_missing_key_names_the_mapping_and_its_line(tmp_path):
    body = MINIMAL.replace("    driver: sqlite\n", "")
    (problem,) = problems_of(tmp_path, body)
    assert problem.endswith(":7: repositories[0]: missing required key 'driver' "
                            "(one of files, git, mysql, postgresql, sqlite)")


def test_unknown_key_suggests_the_right_one(tmp_path):
    body = MINIMAL.replace("kind: database", "kind: database\n    periodicty: 1d")
    (problem,) = problems_of(tmp_path, body)
    assert ":9: repositories[0].periodicty: unknown key 'periodicty'; did you mean 'periodicity'?" in problem


def test_yaml_syntax_error_names_the_line(tmp_path):
    body = MINIMAL.replace("source: {path: ./db.sqlite}", "source: {path: ./db.sqlite")
    (problem,) = problems_of(tmp_path, body)
    assert problem.startswith(f"{tmp_path / 'profile.yaml'}:10: YAML syntax error"), "the line of the unclosed {"


def test_empty_file(tmp_path):
    (problem,) = problems_of(tmp_path, "# only a comment\n")
    assert problem.endswith(":1: the file is empty; expected a mapping of settings")


def test_a_list_instead_of_a_mapping(tmp_path):
    (problem,) = problems_of(tmp_path, "- site\n- storage\n")
    assert problem.endswith(":1: expected a mapping of settings, got a list")


def test_every_problem_is_reported_at_once(tmp_path):
    body = """\
site:
  id: Bad Id
  name: x
storage: {root: ./b}
repositories:
  - id: a
    kind: webb
    driver: files
    grace: 3x
    source: {}
  - id: a
    kind: config
    driver: git
    source: {path: 3}
    destinations: [usb]
"""
    problems = problems_of(tmp_path, body)
    keys = [p.split(": ", 2)[0].rsplit(":", 1)[1] + " " + p.split(": ", 2)[1] for p in problems]
    assert keys == [
        "2 site.id", "7 repositories[0].kind", "9 repositories[0].grace", "10 repositories[0].source",
        "11 repositories[1].id", "14 repositories[1].source.path", "15 repositories[1].destinations",
    ]
    assert any("did you mean 'web'" in p for p in problems)
    assert any("duplicate repository id 'a'" in p for p in problems)


def test_passwords_are_refused_with_what_to_write_instead(tmp_path):
    body = MINIMAL.replace("driver: sqlite\n    source: {path: ./db.sqlite}",
                           "driver: postgresql\n    source:\n      host: db\n      password: hunter2")
    (problem,) = problems_of(tmp_path, body)
    assert "source.password: passwords are never written in a profile: use password_env" in problem
    assert "hunter2" not in problem


def test_duplicate_keys_are_errors(tmp_path):
    (problem,) = problems_of(tmp_path, MINIMAL.replace("  name: Test site\n", "  name: Test site\n  name: Again\n"))
    assert ":4: site.name: duplicate key (first at line 3)" in problem


def test_source_settings_depend_on_the_driver(tmp_path):
    body = MINIMAL.replace("source: {path: ./db.sqlite}", "source: {path: ./db.sqlite, databases: [x]}")
    (problem,) = problems_of(tmp_path, body)
    assert "repositories[0].source.databases: unknown key 'databases'" in problem


def test_ssh_only_for_drivers_that_stream(tmp_path):
    body = MINIMAL.replace("kind: database", "kind: database\n    ssh: {host: db.example}")
    (problem,) = problems_of(tmp_path, body)
    assert "repositories[0].ssh: the sqlite driver does not work over SSH" in problem


@pytest.mark.parametrize("value, ok", [("6h", True), ("1d12h", True), ("1w", True), ("0 2 * * *", True),
                                       ("0 25 * * *", False), ("daily", False), ("0h", False)])
def test_periodicity(tmp_path, value, ok):
    body = MINIMAL.replace("kind: database", f"kind: database\n    periodicity: '{value}'")
    if ok:
        assert load_profile(write_profile(tmp_path, body)).repositories[0].periodicity.text == value
    else:
        (problem,) = problems_of(tmp_path, body)
        assert ":9: repositories[0].periodicity:" in problem


def test_unknown_destination(tmp_path):
    body = MINIMAL + "    destinations: [nas]\ndestinations:\n  - id: usb\n    kind: directory\n    path: /mnt/usb\n"
    (problem,) = problems_of(tmp_path, body)
    assert "unknown destination 'nas'; known: usb" in problem


def test_destination_kind_requirements(tmp_path):
    body = MINIMAL + "destinations:\n  - id: usb\n    kind: removable\n  - id: dr\n    kind: ssh\n    host: x\n"
    problems = problems_of(tmp_path, body)
    assert any("destinations[0]: a removable destination needs 'uuid' or 'label'" in p for p in problems)
    assert any("destinations[1]: a ssh destination needs 'path'" in p for p in problems)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_profile(tmp_path / "nope.yaml")


@pytest.mark.parametrize("text, line, message", [
    ("site: !foo x\n", 1, "site: cannot read the value 'x': could not determine a constructor for the tag '!foo'"),
    ("site:\n  id: 2026-13-45\n", 2, "site.id: cannot read the value '2026-13-45': month must be in 1..12"),
    ("site: !!int abc\n", 1, "site: cannot read the value 'abc'"),
    ("a: &x [*x]\n", 1, "a[0]: nested too deep (a recursive alias?)"),
    ("site: x\n\x00\n", 2, "YAML syntax error: control characters are not allowed"),
])
def test_unusual_yaml_is_a_problem_on_its_line_never_a_crash(tmp_path, text, line, message):
    (problem,) = problems_of(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'profile.yaml'}:{line}: {message}"), problem


def test_exploding_aliases_stop_early(tmp_path):
    rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdef", "bcdefg"):
        rows.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    problems = problems_of(tmp_path, "\n".join(rows) + "\n")
    assert any("the document is too large" in p for p in problems)


def test_non_utf8_bytes_name_their_line(tmp_path):
    path = tmp_path / "profile.yaml"
    path.write_bytes(b"site:\n  name: caf\xe9\n")
    with pytest.raises(ConfigError) as err:
        load_profile(path)
    assert str(err.value) == f"{path}:2: not UTF-8 text (byte 0xe9); save the file as UTF-8"


def test_a_folder_is_not_a_profile(tmp_path):
    with pytest.raises(ConfigError, match="is a folder; expected a YAML file"):
        load_profile(tmp_path)


def test_odd_shapes_in_cross_checked_sections(tmp_path):
    body = MINIMAL + "defaults: {destinations: {a: b}}\ndestinations: [{id: a}, {path: x}, {path: y}]\n"
    problems = problems_of(tmp_path, body)
    assert any("defaults.destinations: expected a list of text, got a mapping" in p for p in problems)
    assert any("destinations[0]: missing required key 'kind'" in p for p in problems)
    assert not any("duplicate destination" in p for p in problems)


@pytest.mark.parametrize("field, value, message", [
    ("grace", "99999999999d", "is longer than five years"),
    ("periodicity", "'0 0 31 2 *'", "never fires: no date matches it"),
])
def test_durations_and_cron_lines_that_cannot_work(tmp_path, field, value, message):
    body = MINIMAL.replace("kind: database", f"kind: database\n    {field}: {value}")
    (problem,) = problems_of(tmp_path, body)
    assert message in problem


def test_a_password_pasted_into_password_env_is_not_echoed(tmp_path):
    body = MINIMAL.replace("driver: sqlite\n    source: {path: ./db.sqlite}",
                           "driver: mysql\n    source: {password_env: 'Sup3r S3cret!'}")
    (problem,) = problems_of(tmp_path, body)
    assert "password_env: the value is not valid" in problem and "S3cret" not in problem


def test_a_profile_that_validated_comes_from_the_cache_until_it_changes(tmp_path, monkeypatch):
    from dse_tui.core.profile import config
    path = write_profile(tmp_path, MINIMAL)
    first = load_profile(path)
    monkeypatch.setattr(config, "load_document", lambda f: pytest.fail("parsed again"))
    assert load_profile(path) == first  # same bytes: no parsing
    path.write_text(MINIMAL.replace("Test site", "Renamed site"))
    monkeypatch.undo()
    assert load_profile(path).site.name == "Renamed site"


def test_a_damaged_cache_entry_is_ignored(tmp_path):
    from dse_tui.core.profile import cache as profilecache
    path = write_profile(tmp_path, MINIMAL)
    load_profile(path)
    entry = profilecache._entry(path.absolute(), path.read_bytes())
    entry.write_bytes(b"not a pickle")
    assert load_profile(path).site.name == "Test site"


def test_an_invalid_profile_is_never_cached(tmp_path):
    path = write_profile(tmp_path, MINIMAL.replace("kind: database", "kind: databse"))
    for _ in range(2):
        with pytest.raises(ConfigError, match="did you mean 'database'"):
            load_profile(path)


@pytest.mark.parametrize("text, line, opened", [
    ("site: {id: t, name: T}\nrepositories:\n  - {id: a, kind: config\n  - {id: b}\n", 3, "flow mapping"),
    ("site: {id: t, name: \"T}\nstorage: {root: ./b}\n", 1, "quoted scalar"),
    ("site:\n  id: t\n  name x\n  foo: 1\n", 3, "simple key"),
])
def test_a_syntax_error_names_the_line_where_the_thing_left_open_is(tmp_path, text, line, opened):
    """Issue 17: an unclosed `{` on line 28 was reported at :29, where the parser noticed it."""
    path = write_profile(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_profile(path)
    (problem,) = err.value.problems
    assert problem.line == line and opened in problem.message, str(problem)
