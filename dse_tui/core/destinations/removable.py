"""A removable disk, named by its filesystem's UUID or label and found wherever it is mounted today: each
disk becomes a medium of the inventory on its first copy, and counts as its own device."""

from __future__ import annotations

from pathlib import Path

from dse_tui.core.catalog.lifecycle import MediumState
from dse_tui.core.catalog.media import Copy
from dse_tui.core.destinations.common import check_folder, copy_to_folder
# The module, not its function: looked up at each call, so a stand-in for lsblk set on it is the one used.
from dse_tui.core.destinations import devices
from dse_tui.core.destinations.devices import BlockDevice, DevicesError, find_volume, volume_key
from dse_tui.core.destinations.job import Copied, CopyError, Job, Unreachable
from dse_tui.core.profile.model import Destination
from dse_tui.core.texts import Text


def copy(job: Job) -> Copied:
    dest = job.dest
    wanted = dest.settings.get("uuid") or dest.settings.get("label")
    try:
        dev = find_volume(devices.block_devices(), dest.settings.get("uuid"), dest.settings.get("label"))
    except DevicesError as exc:
        raise CopyError(str(exc)) from None
    if dev is None:
        raise CopyError("copy.disk_unplugged", disk=wanted, dest=dest.id)
    if not dev.mountpoint:
        raise CopyError("copy.disk_unmounted", disk=wanted, device=dev.path)
    root = Path(dev.mountpoint) / "dse-tui"
    path = copy_to_folder(job, root / job.profile.site.id / job.run.repository / job.name)
    return Copied(str(path), f"vol:{volume_key(dev)}", _link_medium(job, dev))


def _link_medium(job: Job, dev: BlockDevice) -> list[str]:
    """The disk's medium (made on its first copy), linked to the copy once it verified."""
    from dse_tui.core.destinations.media import allocate_medium, refresh_expiry

    catalog = job.catalog
    medium = catalog.medium_by_volume(job.dest.id, volume_key(dev))
    if medium is None:
        code, mid = allocate_medium(job.profile, catalog, job.dest, "removable", volume=volume_key(dev),
                                    capacity=dev.size,
                                    location=job.dest.settings.get("location") or job.dest.settings.get("description"))
        catalog.record_event("medium created", "ok", operator=job.operator,
                             detail={"code": code, "kind": "removable", "volume": volume_key(dev)})
        medium = catalog.medium(mid)
    elif medium.state == MediumState.BLANK:  # an erased disk written again: what it holds counts from now on
        catalog.move_medium(medium.id, state=MediumState.IN_USE, operator=job.operator, why="a copy was written on it")
    catalog.link_copy_medium(job.copy_id, medium.id, 1, 1, path=dev.mountpoint)
    refresh_expiry(job.profile, catalog, medium.id)
    return [medium.code]


def verify(job: Job, existing: Copy) -> None:
    check_folder(_where_mounted_now(job, existing), job.files)


def _where_mounted_now(job: Job, existing: Copy) -> Path:
    """A removable disk is found by its volume wherever it is mounted today."""
    catalog, folder = job.catalog, Path(existing.path or "")
    links = catalog.copy_media(existing.id)
    medium = catalog.medium(links[0].medium_id) if links else None
    volume = medium.volume if medium else None
    uuid, label = (None, volume[6:]) if volume and volume.startswith("label:") else (volume, None)
    try:
        dev = find_volume(devices.block_devices(), uuid, label) if volume else None
    except DevicesError as exc:
        raise Unreachable(str(exc)) from None
    if dev is None or not dev.mountpoint:
        raise Unreachable("copy.disk_away", disk=medium.code if medium else volume, dest=job.dest.id)
    old_mount = Path(links[0].path) if links and links[0].path else None
    try:
        return Path(dev.mountpoint) / folder.relative_to(old_mount) if old_mount else folder
    except ValueError:
        return folder


def describe(dest: Destination) -> str:
    d = dest.settings
    if d.get("uuid"):
        return Text("dest.removable_uuid", uuid=d["uuid"])
    return Text("dest.removable_label", label=d.get("label"))


def device(dest: Destination) -> str | None:
    d = dest.settings
    return f"vol:{d.get('uuid') or 'label:' + str(d.get('label'))}"


def tools(dest: Destination) -> list[str]:
    return ["lsblk"]  # finds the disk wherever it is mounted today
