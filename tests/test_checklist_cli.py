"""`dse-tui checklist list|show`: the checklists printable when the console is down."""

from __future__ import annotations

from dse_tui.cli import main


def test_list_names_every_shipped_checklist(capsys):
    assert main(["checklist", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("database-postgresql", "database-mysql", "database-sqlite", "software-git", "web", "config"):
        assert any(line.startswith(name + " ") for line in out.splitlines()), name


def test_show_prints_boxes_blanks_and_filled_commands(demo_profile, capsys):
    assert main(["checklist", "show", "database-sqlite", "--lang", "es", "--repo", "library-db",
                 "--profile", str(demo_profile)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Respaldo manual de una base de datos SQLite")
    assert " 1. [ ] " in out and "Firma: ____" in out
    source = str(demo_profile.parent / "site" / "library.sqlite")
    assert f"$ sqlite3 {source} " in out, "the repository's settings fill the placeholders"
    assert "{output}" in out, "a placeholder only the operator knows stays visible"


def test_show_an_unknown_checklist_says_which_exist(capsys):
    assert main(["checklist", "show", "nope"]) == 3
    assert "known: config, database-mysql" in capsys.readouterr().err
