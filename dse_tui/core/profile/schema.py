"""A small declarative validator for YAML documents: every problem at once, each with line and key path.

Why not pydantic or jsonschema: we need `file:line` for every error, "did you mean" for unknown keys and
domain messages (passwords, durations) in one pass, and the CLI must start fast.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any, Callable

from dse_tui.core.profile.problems import Problem
from dse_tui.core.profile.yamlsource import Document, Path_, format_path
from dse_tui.core.texts import Text

INVALID = object()  # returned by a failed check; the problem is already recorded


class Checker:
    """Collects problems while walking one document."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.problems: list[Problem] = []

    def error(self, path: Path_, message: str) -> object:
        self.problems.append(Problem(self.doc.file, self.doc.line(path), format_path(path), message))
        return INVALID


TYPE_NAMES = {type(None): "null", bool: "bool", int: "number", float: "number", str: "text", list: "list",
              dict: "mapping"}  # each is the text problem.type.<name>


def _type_name(value: Any) -> str:
    name = TYPE_NAMES.get(type(value))
    return Text(f"problem.type.{name}") if name else type(value).__name__


class Schema:
    expected = Text("problem.expected.value")

    def check(self, value: Any, path: Path_, c: Checker) -> Any:
        raise NotImplementedError

    def wrong_type(self, value: Any, path: Path_, c: Checker) -> object:
        return c.error(path, Text("problem.wrong_type", expected=self.expected, got=_type_name(value)))


class Str(Schema):
    expected = Text("problem.expected.text")

    def __init__(self, pattern: str | None = None, hint: str = "", allow_numbers: bool = False,
                 echo: bool = True):
        self.pattern = re.compile(pattern) if pattern else None
        self.hint = hint
        self.allow_numbers = allow_numbers
        self.echo = echo

    def check(self, value, path, c):
        if self.allow_numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            return self.wrong_type(value, path, c)
        if self.pattern and not self.pattern.fullmatch(value):
            shown = f"'{value}'" if self.echo else Text("problem.the_value")
            return c.error(path, Text("problem.not_valid", shown=shown, expected=self.hint or self.pattern.pattern))
        return value


class Int(Schema):
    def __init__(self, minimum: int | None = None, maximum: int | None = None):
        self.minimum, self.maximum = minimum, maximum
        self.expected = Text("problem.expected.int") if minimum is None else Text("problem.expected.int_min",
                                                                                   minimum=minimum)

    def check(self, value, path, c):
        if isinstance(value, bool) or not isinstance(value, int):
            return self.wrong_type(value, path, c)
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            return c.error(path, Text("problem.out_of_range", value=value, minimum=self.minimum, maximum=self.maximum))
        return value


class Bool(Schema):
    expected = Text("problem.expected.bool")

    def check(self, value, path, c):
        return value if isinstance(value, bool) else self.wrong_type(value, path, c)


class Enum(Schema):
    def __init__(self, *choices: str):
        self.choices = choices
        self.expected = Text("problem.expected.one_of", choices=", ".join(choices))

    def check(self, value, path, c):
        if value not in self.choices:
            hint = _suggest(str(value), self.choices)
            return c.error(path, Text("problem.not_expected", value=value, expected=self.expected, hint=hint))
        return value


class BoolOr(Schema):
    """true, false, or one of a few words for what lies between (`globals: without-passwords`)."""

    def __init__(self, *words: str):
        self.words = words
        self.expected = Text("problem.expected.bool_or", words=", ".join(words))

    def check(self, value, path, c):
        if isinstance(value, bool) or value in self.words:
            return value
        hint = _suggest(str(value), self.words) if isinstance(value, str) else ""
        return c.error(path, Text("problem.not_expected", value=value, expected=self.expected, hint=hint))


class Parsed(Schema):
    """Text turned into a value by `parse`, whose ValueError message becomes the problem."""

    def __init__(self, parse: Callable[[Any], Any], expected: str, accept_int: bool = False):
        self.parse, self.expected, self.accept_int = parse, expected, accept_int

    def check(self, value, path, c):
        ok_int = self.accept_int and isinstance(value, int) and not isinstance(value, bool)
        if not isinstance(value, str) and not ok_int:
            return self.wrong_type(value, path, c)
        try:
            return self.parse(value)
        except ValueError as exc:
            return c.error(path, exc.args[0] if exc.args and isinstance(exc.args[0], Text) else str(exc))


