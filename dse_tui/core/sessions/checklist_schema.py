"""The schema of a checklist step, shared by checklists/*.yaml and a profile's extra steps
(`repositories[].checklist_steps`). It imports nothing of config, so both can use it."""

from __future__ import annotations

import re

from dse_tui.core.profile.schema import Bilingual, Bool, Checker, Field, Mapping, Str


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


def unique_steps(data: dict, path, c: Checker, key: str = "steps") -> None:
    seen: set[str] = set()
    for i, step in enumerate(data[key] if isinstance(data[key], list) else []):
        if isinstance(step, dict) and isinstance(step.get("id"), str):
            if step["id"] in seen:
                c.error(path + (key, i, "id"), f"duplicate step id '{step['id']}'")
            seen.add(step["id"])


# What a step's command may name; filled from the repository's settings (checklists.placeholders).
PLACEHOLDERS = ("repository", "name", "kind", "driver", "host", "port", "user", "path", "database", "databases",
                "ssh", "output", "storage")


class _Command(Str):
    expected = "a shell command"

    def check(self, value, path, c):
        import string

        if not isinstance(value, str):
            return self.wrong_type(value, path, c)
        try:
            names = [field for _, field, _, _ in string.Formatter().parse(value) if field is not None]
        except ValueError as exc:
            return c.error(path, f"{exc}: write {{{{ and }}}} for a literal brace (e.g. find -exec ... {{{{}}}} \\;)")
        unknown = [n for n in names if n not in PLACEHOLDERS]
        if unknown:
            return c.error(path, f"unknown placeholder {{{unknown[0]}}}: known are "
                                 f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)}; write {{{{ and }}}} for a literal brace")
        return value


STEP_ID = Str(r"[a-z0-9][a-z0-9_-]*", "lower-case letters, digits, '_' or '-'")

_STEP_FIELDS = {
    "id": Field(STEP_ID, required=True),
    "text": Field(Bilingual(), required=True),
    "required": Field(Bool(), default=True),
    "command": Field(_Command()),
    "evidence": Field(Bilingual()),
    "evidence_pattern": Field(_Regex()),
}

STEP = Mapping(_STEP_FIELDS)

# A site's own step for one repository: where it goes (after which step of the checklist; the end if not said).
EXTRA_STEP = Mapping({**_STEP_FIELDS, "after": Field(STEP_ID)})
