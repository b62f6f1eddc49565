"""The plain-text table of `dse-tui status`."""

from __future__ import annotations

from datetime import datetime

from dse_tui.core.engine.schedule import RepoStatus
from dse_tui.core.common.fmt import age, copies, size, until

_COLORS = {"ok": "32", "due": "33", "never": "33", "overdue": "31;1", "failed": "31;1", "manual-required": "41;97"}


def render_table(items: list[RepoStatus], now: datetime, color: bool = False) -> str:
    header = ("ID", "KIND", "DRIVER", "STATE", "LAST GOOD", "SIZE", "NEXT DUE", "COPIES")
    rows = [(
        s.repository.id, s.repository.kind, s.repository.driver, s.state,
        age(s.last_run_at, now), size(s.size), until(s.next_due_at, now),
        copies(s.copies, s.repository.copies),
    ) for s in items]
    if not rows:
        return "the profile has no repositories"
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    for row, s in zip(rows, items):
        cells = [str(c).ljust(w) for c, w in zip(row, widths)]
        if color:
            cells[3] = f"\x1b[{_COLORS[s.state]}m{cells[3]}\x1b[0m"
        line = "  ".join(cells).rstrip()
        if s.reason and s.state != "never":
            line += f"  ({s.reason})"
        if s.running:
            line += "  [running now]"
        lines.append(line)
    return "\n".join(lines)
