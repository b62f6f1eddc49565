"""What a files run's manifest lists, in words and as a lookup: shared by the structure check, the trial
restore, the restore and the CLI."""

from __future__ import annotations


def not_archived_line(entry: dict) -> str:
    detail = f" ({entry['detail']})" if entry.get("detail") else ""
    return f"{entry['reason']}: {entry['path']}{'/' if entry['type'] == 'dir' else ''}{detail}"


def expected_entries(v) -> dict[str, dict]:
    return {f["path"]: f for f in v.manifest.get("files", [])}


def some_diffs(diffs: list[str]) -> str:
    return "; ".join(diffs[:4]) + (f" … ({len(diffs)} in all)" if len(diffs) > 4 else "")
