"""The console's texts: moved to dse_tui/core/texts/ (en.py, es.py), one home per language; this module
re-exports its lookup for the UI. TEXTS below and in i18n_runs/_sessions/_media.py are the old place: a
text still added there works (in the {"en": ..., "es": ...} form) but belongs in core/texts."""

from __future__ import annotations

from dse_tui.core.texts import CATALOGS, LANGUAGES, default_language, register, tr

__all__ = ["LANGUAGES", "TEXTS", "default_language", "tr"]

TEXTS: dict[str, dict[str, str]] = {
}

from dse_tui.i18n_runs import TEXTS as _RUNS_TEXTS  # noqa: E402
from dse_tui.i18n_sessions import TEXTS as _SESSION_TEXTS  # noqa: E402
from dse_tui.i18n_media import TEXTS as _MEDIA_TEXTS  # noqa: E402
from dse_tui.i18n_browse import TEXTS as _BROWSE_TEXTS  # noqa: E402

for _part in (TEXTS, _RUNS_TEXTS, _SESSION_TEXTS, _MEDIA_TEXTS, _BROWSE_TEXTS):
    assert not CATALOGS["en"].keys() & _part.keys(), "a text key in dse_tui/i18n*.py and in core/texts"
    register(_part)
# What was TEXTS for code that reads it ({key: {lang: text}}): the catalogs, then the old entries.
TEXTS.update({key: {lang: CATALOGS[lang].get(key, text) for lang in LANGUAGES}
              for key, text in CATALOGS["en"].items()})
for _part in (_RUNS_TEXTS, _SESSION_TEXTS, _MEDIA_TEXTS, _BROWSE_TEXTS):
    TEXTS.update(_part)
