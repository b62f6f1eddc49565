"""The auditor's report for a period (ISO 9001 4.2.4, procedure PRO 7.5 DSE 02): per repository every run
with its verification, its copies (medium code and location), the labels printed, the manual sessions with
their steps, and the gaps: periods with no good backup and days it was overdue. As Markdown, CSV or PDF."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dse_tui.core.catalog import Catalog
from dse_tui.core.catalog.lifecycle import CopyState, RunState, StepOutcome
from dse_tui.core.engine.schedule import MISSING, period_strip
from dse_tui.core.common.fmt import size as fmt_size
from dse_tui.core.texts import default_language, tr
from dse_tui.core.texts import word as stored_word


@dataclass
class RepoReport:
    id: str
    name: str
    periodicity: str
    runs: list[dict] = field(default_factory=list)
    sessions: list[dict] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)
    gaps: list[dict] = field(default_factory=list)  # periods with no good run: start, end, outcome (GAPS)
    overdue_days: list[str] = field(default_factory=list)

    @property
    def good(self) -> int:
        return sum(r["state"] == RunState.GOOD for r in self.runs)

    @property
    def failed(self) -> int:
        return sum(r["state"] == RunState.FAILED for r in self.runs)

    @property
    def cancelled(self) -> int:
        """Stopped by the operator or a shutdown: neither a backup nor a failure of one."""
        return sum(r["state"] == RunState.CANCELLED for r in self.runs)

    def summary_row(self) -> list[str]:
        return [self.id, *map(str, (len(self.runs), self.good, self.failed, self.cancelled, len(self.gaps),
                                    len(self.overdue_days), len(self.sessions)))]


# What a period with no good run had instead: none at all, a failed one, or only cancelled ones.
GAPS = (MISSING, RunState.FAILED, RunState.CANCELLED)
SUMMARY_COLUMNS = ["Repository", "Runs", "Good", "Failed", "Cancelled", "Gaps", "Overdue days", "Sessions"]
_SUMMARY_KEYS = ("report.col.repository", "report.col.runs", "report.col.good", "report.col.failed",
                 "report.col.cancelled", "report.col.gaps", "report.col.overdue", "report.col.sessions")


def summary_columns(lang: str) -> list[str]:
    return [tr(key, lang) for key in _SUMMARY_KEYS]


@dataclass
class Report:
    site: str
    department: str
    start: datetime
    end: datetime
    repos: list[RepoReport]
    lang: str = "en"  # of the Markdown and the PDF; the CSV's values are the catalog's own


def build(profile, catalog: Catalog, start: datetime, end: datetime, repo_ids: list[str] | None = None,
          now: datetime | None = None) -> Report:
    """`end` is exclusive; gaps and overdue days are counted up to `now` (what has not happened yet is no gap)."""
    from dse_tui.core.common.timeutil import utcnow

    now = now or utcnow()
    out = []
    label_events = list(catalog.events(1_000_000, action="label printed", since=start, until=end))
    for repo in profile.repositories:
        if repo_ids and repo.id not in repo_ids:
            continue
        rr = RepoReport(repo.id, repo.name, repo.periodicity.text)
        runs = catalog.runs_between(repo.id, start, end)
        verifications = catalog.last_verifications([r.id for r in runs])
        codes_of_run: dict[int, list[str]] = {}
        for run in runs:
            copies = []
            for c in catalog.copies_of(run.id):
                media = [catalog.medium(cm.medium_id) for cm in catalog.copy_media(c.id)]
                codes_of_run.setdefault(run.id, []).extend(m.code for m in media)
                copies.append({"destination": c.destination, "state": _copy_state(c.state, media), "path": c.path,
                               "media": [{"code": m.code, "location": m.location, "state": m.state} for m in media]})
            v = verifications.get(run.id)
            rr.runs.append({"run_id": run.id, "started_at": run.started_at.isoformat(),
                            "ended_at": run.ended_at.isoformat() if run.ended_at else None, "state": run.state,
                            "trigger": run.trigger, "operator": run.operator, "size": run.size,
                            "sha256": run.sha256, "message": run.message,
                            "verification": {"level": v.level, "outcome": v.outcome, "message": v.message}
                            if v else None, "copies": copies})
        codes = {code for cs in codes_of_run.values() for code in cs}
        rr.labels = [{"at": e["at"], "operator": e["operator"], "detail": json.loads(e["detail"] or "{}")}
                     for e in label_events if codes & set(json.loads(e["detail"] or "{}").get("codes", []))]
        for s in catalog.sessions(repo.id):
            if start <= s.started_at < end:
                full = catalog.session(s.id)
                steps = [{"id": st["id"], "outcome": (full.step_rows.get(st["id"]).outcome
                                                       if st["id"] in full.step_rows else StepOutcome.PENDING)}
                         for st in full.steps]
                rr.sessions.append({"session_id": s.id, "operator": s.operator, "state": s.state,
                                    "started_at": s.started_at.isoformat(),
                                    "ended_at": s.ended_at.isoformat() if s.ended_at else None, "reason": s.reason,
                                    "steps": steps, "runs": [r.id for r in catalog.session_runs(s.id)]})
        rr.gaps, rr.overdue_days = _gaps(repo, catalog, start, min(end, now))
        out.append(rr)
    return Report(profile.site.name, profile.site.department, start, end, out, default_language(profile.site.language))


def _copy_state(state: str, media) -> str:
    """A verified copy on a medium since destroyed or expired is gone, and says which: it no longer counts
    as a distinct device (the catalog's counts already leave it out)."""
    from dse_tui.core.catalog.lifecycle import ERASING

    gone = [m for m in media if m.state in ERASING]
    if state == CopyState.VERIFIED and gone:
        return "gone (" + ", ".join(f"{m.code} {m.state}" for m in gone) + ")"
    return state


def _covered(period, runs) -> bool:
    """A failed or cancelled period whose manual backup (procedure 4.2.1) was made and verified good before
    the next period ended: the procedure was followed, it is no gap."""
    if period.outcome not in (RunState.FAILED, RunState.CANCELLED):
        return False
    until = period.end + (period.end - period.start)
    return any(r.state == RunState.GOOD and r.trigger == "manual" and period.start <= r.started_at < until for r in runs)


def _gaps(repo, catalog: Catalog, start: datetime, end: datetime) -> tuple[list[dict], list[str]]:
    first = catalog.first_run_at(repo.id)
    if repo.periodicity.interval is not None and first is not None:
        # Periods of an interval counted from the repository's first run: the same whatever --from says.
        k = (start - first) // repo.periodicity.interval
        bounds = [first + repo.periodicity.interval * (k if start >= first else min(k, -1))]
    else:
        bounds = [repo.periodicity.previous_before(start)]
    while bounds[-1] < end and len(bounds) < 20000:
        bounds.append(repo.periodicity.next_after(bounds[-1]))
    bounds = [b for b in bounds if b <= end] or bounds[:1]  # a period still open at `end` is not a gap yet
    runs = catalog.runs_since(repo.id, bounds[0])
    gaps = [{"start": p.start.isoformat(), "end": p.end.isoformat(), "outcome": p.outcome}
            for p in period_strip(bounds, runs, first)
            if p.outcome in GAPS and p.end > start and p.start < end
            and not _covered(p, runs)]
    good = sorted(r.started_at for r in runs if r.state == RunState.GOOD)
    earlier = catalog.last_good_before(repo.id, bounds[0])
    if earlier:
        good = [earlier] + good
    overdue = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        moment = min(day + timedelta(days=1), end)
        last = max((g for g in good if g <= moment), default=None)
        due = repo.periodicity.next_after(last) if last else (first or start)
        if (last is not None or first is not None) and moment > due + repo.grace:
            overdue.append(day.date().isoformat())
        day += timedelta(days=1)
    return gaps, overdue


# ---------------------------------------------------------------------- formats

def _period(r: Report) -> str:
    return tr("report.period", r.lang, start=f"{r.start:%Y-%m-%d}", end=f"{r.end - timedelta(days=1):%Y-%m-%d}")


def to_markdown(r: Report) -> str:
    def t(key: str, **values) -> str:
        return tr(key, r.lang, **values)

    def word(prefix: str, value: str) -> str:  # a stored state, in words (one the texts lack stays as stored)
        return stored_word(prefix, value, r.lang)

    columns = summary_columns(r.lang)
    none = t("report.none")
    lines = [f"# {t('report.title')}: {r.site}", "", f"{r.department}  ", _period(r),
             "", f"## {t('report.summary')}", "", "| " + " | ".join(c.lower() for c in columns) + " |",
             "|" + "---|" * len(columns)]
    for rr in r.repos:
        lines.append("| " + " | ".join(rr.summary_row()) + " |")
    for rr in r.repos:
        lines += ["", f"## {rr.name} ({rr.id})", "", f"### {t('report.runs')}", ""]
        for run in rr.runs:
            v = run["verification"]
            copies = "; ".join(f"{c['destination']} {word('copystate', c['state'])}" + "".join(
                f" [{m['code']} @ {m['location'] or '-'}]" for m in c["media"]) for c in run["copies"])
            verification = f"{word('level', v['level'])} {word('outcome', v['outcome'])}" if v else none
            lines.append("- " + t("report.run", run=run["run_id"], at=run["started_at"][:16],
                                  state=word("run", run["state"]), trigger=word("trigger", run["trigger"]),
                                  operator=run["operator"], size=fmt_size(run["size"] or 0),
                                  verification=verification, copies=copies or t("report.no_copies")))
        if not rr.runs:
            lines.append(t("report.no_runs"))
        lines += ["", f"### {t('report.gaps')}", ""]
        lines += ["- " + t("report.gap", start=g["start"][:16], end=g["end"][:16], outcome=word("gap", g["outcome"]))
                  for g in rr.gaps] or [none]
        lines.append("- " + t("report.overdue_days", days=", ".join(rr.overdue_days) or none))
        lines += ["", f"### {t('report.sessions')}", ""]
        lines += ["- " + t("report.session", id=s["session_id"], at=s["started_at"][:16],
                           state=word("record", s["state"]), operator=s["operator"],
                           steps=", ".join(f"{st['id']} {word('record', st['outcome'])}" for st in s["steps"]))
                  + ("; " + t("report.session_runs", runs=", ".join(map(str, s["runs"]))) if s["runs"] else "")
                  + ("; " + t("report.reason", reason=s["reason"]) if s["reason"] else "") for s in rr.sessions] or [none]
        lines += ["", f"### {t('report.labels')}", ""]
        lines += [f"- {e['at'][:16]} {e['operator']}: {', '.join(e['detail'].get('codes', []))} "
                  + t("report.job", job=e["detail"].get("job")) for e in rr.labels] or [none]
    return "\n".join(lines) + "\n"


def to_csv(r: Report) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["repository", "record", "id", "start", "end", "state", "detail"])
    for rr in r.repos:
        for run in rr.runs:
            v = run["verification"]
            w.writerow([rr.id, "run", run["run_id"], run["started_at"], run["ended_at"] or "", run["state"],
                        f"verification {v['level']} {v['outcome']}" if v else "not verified"])
            for c in run["copies"]:
                w.writerow([rr.id, "copy", run["run_id"], "", "", c["state"],
                            f"{c['destination']} " + " ".join(f"{m['code']}@{m['location'] or '-'}" for m in c["media"])])
        for g in rr.gaps:
            w.writerow([rr.id, "gap", "", g["start"], g["end"], g["outcome"], ""])
        for d in rr.overdue_days:
            w.writerow([rr.id, "overdue", "", d, "", "overdue", ""])
        for s in rr.sessions:
            w.writerow([rr.id, "session", s["session_id"], s["started_at"], s["ended_at"] or "", s["state"],
                        " ".join(f"{st['id']}:{st['outcome']}" for st in s["steps"])])
        for e in rr.labels:
            w.writerow([rr.id, "label", e["detail"].get("job", ""), e["at"], "", "printed",
                        " ".join(e["detail"].get("codes", []))])
    return buf.getvalue()


