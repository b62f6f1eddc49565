"""Durations (`6h`, `1d12h`, `1w`), sizes (`500M`, `2G`) and periodicities (a duration or a cron line)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from dse_tui.core.texts import Text

_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_DURATION = timedelta(days=5 * 366)  # far beyond any backup schedule; keeps date arithmetic in range
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_duration(text: str) -> timedelta:
    """`90m`, `6h`, `1d12h`, `2w` -> timedelta. Raises ValueError with what was expected."""
    compact = str(text).strip().lower().replace(" ", "")
    if not compact or _DURATION.sub("", compact):
        raise ValueError(Text("problem.not_duration", text=text))
    seconds = sum(int(n) * _UNITS[u] for n, u in _DURATION.findall(compact))
    if seconds <= 0:
        raise ValueError(Text("problem.zero_duration", text=text))
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(Text("problem.long_duration", text=text))
    return timedelta(seconds=seconds)


def parse_size(text: str | int) -> int:
    """`500M`, `2G`, `1.5GiB`, 1024 -> bytes (binary units)."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    match = _SIZE.match(str(text))
    if not match:
        raise ValueError(Text("problem.not_size", text=text))
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).upper()])


@dataclass(frozen=True)
class Periodicity:
    """How often a repository is backed up: a fixed interval or a cron expression."""

    text: str
    interval: timedelta | None = None
    cron: str | None = None

    @classmethod
    def parse(cls, text: str) -> Periodicity:
        text = str(text).strip()
        if len(text.split()) == 5:
            from croniter import croniter  # only sites that use cron lines pay for the import

            if not croniter.is_valid(text):
                raise ValueError(Text("problem.bad_cron", text=text))
            try:  # valid syntax can still name a day that never comes (31 February)
                croniter(text).get_next(datetime)
            except Exception:
                raise ValueError(Text("problem.cron_never", text=text)) from None
            return cls(text, cron=text)
        try:
            return cls(text, interval=parse_duration(text))
        except ValueError:
            raise ValueError(Text("problem.not_periodicity", text=text)) from None

    def next_after(self, moment: datetime) -> datetime:
        if self.interval is not None:
            return moment + self.interval
        from croniter import croniter

        # Cron lines are written in the console's local time, as crontab reads them.
        return croniter(self.cron, moment.astimezone()).get_next(datetime)

    def previous_before(self, moment: datetime) -> datetime:
        if self.interval is not None:
            return moment - self.interval
        from croniter import croniter

        return croniter(self.cron, moment.astimezone()).get_prev(datetime)
