"""Every text a person reads, one module per language (en.py, es.py: key -> text, grouped by comments), and
the one lookup: tr(key, lang, **values). Keys are English identifiers; a missing key shows itself, a key
missing in one language falls back to English (tests/test_texts.py fails on either, and on a key no code
uses).

A plural text is {"one": ..., "other": ...}; the value `n` picks the form (tr("problem.count", lang, n=2)).
Machine output (--json, metrics, the catalog's stored values) never goes through here."""

from __future__ import annotations

import locale
import os

from dse_tui.core.texts import en, es

LANGUAGES = ("es", "en")
CATALOGS: dict[str, dict[str, str | dict[str, str]]] = {"en": en.TEXTS, "es": es.TEXTS}


def _entry(key: str, lang: str):
    for catalog in (CATALOGS.get(lang), CATALOGS["en"]):
        if catalog is not None and key in catalog:
            return catalog[key]
    return None


def tr(key: str, lang: str, **values) -> str:
    """The text of `key` in `lang`, formatted with `values`; a plural text takes its form from `n`."""
    text = _entry(key, lang)
    if text is None:
        return key
    if isinstance(text, dict):
        text = text["one" if str(values.get("n")) == "1" else "other"]  # "1" too: a value escaped for markup
    return text.format(**values) if values else text


def has(key: str) -> bool:
    return _entry(key, "en") is not None


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
