"""The site's rules for a satisfactory run, beyond reading back right: a minimum size, names that must be
in it, and no sudden shrink (the most common silent failure: an empty dump, an unmounted disk)."""

from __future__ import annotations

from fnmatch import fnmatchcase
from statistics import median

from dse_tui.core.profile.model import Repository
from dse_tui.core.common.fmt import size as fmt_size
from dse_tui.core.texts import said

SHRINK = "shrink"


def present_names(manifest: dict) -> set[str]:
    """What `rules.require` can name in a run: tables (bare and qualified), files, refs."""
    names: set[str] = set()
    for db, tables in (manifest.get("row_counts") or {}).items():
        for table in tables:
            names |= {table, f"{db}.{table}", table.rsplit(".", 1)[-1]}
    names |= set(manifest.get("tables", {}))
    names |= {f["path"] for f in manifest.get("files", [])}
    for ref in manifest.get("heads", {}):
        names |= {ref, ref.removeprefix("refs/heads/").removeprefix("refs/tags/")}
    return names


def data_size(manifest: dict) -> int:
    """The size of what was backed up: every part but the run's own audit log, which grows with the event
    log, not with the data (counted, emptying a database passed the shrink rule)."""
    if "data_size" in manifest:
        return manifest["data_size"]
    log_part = (manifest.get("audit_log") or {}).get("part")
    return sum(p["size"] for p in manifest.get("parts", []) if p["file"] != log_part)


def evaluate(repo: Repository, manifest: dict, sizes_before: list[int], acknowledged: str | None) -> list[tuple[str, bool, str]]:
    """(check name, ok, detail) for each rule that applies. `sizes_before`: the sizes of the good runs
    before this one, oldest first."""
    rules = repo.rules
    out = []
    size = data_size(manifest)
    if rules.min_size:
        out.append(("min_size", size >= rules.min_size,
                    said("rule.min_size", size=fmt_size(size), min=fmt_size(rules.min_size))))
    if rules.require:
        names = present_names(manifest)
        missing = [want for want in rules.require if not any(fnmatchcase(n, want) for n in names)]
        out.append(("require", not missing,
                    said("rule.require_missing", n=len(missing), names=", ".join(missing)) if missing
                    else said("rule.require_ok", n=len(rules.require))))
    window = sizes_before[-rules.shrink_window:] if rules.shrink_window else []
    if rules.shrink_percent and window:
        typical = median(window)
        small = size < typical * rules.shrink_percent / 100
        if small and acknowledged:
            out.append((SHRINK, True, said("rule.shrink_accepted", size=fmt_size(size), median=fmt_size(typical),
                                           reason=acknowledged)))
        elif small:
            out.append((SHRINK, False, said("rule.shrink_small", size=fmt_size(size), percent=rules.shrink_percent,
                                            median=fmt_size(typical), n=len(window))))
        else:
            out.append((SHRINK, True, said("rule.shrink_ok", size=fmt_size(size), median=fmt_size(typical))))
    return out
