"""The ITR's manual-backup checklists, as data in checklists/*.yaml (a checklist's name is its file stem)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dse_tui.core.config import KINDS, DRIVERS
from dse_tui.core.problems import ConfigError, Problem
from dse_tui.core.schema import Bilingual, Bool, Checker, Enum, Field, List, Mapping, Str
from dse_tui.core.yamlsource import load_document


@dataclass(frozen=True)
class Step:
    id: str
    text: dict[str, str]
    required: bool = True
    command: str | None = None
    evidence: dict[str, str] | None = None  # the prompt, bilingual
    evidence_pattern: str | None = None


@dataclass(frozen=True)
class Checklist:
    name: str
    file: Path
    title: dict[str, str]
    kind: str
    drivers: tuple[str, ...]
    steps: tuple[Step, ...]


class _Regex(Str):
    expected = "a regular expression"

    def check(self, value, path, c):
        if not isinstance(value, str):
            return self.wrong_type(value, path, c)
        try:
            re.compile(value)
        except re.error as exc:
            return c.error(path, f"invalid regular expression: {exc}")
        return value


def _unique_steps(data: dict, path, c: Checker) -> None:
    seen: set[str] = set()
    for i, step in enumerate(data["steps"] if isinstance(data["steps"], list) else []):
        if isinstance(step, dict) and isinstance(step.get("id"), str):
            if step["id"] in seen:
                c.error(path + ("steps", i, "id"), f"duplicate step id '{step['id']}'")
            seen.add(step["id"])


_STEP = Mapping({
    "id": Field(Str(r"[a-z0-9][a-z0-9_-]*", "lower-case letters, digits, '_' or '-'"), required=True),
    "text": Field(Bilingual(), required=True),
    "required": Field(Bool(), default=True),
    "command": Field(Str()),
    "evidence": Field(Bilingual()),
    "evidence_pattern": Field(_Regex()),
})

_CHECKLIST = Mapping({
    "title": Field(Bilingual(), required=True),
    "kind": Field(Enum(*KINDS), required=True),
    "drivers": Field(List(Enum(*DRIVERS)), default=list),
    "steps": Field(List(_STEP, min_items=1), required=True),
}, extra_check=_unique_steps)


def load_checklist(file: Path) -> Checklist:
    doc = load_document(file)
    c = Checker(doc)
    data = _CHECKLIST.check(doc.data, (), c)
    if c.problems:
        raise ConfigError(c.problems)
    return Checklist(
        name=file.stem, file=file, title=data["title"], kind=data["kind"], drivers=tuple(data["drivers"]),
        steps=tuple(Step(**s) for s in data["steps"]),
    )


def shipped_checklists_dir() -> Path:
    """checklists/ of a source checkout, else the copy installed inside the package."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "checklists", here / "_shipped" / "checklists"):
        if candidate.is_dir():
            return candidate
    return here.parent / "checklists"


def load_checklists(directory: Path | None = None) -> dict[str, Checklist]:
    """Every checklist in `directory`; ConfigError lists the problems of every file at once."""
    directory = directory or shipped_checklists_dir()
    found: dict[str, Checklist] = {}
    problems: list[Problem] = []
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise ConfigError([Problem(directory, None, "", "no checklists (*.yaml) found in this folder")])
    for file in files:
        try:
            found[file.stem] = load_checklist(file)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return found


def checklist_for(repo_kind: str, repo_driver: str, checklist: str | None,
                  checklists: dict[str, Checklist]) -> Checklist | None:
    """The repository's own checklist if it names one, else the shipped one for its kind and driver."""
    if checklist:
        return checklists.get(checklist)
    candidates = [c for c in checklists.values() if c.kind == repo_kind]
    for c in candidates:
        if repo_driver in c.drivers:
            return c
    return next((c for c in candidates if not c.drivers), candidates[0] if candidates else None)


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # an unknown placeholder stays visible for the operator to fill in


def placeholders(repo, output: str | None = None, storage: str | None = None) -> dict[str, str]:
    """What a step's command may name, from the repository's settings (never a password)."""
    import shlex

    s = repo.source
    values = {"repository": repo.id, "name": repo.name, "kind": repo.kind, "driver": repo.driver}
    for key in ("host", "port", "user", "path"):
        if s.get(key) is not None:
            values[key] = str(s[key])
    dbs = s.get("databases") or []
    if dbs:
        values["database"] = dbs[0]
        values["databases"] = " ".join(dbs)
    if repo.ssh:
        values["ssh"] = repo.ssh.destination
    if output:
        values["output"] = output
    if storage:
        values["storage"] = storage
    quoted = {k: shlex.quote(v) for k, v in values.items()}
    if dbs:
        quoted["databases"] = " ".join(shlex.quote(d) for d in dbs)
    return quoted


def fill_command(command: str, repo, output: str | None = None, storage: str | None = None) -> str:
    return command.format_map(_Keep(placeholders(repo, output, storage)))