class FilePath(Schema):
    """A path, absolute or relative to the folder of the document it is written in."""

    expected = Text("problem.expected.path")

    def check(self, value, path, c):
        if not isinstance(value, str) or not value.strip():
            return self.wrong_type(value, path, c)
        p = FsPath(value).expanduser()
        # normpath, not resolve(): no filesystem access (a profile loads in the console's start-up path),
        # and the path stays as the site wrote it.
        return p if p.is_absolute() else FsPath(os.path.normpath(c.doc.file.parent / p))


class CatalogPlace(FilePath):
    """The catalog: a SQLite file (a path) or a PostgreSQL database (a postgresql:// URL, kept as text).
    A URL never carries its password: that comes from a passfile or an environment variable."""

    expected = "a path or a postgresql:// URL"

    def check(self, value, path, c):
        if isinstance(value, str) and value.startswith(("postgresql://", "postgres://")):
            if re.match(r"postgres(ql)?://[^/@]*:[^/@]*@", value) or re.search(r"[?&]password=", value):
                return c.error(path, "the catalog's URL must not hold its password: use storage.catalog_passfile "
                                     "(a pgpass file) or storage.catalog_password_env, or ~/.pgpass")
            return value
        return super().check(value, path, c)


class Bilingual(Schema):
    """Text in Spanish and English: `{es: ..., en: ...}`, or one text used for both."""

    expected = Text("problem.expected.bilingual")

    def check(self, value, path, c):
        if isinstance(value, str):
            return {"es": value, "en": value}
        if not isinstance(value, dict):
            return self.wrong_type(value, path, c)
        return _BILINGUAL.check(value, path, c)


class List(Schema):
    def __init__(self, item: Schema, min_items: int = 0):
        self.item, self.min_items = item, min_items
        self.expected = Text("problem.expected.list", item=item.expected)

    def check(self, value, path, c):
        if isinstance(value, str) and isinstance(self.item, (Str, Enum)):
            value = [value]  # a single name is a list of one, as people write it
        if not isinstance(value, list):
            return self.wrong_type(value, path, c)
        if len(value) < self.min_items:
            return c.error(path, Text("problem.too_few_items", n=self.min_items))
        # Partly invalid lists come back with INVALID items, so later checks can still look at the rest.
        return [self.item.check(v, path + (i,), c) for i, v in enumerate(value)]


@dataclass
class Field:
    schema: Schema
    required: bool = False
    default: Any = None


# Keys that must never hold a secret, with what to write instead.
FORBIDDEN_KEYS = {
    "password": Text("problem.forbidden.password"),
    "passwd": Text("problem.forbidden.passwd"),
    "secret": Text("problem.forbidden.secret"),
}


class Mapping(Schema):
    expected = Text("problem.expected.mapping")

    def __init__(self, fields: dict[str, Field], extra_check: Callable[[dict, Path_, Checker], None] | None = None):
        self.fields = fields
        self.extra_check = extra_check

    def check(self, value, path, c):
        if not isinstance(value, dict):
            return self.wrong_type(value, path, c)
        # Invalid values come back as INVALID inside the mapping, so every problem is found in one pass.
        out: dict[str, Any] = {}
        for key in value:
            if key in self.fields:
                continue
            if key in FORBIDDEN_KEYS:
                c.error(path + (key,), FORBIDDEN_KEYS[key])
            else:
                c.error(path + (key,), Text("problem.unknown_key", key=key, hint=_suggest(key, self.fields)))
        for name, f in self.fields.items():
            if value.get(name) is None:
                if f.required:
                    c.error(path, Text("problem.missing_key", name=name, expected=f.schema.expected))
                out[name] = f.default() if callable(f.default) else f.default
                continue
            out[name] = f.schema.check(value[name], path + (name,), c)
        if self.extra_check:
            self.extra_check(out, path, c)
        return out


_BILINGUAL = Mapping({"es": Field(Str(), required=True), "en": Field(Str(), required=True)})


class AnyMapping(Schema):
    """A mapping whose keys are checked later, by a schema chosen from a sibling value."""

    expected = Text("problem.expected.mapping")

    def check(self, value, path, c):
        return value if isinstance(value, dict) else self.wrong_type(value, path, c)


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return Text("problem.did_you_mean", word=close[0]) if close else ""
