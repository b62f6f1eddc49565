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
from dse_tui.core.texts import Text, default_language, tr


@dataclass(frozen=True)
class Finding:
    level: str  # ok | warn | error
    subject: str  # e.g. "tool pg_dump", "repository academic-db", "destination nas"
    message: str | Text  # a driver's Text is read in the language of the line

    def __str__(self) -> str:
        return self.line("en")

    def line(self, lang: str) -> str:
        message = self.message.in_(lang) if isinstance(self.message, Text) else self.message
        return f"{tr(f'check.level.{self.level}', lang):<5}  {self.subject}: {message}"


def run_checks(profile: Profile, checklists: dict[str, Checklist]) -> list[Finding]:
    """Every finding, in the site's language (what a driver or a tool says stays as it said it)."""
    lang = default_language(profile.site.language)
    jobs = [lambda: check_storage(profile, lang)]
    jobs += [lambda t=tool, u=users: [check_tool(t, u, lang)] for tool, users in needed_tools(profile, lang).items()]
    jobs += [lambda r=repo: check_repository(profile, r, checklists, lang) for repo in profile.repositories]
    jobs += [lambda d=dest: [check_destination(d, lang)] for dest in profile.destinations.values()]
    jobs += [lambda: check_distinct_devices(profile, lang)]
    jobs += [lambda: check_keys(profile, lang)]
    # Servers and disks answer slowly: probe them side by side, report in a stable order.
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda job: job(), jobs))
    return [finding for batch in results for finding in batch]


def destination_device(dest: Destination) -> str | None:
    """What makes two destinations one device (None: a disc set, always its own medium)."""
    from dse_tui.core.destinations.base import kind_module

    return kind_module(dest.kind).device(dest)


def check_distinct_devices(profile: Profile, lang: str = "en") -> list[Finding]:
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
            findings.append(Finding("warn", tr("check.destinations", lang, ids=", ".join(ids)),
                                    tr("check.one_device", lang, device=device)))
    storage = local_device(profile.storage_root)
    for dest in profile.destinations.values():
        if dest.kind == "optical" and local_device(dest.path) in {storage, *groups}:
            findings.append(Finding("warn", tr("check.destination", lang, id=dest.id), tr("check.images_wait", lang)))
    for dest_id, device in devices.items():
        if device == storage:
            findings.append(Finding("warn", tr("check.destination", lang, id=dest_id), tr("check.on_storage", lang)))
    for repo in profile.repositories:
        distinct = {devices.get(d) or f"own:{d}" for d in repo.destinations if d in devices}
        if len(distinct) < repo.copies:
            findings.append(Finding("warn", tr("check.repository", lang, id=repo.id),
                                    tr("check.too_few_devices", lang, copies=repo.copies, n=len(distinct))))
    return findings


def needed_tools(profile: Profile, lang: str = "en") -> dict[str, list[str]]:
    """Each local program the repositories' drivers and the destinations run (alternatives as `a|b`), with
    who needs it. Over SSH the dump tools run on the server; the source check probes them there."""
    from dse_tui.core.destinations.base import kind_module

    tools: dict[str, list[str]] = {}
    for repo in profile.repositories:
        for tool in drivers.get(repo.driver).tools(repo) + (["age"] if repo.encrypted else []):
            tools.setdefault(tool, []).append(repo.id)
    for dest in profile.destinations.values():
        for tool in kind_module(dest.kind).tools(dest) + (["age"] if dest.recipients else []):
            tools.setdefault(tool, []).append(tr("check.destination", lang, id=dest.id))
    return tools


def check_keys(profile: Profile, lang: str = "en") -> list[Finding]:
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
            findings.append(Finding("ok", tr("check.key", lang, id=kid), tr("check.key_here", lang, source=source)))
        except PassphraseNeeded as exc:
            findings.append(Finding("warn" if deep else "ok", tr("check.key", lang, id=kid),
                                    tr("check.key_protected", lang, path=exc.path)
                                    + (tr("check.key_protected_deep", lang, repos=", ".join(deep)) if deep else "")))
        except IdentityError:
            levels = "/".join(sorted({r.verify for r in repos}))
            findings.append(Finding("warn" if deep else "ok", tr("check.key", lang, id=kid),
                                    tr("check.key_missing", lang)
                                    + (tr("check.key_missing_deep", lang, levels=levels, repos=", ".join(deep))
                                       if deep else tr("check.key_missing_checksum", lang))))
    return findings


def check_tool(spec: str, users: list[str], lang: str = "en") -> Finding:
    path = find_tool(spec)
    subject = tr("check.tool", lang, tool=spec)
    if not path:
        return Finding("error", subject, tr("check.tool_missing", lang, users=", ".join(users)))
    version = tool_version(path)
    return Finding("ok", subject, f"{path} ({version})" if version else path)


def check_storage(profile: Profile, lang: str = "en") -> list[Finding]:
    root = profile.storage_root
    subject = tr("check.storage", lang)
    if root.exists():
        return [_writable(subject, root, profile.min_free, lang)]
    # A check changes nothing: the first run creates the folder; what matters now is that it can.
    parent = next((p for p in root.parents if p.exists()), Path("/"))
    found = _writable(subject, parent, profile.min_free, lang)
    if found.level == "ok":
        return [Finding("ok", subject, tr("check.storage_later", lang, root=root, found=found.message))]
    return [found]


def _writable(subject: str, path: Path, min_free: int = 0, lang: str = "en") -> Finding:
    try:
        if not path.is_dir():
            return Finding("error", subject, tr("check.no_folder", lang, path=path))
        with tempfile.NamedTemporaryFile(dir=path, prefix=".dse-tui-check-"):
            pass
        free = shutil.disk_usage(path).free
    except OSError as exc:
        return Finding("error", subject, tr("check.not_writable", lang, path=path, error=exc.strerror or exc))
    text = tr("check.writable", lang, path=path, free=humanize.naturalsize(free, binary=True))
    if free < min_free:
        return Finding("error", subject, tr("check.too_little", lang, text=text,
                                            need=humanize.naturalsize(min_free, binary=True)))
    return Finding("ok", subject, text)


def check_destination(dest: Destination, lang: str = "en") -> Finding:
    subject = tr("check.destination", lang, id=dest.id)
    if dest.kind in ("directory", "optical"):
        return _writable(subject, dest.path, lang=lang)
    if dest.kind == "removable":
        mount = find_removable(dest.settings.get("uuid"), dest.settings.get("label"))
        if mount is None:
            what = dest.settings.get("uuid") or dest.settings.get("label")
            return Finding("warn", subject, tr("check.unplugged", lang, what=what))
        return _writable(subject, Path(mount), lang=lang)
    d = dest.settings
    path = shlex.quote(str(dest.path))
    return _ssh_probe(subject, ssh_argv(d["host"], d.get("user"), d.get("port"), d.get("identity_file"), d.get("options") or ()), f"test -d {path} && test -w {path}",
                      tr("check.writable_remote", lang, path=dest.path))


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


def check_repository(profile: Profile, repo: Repository, checklists: dict[str, Checklist],
                     lang: str = "en") -> list[Finding]:
    subject = tr("check.repository", lang, id=repo.id)
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
        findings.append(Finding("error", subject, tr("check.source_error", lang, error=exc)))
    return findings


def _ssh_probe(subject: str, ssh: list[str], script: str, ok_text: str) -> Finding:
    level, message = ssh_probe(ssh, script, ok_text)
    return Finding(level, subject, message)
