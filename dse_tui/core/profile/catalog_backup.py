"""`storage.catalog_backup:` — the catalog backed up as one more repository (id dse-catalog, driver
catalog): runs, verification, copies, retention, labels and the dashboard treat it as any other."""

from __future__ import annotations

from pathlib import Path

from dse_tui.core.profile.model import Repository, Retention, Rules

REPO_ID = "dse-catalog"
# The repository settings it takes (the rest make no sense for it: no checklist, no source, no encryption
# of its own, no size rules).
SETTINGS = ("periodicity", "grace", "verify", "destinations", "copies", "retention", "timeout", "verify_every")
DEFAULT_VERIFY = "structure"  # integrity_check and the hash chain, in the copy


def check(data: dict, dest_ids: dict, repo_ids: dict, c) -> None:
    """Its destinations exist; no repository of the site takes its id."""
    storage = data.get("storage") if isinstance(data.get("storage"), dict) else {}
    settings = storage.get("catalog_backup")
    if not isinstance(settings, dict):
        return
    for name in settings.get("destinations") or []:
        if isinstance(name, str) and name not in dest_ids:
            c.error(("storage", "catalog_backup", "destinations"), f"unknown destination '{name}'")
    if REPO_ID in repo_ids:
        c.error(("repositories", repo_ids[REPO_ID], "id"),
                f"'{REPO_ID}' is the catalog's own repository (storage.catalog_backup): choose another id")


def repository(settings: dict, defaults: dict, catalog_path: Path | str, passfile=None,
               password_env: str | None = None) -> Repository:
    merged = {k: (settings.get(k) if settings.get(k) is not None else defaults[k]) for k in SETTINGS}
    if settings.get("verify") is None:
        merged["verify"] = DEFAULT_VERIFY
    return Repository(
        id=REPO_ID, name="dse-tui catalog", kind="config", driver="catalog",
        source={"path": catalog_path, "passfile": passfile, "password_env": password_env},
        description="the catalog: runs, copies, media, sessions and the event log",
        periodicity=merged["periodicity"], grace=merged["grace"], verify=merged["verify"],
        destinations=tuple(merged["destinations"]), copies=merged["copies"],
        retention=Retention(**merged["retention"]), timeout=merged["timeout"], verify_every=merged["verify_every"],
        rules=Rules(shrink_window=0),  # a catalog shrinks when old runs are pruned from it: not a fault
    )
