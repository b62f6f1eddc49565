"""The core is headless and the CLI starts light: checked in clean interpreters."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import dse_tui.core
from tests.conftest import ROOT


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
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


def test_status_command_does_not_load_textual():
    loaded = loaded_after("import dse_tui.cli, dse_tui.status_table, dse_tui.core.engine.schedule")
    assert "textual" not in loaded
