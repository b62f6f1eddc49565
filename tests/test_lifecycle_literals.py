"""A record's state is named by its life cycle's enum (core/catalog/lifecycle.py), never spelled as a bare
string: `run.state == "good"` in one module and `RunState.GOOD` in another is how a rule ends up decided
twice, and a state renamed in one place but not in the other. StrEnums store and print as their values, so
the catalog and `--json` read as before."""

from __future__ import annotations

import ast
import json

from dse_tui.core.catalog.lifecycle import (COPY, RESTORE, RUN, SESSION, VERIFICATION, Event, RunState, StepOutcome,
                                            VerificationOutcome)
from tests.conftest import ROOT

CORE = ROOT / "dse_tui" / "core"
# Where records change state and are read for it. Not drivers/ nor verification/levels.py: a check's
# outcome there is ok or not, no record's state.
MODULES = ["engine/runner.py", "engine/schedule.py", "engine/batch.py", "verification/runs.py", "catalog/*.py",
           "destinations/copies.py", "destinations/verify.py", "destinations/media.py", "destinations/removable.py",
           "destinations/optical.py", "records/report.py", "restore/run.py", "sessions/*.py"]
OUTSIDE = {CORE / "catalog" / "lifecycle.py", CORE / "catalog" / "migrations.py"}  # the table, and SQL history

LITERALS = ({str(s) for m in (RUN, VERIFICATION, COPY, RESTORE, SESSION) for s in m.states}
            | {e for m in (RUN, VERIFICATION, COPY, RESTORE, SESSION) for e in m.events}
            | {str(s) for s in StepOutcome})
NAMES = {"state", "outcome", "event"}
# The catalog's methods that take a state or an event where it changes.
CHANGERS = {"finish_run", "finish_verification", "finish_copy", "finish_restore", "end_session", "add_copy", "_end",
            "moved"}


def _bare_state_literals(tree: ast.AST) -> list[int]:
    """Lines that compare a state, outcome or event with a bare state literal, assign one to it, pass one
    as it (keyword or a state changer's argument) or key one to it in a dict."""
    def literal(node) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str) and node.value in LITERALS
        return isinstance(node, (ast.Tuple, ast.List, ast.Set)) and any(literal(e) for e in node.elts)

    def named(node) -> bool:
        if isinstance(node, ast.Attribute):
            return node.attr in NAMES
        if isinstance(node, ast.Name):
            return node.id in NAMES
        return (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
                and node.slice.value in NAMES)

    def assigned(targets, value) -> bool:
        for target in targets:
            if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
                if any(named(t) and literal(v) for t, v in zip(target.elts, value.elts)):
                    return True
            elif named(target) and literal(value):
                return True
        return False

    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(map(named, sides)) and any(map(literal, sides)):
                lines.append(node.lineno)
        elif isinstance(node, ast.Assign) and assigned(node.targets, node.value):
            lines.append(node.lineno)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value and assigned([node.target], node.value):
            lines.append(node.lineno)
        elif isinstance(node, ast.Call):
            if any(k.arg in NAMES and literal(k.value) for k in node.keywords):
                lines.append(node.lineno)
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if func in CHANGERS and any(map(literal, node.args)):
                lines.append(node.lineno)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            positional = args.posonlyargs + args.args
            pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
            pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
            if any(a.arg in NAMES and literal(d) for a, d in pairs):
                lines.append(node.lineno)
        elif isinstance(node, ast.Dict):
            if any(isinstance(k, ast.Constant) and k.value in NAMES and literal(v) for k, v in zip(node.keys, node.values)):
                lines.append(node.lineno)
    return sorted(set(lines))


def _modules():
    for pattern in MODULES:
        for path in sorted(CORE.glob(pattern)):
            if path not in OUTSIDE:
                yield path


def test_no_record_state_is_a_bare_string_where_records_change():
    found = [f"{path.relative_to(ROOT)}:{line}" for path in _modules()
             for line in _bare_state_literals(ast.parse(path.read_text()))]
    assert not found, "bare state literals (use the enums of core/catalog/lifecycle.py): " + ", ".join(found)


def test_the_check_catches_what_it_is_there_to_catch():
    for caught in ('if run.state == "good": pass', 'ok = v.outcome in ("passed", "inconclusive")',
                   'out.state, out.message = "cancelled", "x"', 'state = "failed"',
                   'catalog.finish_copy(c, "failed", message=m)', 'catalog.finish_run(r, s, event="interrupted")',
                   'def add_copy(run_id, *, state="verified"): pass', 'x = {"state": "failed", "message": m}',
                   'good = sum(r["state"] == "good" for r in runs)', 'session._end("finished", None)'):
        assert _bare_state_literals(ast.parse(caught)), caught
    for passed in ('if run.state == RunState.GOOD: pass', 'if status.state == "manual-required": pass',
                   'x = {"outcome": "ok"}', 'record_event("mail", "failed")', 'words = {"done": "hecho"}'):
        assert not _bare_state_literals(ast.parse(passed)), passed


def test_an_enum_state_reads_and_prints_as_its_bare_string():
    """What the catalog stores and `--json` prints does not change with the enums."""
    assert json.dumps({"state": RunState.GOOD, "outcome": VerificationOutcome.INCONCLUSIVE,
                       "event": Event.VERIFICATION_FAILED}) == \
        '{"state": "good", "outcome": "inconclusive", "event": "verification failed"}'
    assert f"{RunState.FAILED}" == "failed" and RunState.FAILED == "failed" and {"good": 1}[RunState.GOOD] == 1