def to_pdf(r: Report) -> bytes:
    """A4, for paper: a title page with the site and period, the summary table, then the details."""
    from fpdf import FPDF

    from dse_tui.core.common.pdfdraw import use_font

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    font = use_font(pdf, "doc", "DejaVuSans")
    pdf.add_page()
    pdf.set_font(font, "B", 22)
    pdf.ln(60)
    down = {"new_x": "LMARGIN", "new_y": "NEXT", "align": "C"}
    pdf.multi_cell(0, 12, tr("report.title", r.lang), **down)
    pdf.set_font(font, "", 14)
    pdf.multi_cell(0, 8, f"{r.site}\n{r.department}", **down)
    pdf.ln(8)
    pdf.multi_cell(0, 8, _period(r), **down)
    pdf.multi_cell(0, 8, "Procedure PRO 7.5 DSE 02 · ITR 7.5 DSE 01", **down)
    pdf.add_page()
    pdf.set_font(font, "B", 14)
    pdf.cell(0, 10, tr("report.summary", r.lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, "", 9)
    with pdf.table(col_widths=(40, 13, 13, 13, 18, 13, 22, 18), text_align="LEFT") as table:
        table.row(summary_columns(r.lang))
        for rr in r.repos:
            table.row(rr.summary_row())
    pdf.add_page()
    pdf.set_font(font, "B", 14)
    pdf.cell(0, 10, tr("report.details", r.lang), new_x="LMARGIN", new_y="NEXT")
    details = to_markdown(r).split(f"## {tr('report.summary', r.lang)}", 1)[1].splitlines()
    first_repo = next(i for i, line in enumerate(details) if line.startswith("## ")) if r.repos else len(details)
    for line in details[first_repo:]:
        if line.startswith("## "):
            pdf.set_font(font, "B", 12)
            pdf.multi_cell(0, 7, line[3:], new_x="LMARGIN", new_y="NEXT")
        elif line.startswith("### "):
            pdf.set_font(font, "B", 10)
            pdf.multi_cell(0, 6, line[4:], new_x="LMARGIN", new_y="NEXT")
        elif line.strip():
            pdf.set_font(font, "", 8)
            pdf.multi_cell(0, 4.5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
