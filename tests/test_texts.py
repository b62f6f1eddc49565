"""The texts (dse_tui/core/texts/en*.py, es*.py): every key in both languages with the same placeholders and
plural forms, no key defined twice, every key the code names defined, and no key that nothing uses.

A key is used when the source names it whole (a string literal), when a screen's command table names it (its
text and "<text>.help"), or when the code builds it from a prefix and a value: those families are declared
in DYNAMIC below with the values they take, from the StrEnums where there is one. A new family (say
tr(f"thing.{x}")) is declared there, or its keys are reported unused."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import string
from pathlib import Path

import dse_tui
import dse_tui.ui.screens
from dse_tui.core.catalog.lifecycle import (
    CopyState, Event, MediumState, RestoreOutcome, RunState, SessionState, StepOutcome, VerificationOutcome,
)
from dse_tui.core.destinations.copies import SKIPPED
from dse_tui.core.engine.outcome import PHASES
from dse_tui.core.engine.schedule import Status
from dse_tui.core.keys.keypairs import INSTRUCTIONS
from dse_tui.core.labels.stocks import BUILT_IN as BUILT_IN_STOCKS
from dse_tui.core.profile.model import KINDS, VERIFY_LEVELS
from dse_tui.core.profile.schema import TYPE_NAMES
from dse_tui.core.records.report import GAPS
from dse_tui.core.texts import CATALOGS, LANGUAGES, MODULES, tr
from dse_tui.core.engine.runner import SKIPPED as RUN_SKIPPED
from dse_tui.status_table import COLUMNS as STATUS_COLUMNS, HOST_COLUMN
from dse_tui.ui.widgets.repo_table import COLUMNS as DASHBOARD_COLUMNS

SOURCE = Path(dse_tui.__file__).parent
TEXTS_DIR = SOURCE / "core" / "texts"

from dse_tui.core.restore.versions import Change  # noqa: E402
from dse_tui.ui.screens.medium_restore import COPY_COLUMNS  # noqa: E402
from dse_tui.ui.screens.versions import VERSION_COLUMNS  # noqa: E402
from tests.test_core_spanish import EVENT_ACTIONS  # noqa: E402

DYNAMIC: dict[str, set[str]] = {
    "state.": set(Status),
    "status.state.": set(Status),
    "status.col.": set(STATUS_COLUMNS) | {HOST_COLUMN},
    "kind.": set(KINDS),
    "col.": set(DASHBOARD_COLUMNS),
    "run.": set(RunState) | {"already-running", RUN_SKIPPED},  # an Outcome's state
    "outcome.": set(VerificationOutcome),
    "level.": set(VERIFY_LEVELS),
    "detail.level.": set(VERIFY_LEVELS),
    "medium.": set(MediumState),
    "record.": set(SessionState) | set(StepOutcome) | set(RunState),
    "session.state.": set(SessionState),
    "session.outcome.": set(StepOutcome),
    "copy.state.": {CopyState.VERIFIED, CopyState.FAILED, Event.CANCELLED, SKIPPED},
    "copied.": {CopyState.VERIFIED, CopyState.FAILED, Event.CANCELLED, SKIPPED},
    "copystate.": set(CopyState),
    "restored.": set(RestoreOutcome),
    "gap.": set(GAPS),
    "trigger.": {"cli", "console", "manual", "auto", "after run"},  # what starts a run or a verification
    "check.level.": {"ok", "warn", "error"},
    "problem.type.": set(TYPE_NAMES.values()),
    "prune.why.": {"daily", "weekly", "monthly", "yearly"},  # retention's rules
    "audit.kind.": {"edited", "inserted", "deleted", "truncated"},  # a Break's kind
    "event.action.": set(EVENT_ACTIONS),
    "runs.phase.": set(PHASES),
    "stock.": set(BUILT_IN_STOCKS),
    "versions.": set(Change),
    "restore.where.": {"database", "file", "folder"},  # a restore target's RestoreTarget.into
    # a check's name's first words (texts.check_name)
    "checkname.": {"checksum", "manifest", "archive", "listing", "extract", "files", "integrity", "open", "clone",
                   "bundle", "time", "tools", "internal", "artifact", "lock", "structure", "restore", "rows", "heads",
                   "cloned heads", "fsck", "complete", "scratch", "scratch database for", "drop", "event chain",
                   "decrypted", "min_size", "require", "shrink", "copy on"},
    "filekind.": {"file", "dir", "symlink", "hardlink", "fifo", "char", "block", "socket", "other"},  # file_kind's
    "versions.col.": set(VERSION_COLUMNS),
    "medium.col.": set(COPY_COLUMNS),
    "weekday.": {str(day) for day in range(7)},  # datetime.weekday()
    "notarchived.": {"unreadable", "shrank", "vanished", "socket", "changed"},
    "sheet.": {str(i) for i in range(len(INSTRUCTIONS["en"]))},
    # the columns of the screens' tables, as they add them
    "runs.col.": {"run", "state", "verified", "copies", "note"},
    "events.col.": {"id", "at", "operator", "repository", "action", "outcome", "detail"},
    "media.col.": {"code", "kind", "state", "location", "runs", "expires"},
    "cli.media.field.": {"code", "kind", "state", "location", "destination", "volume", "capacity", "created_at",
                         "expires_at", "expired", "sequence", "note", "run"},
}
# Keys read only where their value is not a language's text: the language switch names the other language.
LOOKUP_FUNCTIONS = {"tr": 0, "say": 1, "w": 0, "_both": 0, "t": 0, "h": 0}


def source_files():
    return [p for p in SOURCE.rglob("*.py") if TEXTS_DIR not in p.parents]


def literals() -> set[str]:
    found = set()
    for path in source_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def looked_up() -> dict[str, str]:
    """Keys named as literals in a lookup (tr(key, ...), say(args, key, ...)), with where."""
    found = {}
    for path in source_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in LOOKUP_FUNCTIONS:
                index = LOOKUP_FUNCTIONS[node.func.id]
                if len(node.args) > index and isinstance(node.args[index], ast.Constant) \
                        and isinstance(node.args[index].value, str):
                    found[node.args[index].value] = f"{path.relative_to(SOURCE)}:{node.lineno}"
    return found


def command_keys() -> set[str]:
    keys = set()
    for m in pkgutil.iter_modules(dse_tui.ui.screens.__path__):
        module = importlib.import_module(f"dse_tui.ui.screens.{m.name}")
        for cls in vars(module).values():
            table = getattr(cls, "COMMAND_TABLE", None) if isinstance(cls, type) else None
            for c in table or ():
                keys |= {c.text, f"{c.text}.help"}
    return keys


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def forms(entry) -> dict[str, str]:
    return entry if isinstance(entry, dict) else {"text": entry}


def test_both_languages_have_the_same_keys():
    en, es = set(CATALOGS["en"]), set(CATALOGS["es"])
    missing_es, missing_en = sorted(en - es), sorted(es - en)
    assert not missing_es, f"missing in Spanish: {missing_es}"
    assert not missing_en, f"missing in English: {missing_en}"


def test_no_key_is_defined_twice():
    """A dict literal keeps the last of two equal keys silently: the first text would be lost."""
    for lang in LANGUAGES:  # across the language's modules too: the later one would win
        keys = [k.value for module in MODULES[lang] for node in ast.walk(ast.parse(Path(module.__file__).read_text()))
                if isinstance(node, ast.Dict) for k in node.keys if isinstance(k, ast.Constant) and "." in str(k.value)]
        assert len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})


def test_each_text_has_the_same_placeholders_and_forms_in_both_languages():
    bad = []
    for key, en in CATALOGS["en"].items():
        es = CATALOGS["es"].get(key)
        if es is None:
            continue
        if forms(en).keys() != forms(es).keys():
            bad.append(f"{key}: forms {sorted(forms(en))} and {sorted(forms(es))}")
            continue
        if isinstance(en, dict):
            assert set(en) == {"one", "other"}, f"{key}: a plural text has the forms one and other"
        for form in forms(en):
            if placeholders(forms(en)[form]) != placeholders(forms(es)[form]):
                bad.append(f"{key} ({form}): {placeholders(forms(en)[form])} ≠ {placeholders(forms(es)[form])}")
        if isinstance(en, dict):  # the "one" form may spell the 1 out, never add a value "other" lacks
            for lang_entry in (en, es):
                assert placeholders(lang_entry["one"]) <= placeholders(lang_entry["other"]) | {"n"}, key
    assert not bad, "\n".join(bad)


def test_every_key_the_code_looks_up_is_defined():
    missing = {key: where for key, where in looked_up().items()
               if "." in key and " " not in key and key not in CATALOGS["en"]}
    assert not missing, missing


def test_every_declared_family_names_keys_that_exist():
    missing = sorted(prefix + str(value) for prefix, values in DYNAMIC.items() for value in values
                     if prefix + str(value) not in CATALOGS["en"])
    assert not missing, f"built by the code, defined nowhere: {missing}"


def test_no_key_is_defined_and_used_nowhere():
    used = literals() | command_keys() | {prefix + str(v) for prefix, values in DYNAMIC.items() for v in values}
    unused = sorted(key for key in CATALOGS["en"] if key not in used)
    assert not unused, f"defined but used nowhere (or built from a family DYNAMIC lacks): {unused}"


def test_a_count_picks_the_plural_form_and_values_fill_it():
    assert tr("cli.run.failed", "en", n=1, total=3, repos="a") == "1 of 3 runs did not succeed: a"
    assert tr("cli.run.failed", "es", n=2, total=3, repos="a, b") == "2 de 3 ejecuciones no tuvieron éxito: a, b"
    assert tr("quit.running", "es", n=1).startswith("Hay un respaldo en curso")
    assert tr("no.such.key", "es") == "no.such.key"  # a missing key shows itself


def test_the_uis_module_answers_from_the_catalogs():
    from dse_tui import i18n

    assert i18n.tr("summary", "es", total=3) == "3 repositorios"
    assert i18n.TEXTS["summary"] == {"es": "{total} repositorios", "en": "{total} repositories"}
