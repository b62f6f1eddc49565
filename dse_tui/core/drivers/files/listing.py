"""What a files run's manifest lists, in words and as a lookup: shared by the structure check, the trial
restore, the restore and the CLI."""

from __future__ import annotations

from dse_tui.core.texts import has, said


def not_archived_line(entry: dict) -> str:
    detail = f" ({entry['detail']})" if entry.get("detail") else ""
    return f"{entry['reason']}: {entry['path']}{'/' if entry['type'] == 'dir' else ''}{detail}"


def expected_entries(v) -> dict[str, dict]:
    return {f["path"]: f for f in v.manifest.get("files", [])}


def kind_word(kind: str) -> str:
    """A file's kind (tarstream.file_kind's word) as the sentences of a difference name it, in the active
    language."""
    return said(f"filekind.{kind}") if has(f"filekind.{kind}") else kind


def some_diffs(diffs: list[str]) -> str:
    return "; ".join(diffs[:4]) + (said("verify.diffs_more", n=len(diffs)) if len(diffs) > 4 else "")
