"""The copies of a run that are at hand now, for the console's "Restore from a medium" (a run whose own
folder was pruned here): a directory destination's folder that is reachable, a removable disk plugged in
and mounted (wherever it is mounted today), disc images still in their folder, an SSH folder. Each says
where it is as `restore --from` takes it, or why it cannot be used now."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from dse_tui.core.catalog import Catalog, Run
from dse_tui.core.catalog.lifecycle import CopyState
from dse_tui.core.catalog.media import Copy
from dse_tui.core.destinations.job import MANIFEST, Job, Unreachable
from dse_tui.core.restore.discset import Wanted
from dse_tui.core.restore.sshcopy import SshOptions
from dse_tui.core.texts import said


@dataclass
class AtHand:
    copy_id: int
    destination: str
    what: str  # the destination, for people
    places: list[str] = field(default_factory=list)  # as --from takes them; empty: not at hand
    why_not: str | None = None  # why it cannot be used now
    ssh: SshOptions | None = None
    media: list[str] = field(default_factory=list)  # the codes of its media
    wanted: list[Wanted] = field(default_factory=list)  # discs of its set whose image is gone: asked for

    @property
    def usable(self) -> bool:
        return bool(self.places or self.wanted) and self.why_not is None


def copies_at_hand(profile, catalog: Catalog, run: Run) -> list[AtHand]:
    """Every verified copy of `run`, usable ones first."""
    from dse_tui.core.destinations.base import kind_module

    out = []
    for copy in catalog.copies_of(run.id):
        if copy.state != CopyState.VERIFIED:
            continue
        dest = profile.destinations.get(copy.destination)
        links = catalog.copy_media(copy.id)
        codes = [m.code for m in (catalog.medium(cm.medium_id) for cm in links) if m is not None]
        if dest is None:
            out.append(AtHand(copy.id, copy.destination, copy.destination, why_not=said("athand.not_in_profile"),
                              media=codes))
            continue
        item = AtHand(copy.id, dest.id, str(kind_module(dest.kind).describe(dest)), media=codes)
        try:
            _locate(profile, catalog, run, copy, dest, links, item)
        except Unreachable as exc:
            item.places, item.why_not = [], str(exc)
        except OSError as exc:
            item.places, item.why_not = [], exc.strerror or str(exc)
        out.append(item)
    return sorted(out, key=lambda a: not a.usable)


def _locate(profile, catalog: Catalog, run: Run, copy: Copy, dest, links, item: AtHand) -> None:
    if dest.kind == "optical":
        # An image burned and removed: its disc is asked for by its code when the set is put together.
        for cm in links:
            if cm.path and Path(cm.path).is_file():
                item.places.append(cm.path)
            else:
                medium = catalog.medium(cm.medium_id)
                code = medium.code if medium is not None else Path(cm.path or "?").stem
                item.wanted.append(Wanted(code, cm.seq, cm.total, run.id, run.repository))
        if not links:
            raise Unreachable("athand.no_discs")
    elif dest.kind == "ssh":
        d = dest.settings
        folder = (copy.path or "").split(":", 1)[-1]
        user = f"{d['user']}@" if d.get("user") else ""
        item.places = [f"ssh://{user}{d['host']}{':' + str(d['port']) if d.get('port') else ''}{folder}"]
        item.ssh = SshOptions(str(d["identity_file"]) if d.get("identity_file") else None,
                              tuple(d.get("options") or ()))
    elif dest.kind == "removable":
        from dse_tui.core.destinations.removable import _where_mounted_now

        job = Job(profile, catalog, run, dest, [], threading.Event(), lambda line: None, None, "")
        folder = _where_mounted_now(job, copy)
        item.places = [_present(folder)]
    else:  # a folder on a disk or share mounted for good
        if not Path(dest.path).is_dir():
            raise Unreachable("athand.not_mounted", path=dest.path, dest=dest.id)
        item.places = [_present(Path(copy.path or ""))]


def _present(folder: Path) -> str:
    if not (folder / MANIFEST).is_file():
        raise Unreachable("athand.no_copy", folder=str(folder))
    return str(folder)
