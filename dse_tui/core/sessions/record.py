"""A checklist session as a record (ISO 9001 4.2.4): who, when, each step's outcome, time, evidence, notes,
skips and commands, and the run that registered what it produced. As JSON (stable keys) and Markdown."""

from __future__ import annotations

from dse_tui.core.catalog import Catalog
from dse_tui.core.catalog.lifecycle import StepOutcome
from dse_tui.core.catalog.sessions import SessionRow
from dse_tui.core.common.timeutil import iso
from dse_tui.core.texts import has, tr

RECORD_FORMAT = "dse-tui-session/1"


def record(catalog: Catalog, row: SessionRow) -> dict:
    """The session as plain data (the JSON export)."""
    steps = []
    for n, s in enumerate(row.steps, 1):
        st = row.step_rows.get(s["id"])
        steps.append({
            "n": n, "id": s["id"], "text": s["text"], "required": s["required"], "command": s["command"],
            "evidence_prompt": s["evidence"], "outcome": st.outcome if st else StepOutcome.PENDING,
            "at": iso(st.at) if st and st.at and st.outcome != StepOutcome.PENDING else None,
            "operator": st.operator if st else None, "evidence": st.evidence if st else None,
            "note": st.note if st else None, "reason": st.reason if st else None,
            "exit_status": st.exit_status if st else None, "output": st.output if st else None,
        })
    runs = [{"run_id": r.id, "state": r.state, "started_at": iso(r.started_at), "size": r.size,
             "sha256": r.sha256, "artifact": r.artifact} for r in catalog.session_runs(row.id)]
    done = sum(s["outcome"] != StepOutcome.PENDING for s in steps)
    return {
        "format": RECORD_FORMAT, "id": row.id, "repository": row.repository, "checklist": row.checklist,
        "title": row.title, "operator": row.operator, "started_at": iso(row.started_at),
        "ended_at": iso(row.ended_at) if row.ended_at else None, "state": row.state, "reason": row.reason,
        "progress": {"dealt_with": done, "steps": len(steps)}, "steps": steps, "runs": runs,
    }


def markdown(data: dict, lang: str = "en", *, outputs: bool = True) -> str:
    """The record for people: a heading, the facts, one section per step."""
    def w(key: str) -> str:
        return tr(key, lang)

    def state(value: str) -> str:  # a state or outcome, as stored
        return tr(f"record.{value}", lang) if has(f"record.{value}") else value

    title = data["title"].get(lang) or data["title"].get("en") or data["checklist"]
    lines = [f"# {w('record.session')} {data['id']}: {data['repository']}", "", f"**{title}** ({data['checklist']}, "
             "ITR 7.5 DSE 01)", "",
             f"- {w('record.operator')}: {data['operator']}",
             f"- {w('record.started')}: {data['started_at']}",
             f"- {w('record.ended')}: {data['ended_at'] or '—'}",
             f"- {w('record.state')}: {state(data['state'])}"]
    if data["reason"]:
        lines.append(f"- {w('record.reason')}: {data['reason']}")
    lines.append(f"- {w('record.progress')}: {data['progress']['dealt_with']}/{data['progress']['steps']}")
    lines += ["", f"## {w('record.steps')}", ""]
    for s in data["steps"]:
        box = {StepOutcome.DONE: "[x]", StepOutcome.SKIPPED: "[-]"}.get(s["outcome"], "[ ]")
        need = w("record.required") if s["required"] else w("record.optional")
        text = s["text"].get(lang) or s["text"].get("en")
        lines.append(f"### {s['n']}. {box} {text}")
        lines.append("")
        facts = [f"{w('record.outcome')}: {state(s['outcome'])} ({need})"]
        if s["at"]:
            facts.append(f"{w('record.at')}: {s['at']}" + (f", {w('record.by')} {s['operator']}" if s["operator"] else ""))
        if s["reason"]:
            facts.append(f"{w('record.skipped_because')}: {s['reason']}")
        if s["evidence"]:
            prompt = (s["evidence_prompt"] or {}).get(lang) or w("record.evidence")
            facts.append(f"{w('record.evidence')} ({prompt}): **{s['evidence']}**")
        if s["note"]:
            facts.append(f"{w('record.note')}: {s['note']}")
        if s["command"]:
            ran = f" ({w('record.exit')} {s['exit_status']})" if s["exit_status"] is not None else ""
            facts.append(f"{w('record.command')}{ran}: `{s['command']}`")
        lines += [f"- {f}" for f in facts]
        if outputs and s["output"]:
            fence = "````" if "```" in s["output"] else "```"
            lines += ["", f"{w('record.output')}:", "", fence, s["output"].rstrip("\n"), fence]
        lines.append("")
    lines += [f"## {w('record.runs')}", ""]
    if not data["runs"]:
        lines.append(w("record.none"))
    for r in data["runs"]:
        lines.append("- " + tr("record.run_line", lang, run=r["run_id"], state=state(r["state"]), at=r["started_at"],
                                size=r["size"], sha=(r["sha256"] or "")[:16]))
    return "\n".join(lines) + "\n"
