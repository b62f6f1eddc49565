"""`dse-tui status --prometheus`: the node-exporter textfile format (write it where the textfile collector
reads, e.g. /var/lib/prometheus/node-exporter/dse_tui.prom, through a temporary name)."""

from __future__ import annotations

STATES = ("ok", "due", "overdue", "never", "failed", "manual-required")


def _labels(s) -> str:
    def q(v: str) -> str:
        return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    r = s.repository
    return f'repository="{q(r.id)}",kind="{q(r.kind)}",driver="{q(r.driver)}"'


def render(statuses, site_id: str) -> str:
    out = []

    def metric(name: str, kind: str, help_: str, rows) -> None:
        out.append(f"# HELP dse_tui_{name} {help_}")
        out.append(f"# TYPE dse_tui_{name} {kind}")
        out.extend(f"dse_tui_{name}{{{labels}}} {value}" for labels, value in rows)

    metric("last_good_timestamp_seconds", "gauge", "Start time of the last good run (0: never).",
           [(_labels(s), int(s.last_good.started_at.timestamp()) if s.last_good else 0) for s in statuses])
    metric("last_good_size_bytes", "gauge", "Size of the last good run.",
           [(_labels(s), s.size or 0) for s in statuses])
    metric("copies", "gauge", "Verified copies of the last good run on distinct devices.",
           [(_labels(s), s.copies) for s in statuses])
    metric("copies_required", "gauge", "Copies the profile requires.",
           [(_labels(s), s.repository.copies) for s in statuses])
    metric("state", "gauge", "1 for the repository's current state.",
           [(f'{_labels(s)},state="{state}"', int(s.state == state)) for s in statuses for state in STATES])
    metric("info", "gauge", "The site this file describes.", [(f'site="{site_id}"', 1)])
    return "\n".join(out) + "\n"
