"""Durations (`6h`, `1d12h`, `1w`), sizes (`500M`, `2G`) and periodicities (a duration or a cron line)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_DURATION = timedelta(days=5 * 366)  # far beyond any backup schedule; keeps date arithmetic in range
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_duration(text: str) -> timedelta:
    """`90m`, `6h`, `1d12h`, `2w` -> timedelta. Raises ValueError with what was expected."""
    compact = str(text).strip().lower().replace(" ", "")
    if not compact or _DURATION.sub("", compact):
        raise ValueError(f"'{text}' is not a duration; expected e.g. 30m, 6h, 1d, 1d12h, 1w")
    seconds = sum(int(n) * _UNITS[u] for n, u in _DURATION.findall(compact))
    if seconds <= 0:
        raise ValueError(f"'{text}' must be longer than zero")
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"'{text}' is longer than five years")
    return timedelta(seconds=seconds)


def parse_size(text: str | int) -> int:
    """`500M`, `2G`, `1.5GiB`, 1024 -> bytes (binary units)."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    match = _SIZE.match(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a size; expected e.g. 500M, 2G, 1T")
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
                raise ValueError(f"'{text}' is not a valid cron expression (minute hour day month weekday)")
            try:  # valid syntax can still name a day that never comes (31 February)
                croniter(text).get_next(datetime)
            except Exception:
                raise ValueError(f"'{text}' never fires: no date matches it") from None
            return cls(text, cron=text)
        try:
            return cls(text, interval=parse_duration(text))
        except ValueError:
            raise ValueError(
                f"'{text}' is not a periodicity; expected a duration (6h, 1d, 1w) "
                "or a cron expression ('0 2 * * *')"
            ) from None

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
