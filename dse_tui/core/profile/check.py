"""`dse-tui check`: are the tools installed, do the servers answer, are the destinations writable?"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import humanize

from dse_tui.core import drivers
from dse_tui.core.common.probe import TIMEOUT, ssh_probe
from dse_tui.core.sessions.checklists import Checklist, repository_checklist
from dse_tui.core.profile.model import Destination, Profile, Repository
from dse_tui.core.profile.problems import ConfigError
from dse_tui.core.common.ssh import ssh_argv
from dse_tui.core.common.tools import find_tool, tool_version


@dataclass(frozen=True)
class Finding:
    level: str  # ok | warn | error
    subject: str  # e.g. "tool pg_dump", "repository academic-db", "destination nas"
    message: str

    def __str__(self) -> str:
        return f"{self.level:<5}  {self.subject}: {self.message}"


def run_checks(profile: Profile, checklists: dict[str, Checklist]) -> list[Finding]:
    jobs = [lambda: check_storage(profile)]
    jobs += [lambda t=tool, u=users: [check_tool(t, u)] for tool, users in needed_tools(profile).items()]
    jobs += [lambda r=repo: check_repository(profile, r, checklists) for repo in profile.repositories]
    jobs += [lambda d=dest: [check_destination(d)] for dest in profile.destinations.values()]
    jobs += [lambda: check_distinct_devices(profile)]
    jobs += [lambda: check_keys(profile)]
    # Servers and disks answer slowly: probe them side by side, report in a stable order.
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda job: job(), jobs))
    return [finding for batch in results for finding in batch]


def destination_device(dest: Destination) -> str | None:
    """What makes two destinations one device (None: a disc set, always its own medium)."""
    from dse_tui.core.destinations.base import kind_module

    return kind_module(dest.kind).device(dest)


def check_distinct_devices(profile: Profile) -> list[Finding]:
    """Procedure 4.2.1 stores good backups on several distinct devices: say where the profile cannot."""
    from dse_tui.core.destinations.directory import local_device

    findings = []
    devices = {dest.id: destination_device(dest) for dest in profile.destinations.values()}
    groups: dict[str, list[str]] = {}
    for dest_id, device in devices.items():
        if device is not None:
            groups.setdefault(device, []).append(dest_id)
    for device, ids in groups.items():
        if len(ids) > 1:
            findings.append(Finding("warn", f"destinations {', '.join(ids)}",
                                    f"on one device ({device}): copies on them count once"))
    storage = local_device(profile.storage_root)
    for dest in profile.destinations.values():
        if dest.kind == "optical" and local_device(dest.path) in {storage, *groups}:
            findings.append(Finding("warn", f"destination {dest.id}", "its images wait on a disk other copies use: "
                                    "each disc counts as a device of its own once burned and filed away"))
    for dest_id, device in devices.items():
        if device == storage:
            findings.append(Finding("warn", f"destination {dest_id}", "on the same device as storage.root: a copy "
                                    "there does not survive that disk"))
    for repo in profile.repositories:
        distinct = {devices.get(d) or f"own:{d}" for d in repo.destinations if d in devices}
        if len(distinct) < repo.copies:
            findings.append(Finding("warn", f"repository {repo.id}",
                                    f"needs {repo.copies} copies but its destinations are {len(distinct)} distinct "
                                    "device(s): its runs will stay \"not stored\""))
    return findings


def needed_tools(profile: Profile) -> dict[str, list[str]]:
    """Each local program the repositories' drivers run (alternatives as `a|b`), with who needs it.
    Over SSH the dump tools run on the server; the source check probes them there."""
    tools: dict[str, list[str]] = {}
    for repo in profile.repositories:
        for tool in drivers.get(repo.driver).tools(repo) + (["age"] if repo.encrypted else []):
            tools.setdefault(tool, []).append(repo.id)
    return tools


def check_keys(profile: Profile) -> list[Finding]:
    """Each key the repositories encrypt to: whether an identity here opens its runs, which the structure
    and restore verifications need (a missing one makes them inconclusive, never a verdict)."""
    from dse_tui.core.keys.crypto import IdentityError, Keyring, PassphraseNeeded, key_id

    users: dict[str, list] = {}
    for repo in profile.repositories:
        for recipient in repo.recipients:
            users.setdefault(key_id(recipient), []).append(repo)
    if not users:
        return []
    keyring = Keyring.for_profile(profile)
    findings = []
    for kid, repos in users.items():
        deep = [r.id for r in repos if r.verify != "checksum"]
        try:
            source = keyring.source_of(keyring.secret_for([kid]))
            findings.append(Finding("ok", f"key {kid}", f"its identity is here ({source})"))
        except PassphraseNeeded as exc:
            findings.append(Finding("warn" if deep else "ok", f"key {kid}",
                                    f"its identity {exc.path} is protected by a passphrase"
                                    + (f": unattended verifications of {', '.join(deep)} will be inconclusive "
                                       "without encryption.passphrase_env" if deep else "")))
        except IdentityError:
            findings.append(Finding("warn" if deep else "ok", f"key {kid}",
                                    "no identity here opens its runs (the recovery sheet has it)"
                                    + (f": the {'/'.join(sorted({r.verify for r in repos}))} verifications of "
                                       f"{', '.join(deep)} need it and will be inconclusive" if deep else
                                       ": only checksum verification here, which needs none")))
    return findings


def check_tool(spec: str, users: list[str]) -> Finding:
    path = find_tool(spec)
    needed = f"needed by {', '.join(users)}"
    if not path:
        return Finding("error", f"tool {spec}", f"not installed ({needed}); install it, e.g. with apt-get")
    version = tool_version(path)
    return Finding("ok", f"tool {spec}", f"{path} ({version})" if version else path)


def check_storage(profile: Profile) -> list[Finding]:
    root = profile.storage_root
    if root.exists():
        return [_writable("storage", root, profile.min_free)]
    # A check changes nothing: the first run creates the folder; what matters now is that it can.
    parent = next((p for p in root.parents if p.exists()), Path("/"))
    found = _writable("storage", parent, profile.min_free)
    if found.level == "ok":
        return [Finding("ok", "storage", f"{root} will be created by the first run; {found.message}")]
    return [found]


def _writable(subject: str, path: Path, min_free: int = 0) -> Finding:
    try:
        if not path.is_dir():
            return Finding("error", subject, f"{path} does not exist or is not a folder")
        with tempfile.NamedTemporaryFile(dir=path, prefix=".dse-tui-check-"):
            pass
        free = shutil.disk_usage(path).free
    except OSError as exc:
        return Finding("error", subject, f"{path} is not writable: {exc.strerror or exc}")
    text = f"{path} writable, {humanize.naturalsize(free, binary=True)} free"
    if free < min_free:
        return Finding("error", subject, f"{text}, less than the {humanize.naturalsize(min_free, binary=True)} required")
    return Finding("ok", subject, text)


def check_destination(dest: Destination) -> Finding:
    subject = f"destination {dest.id}"
    if dest.kind in ("directory", "optical"):
        return _writable(subject, dest.path)
    if dest.kind == "removable":
        mount = find_removable(dest.settings.get("uuid"), dest.settings.get("label"))
        if mount is None:
            what = dest.settings.get("uuid") or dest.settings.get("label")
            return Finding("warn", subject, f"removable disk {what} is not plugged in or not mounted")
        return _writable(subject, Path(mount))
    d = dest.settings
    path = shlex.quote(str(dest.path))
    return _ssh_probe(subject, ssh_argv(d["host"], d.get("user"), d.get("port"), d.get("identity_file"), d.get("options") or ()), f"test -d {path} && test -w {path}",
                      f"{dest.path} writable")


def find_removable(uuid: str | None, label: str | None) -> str | None:
    """The mount point of the disk with this filesystem UUID or label, from lsblk."""
    try:
        out = subprocess.run(["lsblk", "--json", "-o", "NAME,UUID,LABEL,MOUNTPOINT"], capture_output=True,
                             text=True, timeout=TIMEOUT)
        devices = json.loads(out.stdout or "{}").get("blockdevices", [])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    stack = list(devices)
    while stack:
        dev = stack.pop()
        stack.extend(dev.get("children") or [])
        if dev.get("mountpoint") and ((uuid and dev.get("uuid") == uuid) or (label and dev.get("label") == label)):
            return dev["mountpoint"]
    return None


def check_repository(profile: Profile, repo: Repository, checklists: dict[str, Checklist]) -> list[Finding]:
    subject = f"repository {repo.id}"
    findings = []
    if checklists:
        try:
            repository_checklist(profile, repo, checklists)
        except ConfigError as exc:
            findings += [Finding("error", subject, p.message) for p in exc.problems]
    try:
        found = drivers.get(repo.driver).check_source(repo, TIMEOUT)
        findings += [Finding(level, subject, message) for level, message in found]
    except (OSError, subprocess.SubprocessError) as exc:  # e.g. a parent folder we may not enter
        findings.append(Finding("error", subject, f"cannot check the source: {exc}"))
    return findings


def _ssh_probe(subject: str, ssh: list[str], script: str, ok_text: str) -> Finding:
    level, message = ssh_probe(ssh, script, ok_text)
    return Finding(level, subject, message)
