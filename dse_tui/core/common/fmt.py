"""Human formatting of times and sizes, shared by the CLI and the TUI (English and Spanish)."""

from __future__ import annotations

from datetime import datetime

import humanize

_activated: str | None = None


def set_language(lang: str) -> None:
    """The language of what the process says: the core's texts (texts.activate) and humanize's own
    translations ('en' is its default)."""
    global _activated
    from dse_tui.core.texts import activate

    activate(lang)
    if lang == _activated:
        return
    if lang == "en":
        humanize.i18n.deactivate()
    else:
        try:
            humanize.i18n.activate("es_ES")
        except FileNotFoundError:  # humanize built without locales: English is better than a crash
            humanize.i18n.deactivate()
    _activated = lang


def age(moment: datetime | None, now: datetime, never: str = "never") -> str:
    if moment is None:
        return never
    return humanize.naturaltime(now - moment)


def until(moment: datetime | None, now: datetime, none: str = "-") -> str:
    """"in 5 hours" for a time to come, "2 hours ago" for one gone (humanize reads a negative delta
    as the future)."""
    return none if moment is None else humanize.naturaltime(now - moment)


def size(value: int | None) -> str:
    return "-" if value is None else humanize.naturalsize(value, binary=True)


def copies(have: int, need: int) -> str:
    """Verified copies on distinct devices against those required: "1/2", "2/2", and "2/2 +1" for a
    copy beyond the requirement (never "3/2", which reads as more than whole)."""
    if have <= need:
        return f"{have}/{need}"
    return f"{need}/{need} +{have - need}"
