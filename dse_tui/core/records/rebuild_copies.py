"""catalog rebuild's copies and media: the copies found that the catalog does not record, with the
destination, device and media they are on; the media the log says were created after the catalog backup."""

from __future__ import annotations

import json
from pathlib import Path

from dse_tui.core.catalog import Catalog
from dse_tui.core.records.found import Found


def add_media(catalog: Catalog, out, operator) -> None:
    """Media whose "medium created" event is in the log but not in the inventory (made after the catalog
    backup) are put back, so their codes are never given again; their destination is the one their copies'
    events name."""
    from datetime import datetime

    known = {m.code for m in catalog.media()}
    destination_of: dict[str, str] = {}
    for event in catalog.events(1_000_000, action="copy"):
        detail = json.loads(event["detail"] or "{}")
        for code in detail.get("media") or []:
            destination_of.setdefault(code, detail.get("destination"))
    for event in reversed(list(catalog.events(1_000_000, action="medium created"))):
        detail = json.loads(event["detail"] or "{}")
        code = detail.get("code")
        if not code or code in known:
            continue
        catalog.recover_medium(code, detail.get("kind") or "removable", destination=destination_of.get(code),
                               volume=detail.get("volume"), created_at=datetime.fromisoformat(event["at"]), by=operator)
        known.add(code)
        out.media_added.append(code)


def add_copies(catalog: Catalog, found: list[Found], out, operator) -> None:
    recorded = catalog.verified_copies_list()
    for f in sorted(found, key=lambda f: (f.run_id, str(f.path))):
        run = catalog.run(f.run_id)
        if run is None or run.repository != f.repository or f.complete() is not None:
            continue
        if f.images:
            place = _disc_set(f, catalog, out, operator)
        elif any(c.path and Path(c.path) == f.path for c in catalog.copies_of(f.run_id)):
            continue
        else:
            place = _where(f, recorded, catalog, out)
        if place is None:
            continue
        destination, device, media = place
        twin_keys = " ".join(_key_ids(f)) or None  # encrypted on its way: the keys of the copy, not the run
        copy_id = catalog.recover_copy(f.run_id, destination, str(f.path),
                                       size=sum(p["size"] for p in f.manifest.get("parts", [])),
                                       sha256=f.manifest_sha256, device=device,
                                       key_ids=twin_keys if f.encrypted_on_the_way else None,
                                       copied_at=f.ended_at, media=media, by=operator)
        recorded.append(catalog.copy(copy_id))
        out.copies_added.append((f.run_id, destination, str(f.path)))


def _key_ids(f: Found) -> list[str]:
    from dse_tui.core.keys.crypto import manifest_key_ids

    return manifest_key_ids(f.manifest)


def _disc_set(f: Found, catalog: Catalog, out, operator):
    """A set of disc images: its discs are media by their codes (index.json), the copy is on them."""
    codes = [d["code"] for d in f.index["discs"]]
    for code in codes:  # made after the last event a copy carried: each disc's code is in the set's index
        if catalog.medium(code) is None:
            catalog.recover_medium(code, "optical", destination=None, volume=None, created_at=f.ended_at, by=operator)
            out.media_added.append(code)
    media = [catalog.medium(code) for code in codes]
    for copy in catalog.copies_of(f.run_id):
        if [catalog.medium(cm.medium_id).code for cm in catalog.copy_media(copy.id)] == codes:
            return None  # recorded with the base, or found in another place already
    links = [(m.id, n, len(codes), str(image)) for n, (m, image) in enumerate(zip(media, f.images), 1)]
    return media[0].destination or f"found:{f.path.parent}", f"optical:{codes[0]}", links


def _where(f: Found, recorded, catalog: Catalog, out):
    """The destination, device and media of a copy in a folder. On a removable disk (ROOT is its dse-tui/
    folder), the disk plugged in there, by its volume; else the recorded copies in the same place (a
    destination lays runs out as ROOT/site/repository/run); else the profile's destination of that folder,
    else a destination named after the place."""
    root = f.path.parent.parent.parent
    disk = _disk_at(root.parent) if root.name == "dse-tui" else None
    if disk is not None:
        volume, mountpoint = disk
        medium = next((m for m in catalog.media() if m.volume == volume), None)
        if medium is not None:
            return medium.destination or f"found:{root}", f"vol:{volume}", [(medium.id, 1, 1, mountpoint)]
        if f"vol:{volume}" not in out.unknown_disks:
            out.unknown_disks.append(f"vol:{volume}")
            out.not_recovered.append(f"the disk mounted at {mountpoint} (volume {volume}) holds copies but is in "
                                     "no record found (first written after the last event a copy carried): its "
                                     "copies are recorded without their medium; its code is on its label")
        return f"found:{root}", f"vol:{volume}", []
    for c in reversed(recorded):
        if c.path and Path(c.path).parent.parent.parent == root:
            links = catalog.copy_media(c.id)
            return c.destination, c.device, [(cm.medium_id, 1, 1, cm.path) for cm in links[:1]]
    from dse_tui.core.destinations.directory import local_device

    return out.destinations.get(root) or f"found:{root}", local_device(root), []


def _disk_at(mountpoint: Path) -> tuple[str, str] | None:
    """(volume key, mount point) of the block device mounted at `mountpoint`, if lsblk says one is."""
    from dse_tui.core.destinations import devices

    try:
        for dev in devices.block_devices():
            if dev.mountpoint and Path(dev.mountpoint) == mountpoint:
                return devices.volume_key(dev), dev.mountpoint
    except (devices.DevicesError, OSError):
        return None
    return None
