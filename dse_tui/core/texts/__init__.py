"""Every text a person reads, one module per language (en.py, es.py: key -> text, grouped by comments), and
the one lookup: tr(key, lang, **values). Keys are English identifiers; a missing key shows itself, a key
missing in one language falls back to English (tests/test_texts.py fails on either, and on a key no code
uses).

A plural text is {"one": ..., "other": ...}; the value `n` picks the form (tr("problem.count", lang, n=2)).
Machine output (--json's keys and states, metrics, the catalog's states and tokens) never goes through here.
The words the core says are another matter: a run's message, a manual-required reason, a verification's
check details and an event's detail are stored as they were said, in the language of the command or console
that said them (keys and values kept instead, said at display, would let each reader have their own; not
done yet).

Each language's texts are a few modules, one per area: <lang>.py (the console) and <lang>_records.py (labels
and manifests, the headless commands' lines, mails, the report) and <lang>_core.py (what the core says:
errors, profile problems, check lines, prune reasons) and <lang>_copy.py
(copies onto devices, the media inventory, printing, manifests) and <lang>_backup.py (drivers' failures,
advice on a tool's error, registering a manual backup) and <lang>_verify.py (a verification's checks beyond
the generic ones: the drivers', the files' comparison, the verification's own failures, the site's rules)
and <lang>_cli.py (the command line's --help and argparse's own words).

The core says things before anyone knows who reads them (an exception raised deep in a restore, a profile
problem): it builds a Text (or raises a Told) holding a key and its values, and str() of it speaks the
active language, which the CLI and the console set (activate(), called by fmt.set_language)."""

from __future__ import annotations

import locale
import os

from dse_tui.core.texts import (en, en_backup, en_cli, en_copy, en_core, en_records, en_verify, es, es_backup,
                                es_cli, es_copy, es_core, es_records, es_verify)

LANGUAGES = ("es", "en")
MODULES = {"en": (en, en_records, en_core, en_copy, en_backup, en_verify, en_cli),
           "es": (es, es_records, es_core, es_copy, es_backup, es_verify, es_cli)}
CATALOGS: dict[str, dict[str, str | dict[str, str]]] = {
    lang: {key: text for module in modules for key, text in module.TEXTS.items()} for lang, modules in MODULES.items()
}
_active = "en"


def _entry(key: str, lang: str):
    for catalog in (CATALOGS.get(lang), CATALOGS["en"]):
        if catalog is not None and key in catalog:
            return catalog[key]
    return None


def tr(key: str, lang: str, /, **values) -> str:
    """The text of `key` in `lang`, formatted with `values`; a plural text takes its form from `n`."""
    text = _entry(key, lang)
    if text is None:
        return key
    if isinstance(text, dict):
        text = text["one" if str(values.get("n")) == "1" else "other"]  # "1" too: a value escaped for markup
    return text.format(**values) if values else text


def has(key: str) -> bool:
    return _entry(key, "en") is not None


def word(prefix: str, value: str | None, lang: str) -> str:
    """A value the catalog stores (a state, a trigger) in words: `prefix.value` in `lang`, or the value as
    stored when the texts lack it (one written by a newer version)."""
    return tr(f"{prefix}.{value}", lang) if value and has(f"{prefix}.{value}") else (value or "")


def check_name(name: str, lang: str) -> str:
    """A check's name as stored ("archive www-main.tar.zst", "event chain catalog.sqlite.zst") in `lang`:
    its longest first words that are a `checkname.` key translated, the rest (a part, a database) as it is."""
    words = name.split(" ")
    for n in range(min(len(words), 4), 0, -1):
        head = " ".join(words[:n])
        if has(f"checkname.{head}"):
            return " ".join([tr(f"checkname.{head}", lang), *words[n:]])
    return name


def default_language(profile_language: str | None = None) -> str:
    """The profile's language, else the user's locale (LC_ALL, LC_MESSAGES, LANG), else English."""
    if profile_language in LANGUAGES:
        return profile_language
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "es" if value.lower().startswith("es") else "en"
    try:
        code = locale.getlocale()[0] or ""
    except ValueError:
        code = ""
    return "es" if code.lower().startswith("es") else "en"


def activate(lang: str) -> None:
    """The language str() of a Text or a Told speaks from now on (the process has one reader)."""
    global _active
    _active = lang if lang in LANGUAGES else "en"


def active() -> str:
    return _active


def said(key: str, /, **values) -> str:
    """The text `key` in the active language: for core code that returns a line a person reads."""
    return tr(key, _active, **values)


class Text:
    """A text the core says, kept as its key and values until it is read: str() in the active language,
    in(lang) in any; equal Texts compare equal. A key the catalogs lack is shown as it is (a plain message)."""

    __slots__ = ("key", "values")

    def __init__(self, key: str, /, **values):
        self.key, self.values = key, values

    def in_(self, lang: str) -> str:
        if not has(self.key):
            return str(self.key)
        values = {k: v.in_(lang) if isinstance(v, (Text, Told)) else v for k, v in self.values.items()}
        return tr(self.key, lang, **values)

    def __str__(self) -> str:
        return self.in_(_active)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __contains__(self, part: str) -> bool:
        return part in str(self)

    def __getattr__(self, name: str):  # it reads as a str where one was expected (.replace, .startswith…)
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(str(self), name)

    def __repr__(self) -> str:
        return f"Text({self.key!r}, **{self.values!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Text) and (self.key, self.values) == (other.key, other.values)

    def __hash__(self) -> int:
        return hash(self.key)

    def __add__(self, other) -> str:
        return str(self) + str(other)

    def __radd__(self, other) -> str:
        return str(other) + str(self)


def _remake(cls, key, values):
    told = cls.__new__(cls)
    Told.__init__(told, key, **values)
    return told


class Told(Exception):
    """An error a person reads: a text key and its values (raise RestoreError("restore.refused.x", run=3)),
    str() in the active language; a plain message (no such key) still works and is shown as it is."""

    def __init__(self, key: str | Text = "", /, *more, **values):
        if isinstance(key, Text):  # raise BackupError(a Text said elsewhere)
            key, values = key.key, {**key.values, **values}
        super().__init__(key, *more)
        self.key, self.values = key, values

    def in_(self, lang: str) -> str:
        if len(self.args) > 1:  # raised the old way with several arguments: shown as Exception shows them
            return Exception.__str__(self)
        return Text(self.key, **self.values).in_(lang)

    def __str__(self) -> str:
        return self.in_(_active)

    def __reduce__(self):  # across a process boundary the values come along
        return _remake, (type(self), self.key, self.values)
