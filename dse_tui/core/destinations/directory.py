"""A folder on a disk or share that is mounted for good (fstab, autofs): the copy goes under
site/repository/run there, and counts as the filesystem the folder is on."""

from __future__ import annotations

import os
from pathlib import Path

from dse_tui.core.catalog.media import Copy
from dse_tui.core.destinations.common import check_folder, copy_to_folder
from dse_tui.core.destinations.job import Copied, CopyError, Job, Unreachable
from dse_tui.core.profile.model import Destination
from dse_tui.core.texts import Text


def local_device(path: Path) -> str:
    """The filesystem a path is on (of its nearest existing folder): what "distinct device" compares."""
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    st = os.stat(p)
    return f"dev:{os.major(st.st_dev)}:{os.minor(st.st_dev)}"


def copy(job: Job) -> Copied:
    dest = job.dest
    if not Path(dest.path).is_dir():  # never made here: an unmounted share must not fill the local disk
        raise CopyError("copy.not_mounted", path=dest.path, dest=dest.id)
    device = local_device(Path(dest.path))
    path = copy_to_folder(job, Path(dest.path) / job.profile.site.id / job.run.repository / job.name)
    return Copied(str(path), device, [])


def verify(job: Job, existing: Copy) -> None:
    dest = job.dest
    if not Path(dest.path).is_dir():
        raise Unreachable("copy.not_there", path=dest.path, dest=dest.id)
    check_folder(Path(existing.path or ""), job.files)


def describe(dest: Destination) -> str:
    return Text("dest.folder", path=dest.path)


def device(dest: Destination) -> str | None:
    return local_device(dest.path)


def tools(dest: Destination) -> list[str]:
    return []
