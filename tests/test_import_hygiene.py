"""The core is headless and the CLI starts light: checked in clean interpreters. No module imports itself
through others, the core imports nothing of the rest, and the catalog's SQL stays in the catalog: read
from the source."""

from __future__ import annotations

import ast
import pkgutil
import os
import subprocess
import sys
from pathlib import Path

import dse_tui.core
from tests.conftest import ROOT


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    # Without the PostgreSQL catalog runs' sitecustomize (tests/pg_children), which loads the catalog itself.
    env = {k: v for k, v in os.environ.items() if k != "DSE_TEST_CATALOG_SALT"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True,
                         env=env)
    return set(out.stdout.split())


def test_core_never_imports_textual():
    modules = [m.name for m in pkgutil.walk_packages(dse_tui.core.__path__, "dse_tui.core.")]
    assert "dse_tui.core.catalog" in modules and "dse_tui.core.profile.config" in modules
    loaded = loaded_after("\n".join(f"import {m}" for m in modules))
    assert not any(name == "textual" or name.startswith("textual.") for name in loaded)
    assert not any(name.startswith("dse_tui.ui") for name in loaded)


def test_package_import_is_light():
    loaded = loaded_after("import dse_tui")
    assert not {"textual", "yaml", "rich", "sqlite3"} & loaded


def test_the_dashboard_loads_no_run_machinery_before_a_run():
    """The dashboard's first frame has no run: the supervisor and the outcomes come with the first one."""
    loaded = loaded_after("import dse_tui.ui.app, dse_tui.ui.screens.dashboard")
    assert "dse_tui.ui.widgets.runs" in loaded
    assert not {"dse_tui.core.engine.supervisor", "dse_tui.core.engine.outcome"} & loaded


def test_status_command_does_not_load_textual():
    loaded = loaded_after("import dse_tui.cli, dse_tui.status_table, dse_tui.core.engine.schedule")
    assert "textual" not in loaded


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module → the modules of `package` it imports. Every import counts, in a function or under
    TYPE_CHECKING too: Python tolerating a late import does not make two modules any less tangled."""
    modules = {}
    for path in (root / package).rglob("*.py"):
        modules[".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")] = path

    def resolve(name: str) -> str | None:  # `from a.b import c`: module a.b.c, or else the name c of a.b
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, path in modules.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = here.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
                imported = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            targets |= {t for t in map(resolve, imported) if t and t != name}
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles as paths: the shortest through each module that is on none found before."""
    found, seen = [], set()
    for start in sorted(graph):
        if start in seen:
            continue
        paths, queue, cycle = {start: [start]}, [start], None
        while queue and cycle is None:
            here = queue.pop(0)
            for target in sorted(graph[here]):
                if target == start:
                    cycle = paths[here] + [start]
                    break
                if target not in paths:
                    paths[target] = paths[here] + [target]
                    queue.append(target)
        if cycle:
            found.append(cycle)
            seen |= set(cycle)
    return found


def test_the_cycle_finder_counts_late_imports(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("def f():\n    from pkg import c\n")
    (tmp_path / "pkg" / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("from pkg.sub.b import B\nC = 2\n")
    (tmp_path / "pkg" / "sub" / "b.py").write_text("from ..a import f\nB = 1\n")
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.sub"] == {"pkg.sub.b"} and graph["pkg.sub.b"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.c", "pkg.a"]]
    # A part of a package that reads a name of the package's __init__, which imports the part:
    (tmp_path / "pkg" / "sub" / "b.py").write_text("B = 1\n\n\ndef g():\n    from pkg.sub import C\n")
    assert cycles(import_graph(tmp_path, "pkg")) == [["pkg.a", "pkg.c", "pkg.a"], ["pkg.sub", "pkg.sub.b", "pkg.sub"]]


def test_no_import_cycles():
    found = cycles(import_graph(ROOT, "dse_tui"))
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_core_imports_only_core():
    """The package root (its __version__) is the one thing outside the core the core may import."""
    graph = import_graph(ROOT, "dse_tui")
    inside = {m for m in graph if m == "dse_tui.core" or m.startswith("dse_tui.core.")}
    leaks = sorted(f"{m} -> {t}" for m in inside for t in graph[m] - inside - {"dse_tui"})
    assert "dse_tui.core.catalog.media" in inside and not leaks, "\n".join(leaks)


def test_the_app_is_what_the_screens_expect(tmp_path):
    from dse_tui.ui.app import make_app
    from dse_tui.ui.context import ConsoleApp

    assert isinstance(make_app(tmp_path / "profile.yaml"), ConsoleApp)


SQL_CALLS = {"execute", "executemany", "executescript"}
# SQL outside dse_tui/core/catalog/, on databases that are not the catalog:
NOT_THE_CATALOG = {
    "dse_tui/core/drivers/sqlite.py": "the SQLite driver copies, counts and checks a repository's own database",
    "dse_tui/core/profile/demo.py": "the demo makes the example library database that its profile backs up",
}


def sql_calls(path: Path) -> list[int]:
    """Lines of `path` that call execute, executemany or executescript on anything."""
    return sorted(node.lineno for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in SQL_CALLS)


def test_sql_stays_in_the_catalog():
    """Whoever needs the catalog asks one of Catalog's methods, so every query of it is in one package."""
    found = {}
    for path in sorted((ROOT / "dse_tui").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if not name.startswith("dse_tui/core/catalog/") and name not in NOT_THE_CATALOG and sql_calls(path):
            found[name] = sql_calls(path)
    assert not found, f"SQL outside the catalog (move it into a Catalog method): {found}"
    assert all(sql_calls(ROOT / name) for name in NOT_THE_CATALOG), "an exception no longer needed"
    assert sql_calls(ROOT / "dse_tui/core/catalog/outbox.py")
