"""Block devices as `lsblk --json` shows them: which removable disks are plugged in, and where mounted.

A removable destination names its disk by filesystem UUID or label, so it is found at whatever path the
desktop or fstab mounts it."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from dse_tui.core.texts import Told

LSBLK = ["lsblk", "--json", "--bytes", "-o", "NAME,PATH,UUID,LABEL,FSTYPE,MOUNTPOINT,SIZE,RM,HOTPLUG,TRAN,MODEL"]
TIMEOUT = 10


@dataclass(frozen=True)
class BlockDevice:
    name: str
    path: str | None
    uuid: str | None
    label: str | None
    fstype: str | None
    mountpoint: str | None
    size: int | None
    removable: bool  # removable, hot-plugged or on USB
    model: str | None


class DevicesError(Told):
    """lsblk could not be run or read."""


def _flag(value) -> bool:
    return value in (True, 1, "1", "true")  # lsblk before 2.33 wrote "0"/"1"


def _size(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_lsblk(text: str) -> list[BlockDevice]:
    """Every device and partition, flattened; a partition inherits its disk's removable flag and model."""
    try:
        top = json.loads(text).get("blockdevices", [])
    except (ValueError, AttributeError) as exc:
        raise DevicesError("devices.not_json", error=exc) from None
    found: list[BlockDevice] = []

    def walk(dev: dict, parent_removable: bool, parent_model: str | None) -> None:
        removable = parent_removable or _flag(dev.get("rm")) or _flag(dev.get("hotplug")) or dev.get("tran") == "usb"
        model = dev.get("model") or parent_model
        mount = dev.get("mountpoint")
        if mount is None and dev.get("mountpoints"):
            mount = next((m for m in dev["mountpoints"] if m), None)
        found.append(BlockDevice(dev.get("name", "?"), dev.get("path"), dev.get("uuid"), dev.get("label"),
                                 dev.get("fstype"), mount, _size(dev.get("size")), removable,
                                 model.strip() if isinstance(model, str) else None))
        for child in dev.get("children") or []:
            walk(child, removable, model)

    for dev in top:
        walk(dev, False, None)
    return found


def block_devices() -> list[BlockDevice]:
    try:
        out = subprocess.run(LSBLK, capture_output=True, text=True, timeout=TIMEOUT)
    except FileNotFoundError:
        raise DevicesError("devices.no_lsblk") from None
    except subprocess.TimeoutExpired:
        raise DevicesError("devices.timeout", seconds=TIMEOUT) from None
    if out.returncode != 0:
        raise DevicesError("devices.failed", error=out.stderr.strip())
    return parse_lsblk(out.stdout)


def find_volume(devices: list[BlockDevice], uuid: str | None, label: str | None) -> BlockDevice | None:
    """The filesystem with this UUID (preferred: labels repeat) or label, mounted or not."""
    for dev in devices:
        if uuid and dev.uuid and dev.uuid.lower() == uuid.lower():
            return dev
    for dev in devices:
        if label and dev.label == label:
            return dev
    return None


def volume_key(dev: BlockDevice) -> str:
    return dev.uuid or f"label:{dev.label}"
