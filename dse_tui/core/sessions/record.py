"""A checklist session as a record (ISO 9001 4.2.4): who, when, each step's outcome, time, evidence, notes,
skips and commands, and the run that registered what it produced. As JSON (stable keys) and Markdown."""

from __future__ import annotations

from dse_tui.core.catalog import Catalog
from dse_tui.core.catalog.lifecycle import StepOutcome
from dse_tui.core.catalog.sessions import SessionRow
from dse_tui.core.common.timeutil import iso

RECORD_FORMAT = "dse-tui-session/1"

_WORDS = {
    "en": {"session": "Manual-backup session", "repository": "Repository", "checklist": "Checklist",
           "operator": "Operator", "started": "Started", "ended": "Ended", "state": "State", "reason": "Reason",
           "steps": "Steps", "step": "Step", "outcome": "Outcome", "at": "At", "by": "By", "evidence": "Evidence",
           "note": "Note", "skipped because": "Skipped because", "command": "Command", "exit": "exit status",
           "runs": "Registered runs", "none": "none", "required": "required", "optional": "optional",
           "done": "done", "skipped": "skipped", "pending": "not done", "open": "open",
           "finished": "finished", "abandoned": "abandoned", "progress": "Progress", "output": "Output"},
    "es": {"session": "Sesión de respaldo manual", "repository": "Repositorio", "checklist": "Lista",
           "operator": "Operador", "started": "Inicio", "ended": "Fin", "state": "Estado", "reason": "Motivo",
           "steps": "Pasos", "step": "Paso", "outcome": "Resultado", "at": "Hora", "by": "Por",
           "evidence": "Evidencia", "note": "Nota", "skipped because": "Omitido porque", "command": "Orden",
           "exit": "código de salida", "runs": "Ejecuciones registradas", "none": "ninguna",
           "required": "obligatorio", "optional": "opcional", "done": "hecho", "skipped": "omitido",
           "pending": "sin hacer", "open": "abierta", "finished": "terminada", "abandoned": "abandonada",
           "progress": "Progreso", "output": "Salida"},
}


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
    w = _WORDS[lang]
    title = data["title"].get(lang) or data["title"].get("en") or data["checklist"]
    lines = [f"# {w['session']} {data['id']}: {data['repository']}", "", f"**{title}** ({data['checklist']}, "
             "ITR 7.5 DSE 01)", "",
             f"- {w['operator']}: {data['operator']}",
             f"- {w['started']}: {data['started_at']}",
             f"- {w['ended']}: {data['ended_at'] or '—'}",
             f"- {w['state']}: {w.get(data['state'], data['state'])}"]
    if data["reason"]:
        lines.append(f"- {w['reason']}: {data['reason']}")
    lines.append(f"- {w['progress']}: {data['progress']['dealt_with']}/{data['progress']['steps']}")
    lines += ["", f"## {w['steps']}", ""]
    for s in data["steps"]:
        box = {StepOutcome.DONE: "[x]", StepOutcome.SKIPPED: "[-]"}.get(s["outcome"], "[ ]")
        need = w["required"] if s["required"] else w["optional"]
        text = s["text"].get(lang) or s["text"].get("en")
        lines.append(f"### {s['n']}. {box} {text}")
        lines.append("")
        facts = [f"{w['outcome']}: {w.get(s['outcome'], s['outcome'])} ({need})"]
        if s["at"]:
            facts.append(f"{w['at']}: {s['at']}" + (f", {w['by']} {s['operator']}" if s["operator"] else ""))
        if s["reason"]:
            facts.append(f"{w['skipped because']}: {s['reason']}")
        if s["evidence"]:
            prompt = (s["evidence_prompt"] or {}).get(lang) or w["evidence"]
            facts.append(f"{w['evidence']} ({prompt}): **{s['evidence']}**")
        if s["note"]:
            facts.append(f"{w['note']}: {s['note']}")
        if s["command"]:
            ran = f" ({w['exit']} {s['exit_status']})" if s["exit_status"] is not None else ""
            facts.append(f"{w['command']}{ran}: `{s['command']}`")
        lines += [f"- {f}" for f in facts]
        if outputs and s["output"]:
            fence = "````" if "```" in s["output"] else "```"
            lines += ["", f"{w['output']}:", "", fence, s["output"].rstrip("\n"), fence]
        lines.append("")
    lines += [f"## {w['runs']}", ""]
    if not data["runs"]:
        lines.append(w["none"])
    for r in data["runs"]:
        lines.append(f"- run {r['run_id']}: {r['state']}, {r['started_at']}, {r['size']} bytes, "
                     f"sha256 {(r['sha256'] or '')[:16]}")
    return "\n".join(lines) + "\n"
