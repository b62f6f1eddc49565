"""Every driver is one module behind one interface (drivers/base.py Driver), found by the registry by its
name; nothing outside drivers/ decides anything by a driver's name."""

from __future__ import annotations

import ast

import pytest

from dse_tui.core import drivers
from dse_tui.core.drivers.base import Driver
from dse_tui.core.profile.schema import Mapping
from tests.conftest import ROOT

PACKAGE = ROOT / "dse_tui"


def test_the_registry_finds_every_driver_by_its_module_name():
    assert set(drivers.names()) == {"catalog", "files", "git", "mysql", "postgresql", "sqlite"}
    for name in drivers.names():
        driver = drivers.get(name)
        assert isinstance(driver, Driver) and driver.name == name
        assert isinstance(driver.source, Mapping)
        suffix, what = driver.manual_part
        assert suffix.endswith(".zst") and what
        for field in ("backup", "describe", "contents", "tools", "structure", "trial", "check_source",
                      "plan_restore", "restore", "suggest_target", "location", "databases", "command_env",
                      "drop_scratch", "manual_meta"):
            assert callable(getattr(driver, field)), (name, field)
    with pytest.raises(KeyError):
        drivers.get("base")  # the shared module is no driver


def _decisions_by_driver_name(tree: ast.AST, names: set[str]) -> list[int]:
    """Lines that compare `.driver` with a driver's name, or key a table by drivers' names."""
    def is_names(node) -> bool:
        if isinstance(node, ast.Constant):
            return node.value in names
        return isinstance(node, (ast.Tuple, ast.List, ast.Set)) and any(is_names(e) for e in node.elts)

    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr == "driver" for s in sides) and any(map(is_names, sides)):
                lines.append(node.lineno)
        elif isinstance(node, ast.Dict):
            keys = [k for k in node.keys if isinstance(k, ast.Constant) and k.value in names]
            keys += [k for k in node.keys if isinstance(k, ast.Tuple) and k.elts and is_names(k.elts[0])]
            if len(keys) >= 2:
                lines.append(node.lineno)
    return lines


def test_nothing_outside_drivers_switches_on_a_drivers_name():
    names = set(drivers.names())
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if (PACKAGE / "core" / "drivers") in path.parents:
            continue
        for line in _decisions_by_driver_name(ast.parse(path.read_text()), names):
            found.append(f"{path.relative_to(ROOT)}:{line}")
    assert not found, "driver knowledge outside dse_tui/core/drivers/: " + ", ".join(found)


def test_the_check_catches_what_it_is_there_to_catch():
    names = set(drivers.names())
    assert _decisions_by_driver_name(ast.parse('if repo.driver in ("postgresql", "mysql"): pass'), names)
    assert _decisions_by_driver_name(ast.parse('T = {"git": 1, "files": 2}'), names)
    assert _decisions_by_driver_name(ast.parse('T = {("files", "folder"): f, ("git", "folder"): g}'), names)
    assert not _decisions_by_driver_name(ast.parse('x = {"files": [], "root": None}'), names)
