"""The console's texts live in dse_tui/core/texts/ (en.py, es.py), one home per language; this module
re-exports its lookup for the UI, and TEXTS ({key: {lang: text}}) for the code that checks both languages."""

from __future__ import annotations

from dse_tui.core.texts import CATALOGS, LANGUAGES, default_language, tr

__all__ = ["LANGUAGES", "TEXTS", "default_language", "tr"]

TEXTS: dict[str, dict[str, str]] = {key: {lang: CATALOGS[lang].get(key, text) for lang in LANGUAGES}
                                    for key, text in CATALOGS["en"].items()}
