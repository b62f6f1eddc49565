"""Problems found in user input, reported all at once with file, line and key path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int | None
    key: str  # dotted key path, e.g. "repositories[2].source.path"; "" for the whole document
    message: object  # a str, or a Text read in the active language

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"


class ConfigError(Exception):
    """One or more problems in a profile or checklist; str() lists every one."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (str(p.file), p.line or 0, p.key))
        super().__init__(self.problems)

    def __str__(self) -> str:  # when read, not when raised: the reader's language may be set after loading
        return "\n".join(str(p) for p in self.problems)
