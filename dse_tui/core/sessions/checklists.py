"""The ITR's manual-backup checklists, as data in checklists/*.yaml (a checklist's name is its file stem)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dse_tui.core import drivers
from dse_tui.core.profile.model import KINDS
from dse_tui.core.profile.problems import ConfigError, Problem
from dse_tui.core.sessions.checklist_schema import STEP, unique_steps
from dse_tui.core.profile.schema import Bilingual, Checker, Enum, Field, List, Mapping
from dse_tui.core.profile.yamlsource import load_document


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


_CHECKLIST = Mapping({
    "title": Field(Bilingual(), required=True),
    "kind": Field(Enum(*KINDS), required=True),
    "drivers": Field(List(Enum(*drivers.names())), default=list),
    "steps": Field(List(STEP, min_items=1), required=True),
}, extra_check=unique_steps)


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
    here = Path(__file__).resolve().parents[2]  # dse_tui/
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


def site_checklists(profile) -> dict[str, Checklist]:
    """The shipped checklists, with the profile's own folder (`checklists:`) adding to them or replacing one
    by name. ConfigError names every broken file."""
    found = load_checklists()
    if profile.checklists_dir is not None:
        if not profile.checklists_dir.is_dir():
            raise ConfigError([Problem(profile.file, None, "checklists",
                                       f"{profile.checklists_dir} is not a folder")])
        found.update(load_checklists(profile.checklists_dir))
    return found


def repository_checklist(profile, repo, checklists: dict[str, Checklist]) -> Checklist:
    """The checklist a session of `repo` walks: its chosen (or its kind's) checklist with the profile's extra
    steps put in place. ConfigError, naming the profile, when it cannot be made."""
    chosen = checklist_for(repo.kind, repo.driver, repo.checklist, checklists)
    where = f"repositories[{repo.id}]"
    if chosen is None:
        what = (f"checklist '{repo.checklist}' does not exist" if repo.checklist
                else f"no checklist for kind {repo.kind}")
        raise ConfigError([Problem(profile.file, None, f"{where}.checklist",
                                   f"{what}; known: {', '.join(sorted(checklists))}")])
    steps = list(chosen.steps)
    problems = []
    for extra in repo.checklist_steps:
        step = Step(**{k: v for k, v in extra.items() if k != "after"})
        ids = [s.id for s in steps]
        if step.id in ids:
            problems.append(Problem(profile.file, None, f"{where}.checklist_steps",
                                    f"extra step '{step.id}' is already in checklist '{chosen.name}'"))
            continue
        after = extra.get("after")
        if after is not None and after not in ids:
            problems.append(Problem(profile.file, None, f"{where}.checklist_steps.{step.id}.after",
                                    f"extra step '{step.id}' goes after '{after}', which checklist "
                                    f"'{chosen.name}' does not have; its steps: {', '.join(ids)}"))
            continue
        steps.insert(ids.index(after) + 1 if after else len(steps), step)
    if problems:
        raise ConfigError(problems)
    return Checklist(chosen.name, chosen.file, chosen.title, chosen.kind, chosen.drivers, tuple(steps))


def evidence_problem(step: Step, value: str) -> str | None:
    """Why `value` is not acceptable evidence for `step` (None when it is)."""
    if not value.strip():
        return "the evidence is empty"
    if step.evidence_pattern and not re.fullmatch(step.evidence_pattern, value.strip()):
        return f"'{value.strip()}' does not match the expected form {step.evidence_pattern}"
    return None


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
