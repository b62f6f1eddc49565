"""The plain-text table of `dse-tui status`, in the command's language (its states and words; ids stay)."""

from __future__ import annotations

from datetime import datetime

from dse_tui.core.engine.schedule import RepoStatus, reason_text
from dse_tui.core.common.fmt import age, copies, size, until
from dse_tui.core.texts import tr

_COLORS = {"ok": "32", "due": "33", "never": "33", "overdue": "31;1", "failed": "31;1", "manual-required": "41;97"}
COLUMNS = ("id", "kind", "driver", "state", "last", "size", "next", "copies")
HOST_COLUMN = "host"  # shown when the profile names backup hosts


def host_of(s: RepoStatus) -> str | None:
    """The host that backs the repository up: the profile's, else the one that made its last attempt."""
    return s.repository.host or (s.last_attempt.host if s.last_attempt else None)


def render_table(items: list[RepoStatus], now: datetime, color: bool = False, lang: str = "en") -> str:
    # A site of one host (no repository names one) keeps its table as it was.
    hosts = any(s.repository.host for s in items)
    header = tuple(tr(f"status.col.{c}", lang) for c in COLUMNS + ((HOST_COLUMN,) if hosts else ()))
    rows = [(
        s.repository.id, tr(f"kind.{s.repository.kind}", lang), s.repository.driver, tr(f"status.state.{s.state}", lang),
        age(s.last_run_at, now, never=tr("never", lang)), size(s.size), until(s.next_due_at, now),
        copies(s.copies, s.repository.copies), *((host_of(s) or "-",) if hosts else ()),
    ) for s in items]
    if not rows:
        return tr("status.empty", lang)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    for row, s in zip(rows, items):
        cells = [str(c).ljust(w) for c, w in zip(row, widths)]
        if color:
            cells[3] = f"\x1b[{_COLORS[s.state]}m{cells[3]}\x1b[0m"
        line = "  ".join(cells).rstrip()
        reason = reason_text(s, lang, now)
        if reason and s.state != "never":
            line += f"  ({reason})"
        if s.running:
            line += "  " + tr("status.running", lang)
        lines.append(line)
    return "\n".join(lines)
