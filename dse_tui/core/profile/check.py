"""`dse-tui check`: are the tools installed, do the servers answer, are the destinations writable?"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import humanize

from dse_tui.core.sessions.checklists import Checklist, repository_checklist
from dse_tui.core.profile.config import Destination, Profile, Repository
from dse_tui.core.profile.problems import ConfigError
from dse_tui.core.common.ssh import ssh_argv, target_argv
from dse_tui.core.common.tools import find_tool, tool_version

TIMEOUT = 10  # seconds for any one probe; a silent server must not hang the check

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
    from dse_tui.core.destinations.copies import local_device

    d = dest.settings
    if dest.kind == "directory":
        return local_device(dest.path)
    if dest.kind == "removable":
        return f"vol:{d.get('uuid') or 'label:' + str(d.get('label'))}"
    if dest.kind == "ssh":
        return f"ssh:{d.get('user') or ''}@{d['host']}:{d.get('port') or 22}"
    return None


def check_distinct_devices(profile: Profile) -> list[Finding]:
    """Procedure 4.2.1 stores good backups on several distinct devices: say where the profile cannot."""
    from dse_tui.core.destinations.copies import local_device

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
    from dse_tui.core.drivers import driver_module

    tools: dict[str, list[str]] = {}
    for repo in profile.repositories:
        for tool in driver_module(repo.driver).tools(repo) + (["age"] if repo.encrypted else []):
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
        found = _SOURCE_CHECKS[repo.driver](repo, subject)
        findings += found if isinstance(found, list) else [found]
    except (OSError, subprocess.SubprocessError) as exc:  # e.g. a parent folder we may not enter
        findings.append(Finding("error", subject, f"cannot check the source: {exc}"))
    if repo.driver in ("postgresql", "mysql") and not repo.ssh:
        var = repo.source.get("password_env")
        if var and var not in os.environ:
            findings.append(Finding("error", subject, f"the environment variable {var} (password_env) is not set"))
    return findings


def _check_path_source(repo: Repository, subject: str) -> Finding:
    path = repo.source["path"]
    if repo.ssh:
        return _ssh_probe(subject, target_argv(repo.ssh), f"test -r {shlex.quote(str(path))}",
                          f"{path} readable on the server")
    if not path.exists():
        return Finding("error", subject, f"source {path} does not exist")
    if not os.access(path, os.R_OK):
        return Finding("error", subject, f"source {path} is not readable by {os.environ.get('USER', 'this user')}")
    if repo.driver == "git":
        probe = subprocess.run(["git", "-C", str(path), "rev-parse", "--git-dir"], capture_output=True, text=True,
                               timeout=TIMEOUT) if shutil.which("git") else None
        if probe is not None and probe.returncode != 0:
            return Finding("error", subject, f"{path} is not a git repository")
    if repo.driver == "sqlite":
        try:
            import sqlite3

            import urllib.parse

            with sqlite3.connect(f"file:{urllib.parse.quote(str(path))}?mode=ro", uri=True) as conn:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            return Finding("error", subject, f"{path} is not a readable SQLite database: {exc}")
    return Finding("ok", subject, f"source {path} readable")


def _where(repo: Repository, default_port: int) -> str:
    s = repo.source
    where = f"{s.get('host') or 'local socket'}:{s.get('port') or default_port}"
    return f"{where} via ssh {repo.ssh.destination}" if repo.ssh else where


def _check_postgresql(repo: Repository, subject: str) -> list[Finding]:
    """Connects as the backup will (the driver's own connection, locally or on the SSH host), then tries
    what the run and its verification will do with that role."""
    from dse_tui.core.drivers.postgresql import probe

    answer = _answers_postgresql(repo, subject)
    if answer.level != "ok":
        return [answer]
    problems = probe(repo, TIMEOUT * 6)
    return [answer] + [Finding(level, subject, message) for level, message in problems]


def _answers_postgresql(repo: Repository, subject: str) -> Finding:
    from dse_tui.core.drivers.postgresql import connect_stage

    databases = repo.source.get("databases") or ["postgres"]
    where = _where(repo, 5432)
    if not shutil.which("ssh" if repo.ssh else "psql"):
        return Finding("error", subject, f"cannot reach PostgreSQL: {'ssh' if repo.ssh else 'psql'} is not installed")
    for db in databases:
        stage = connect_stage(repo, ["psql", "-XAtq", "-d", db, "-c", "select 1"], "psql")
        result = _run(stage.argv, env={**os.environ, "PGCONNECT_TIMEOUT": "5", **(stage.env or {})})
        if result is not None:
            return Finding("error", subject, f"PostgreSQL at {where}, database {db}: {result}")
    return Finding("ok", subject, f"PostgreSQL at {where} answers ({', '.join(databases)})")


def _check_mysql(repo: Repository, subject: str) -> list[Finding]:
    """Connects as the backup will (the driver's own command, password as an option file on stdin), then
    tries what the run and its verification will do with that user."""
    from dse_tui.core.drivers.mysql import probe

    answer = _answers_mysql(repo, subject)
    if answer.level != "ok":
        return [answer]
    return [answer] + [Finding(level, subject, message) for level, message in probe(repo, TIMEOUT * 6)]


def _answers_mysql(repo: Repository, subject: str) -> Finding:
    from dse_tui.core.drivers.mysql import command

    client = "mariadb" if repo.ssh else find_tool("mariadb|mysql")
    where = _where(repo, 3306)
    databases = repo.source.get("databases") or [""]
    if not client or not shutil.which("ssh" if repo.ssh else client):
        return Finding("error", subject, "cannot reach MariaDB/MySQL: the mariadb client (or ssh) is not installed")
    for db in databases:
        try:
            stage, text = command(repo, client, ["--connect-timeout=5", "-e", "select 1", *([db] if db else [])])
        except OSError as exc:
            return Finding("error", subject, f"cannot read passfile {repo.source['passfile']}: {exc.strerror}")
        result = _run(stage.argv, stdin=text)
        if result is not None:
            return Finding("error", subject, f"MariaDB at {where}{', database ' + db if db else ''}: {result}")
    shown = f" ({', '.join(databases)})" if databases != [""] else ""
    return Finding("ok", subject, f"MariaDB at {where} answers{shown}")


def _run(argv: list[str], env: dict | None = None, stdin: str | None = None) -> str | None:
    """None when the command succeeded, else its first error line."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, env=env, input=stdin or "")
    except subprocess.TimeoutExpired:
        return f"no answer within {TIMEOUT} s"
    except OSError as exc:
        return str(exc)
    if out.returncode == 0:
        return None
    lines = [line for line in (out.stderr or out.stdout).strip().splitlines() if line.strip()]
    return lines[0].strip() if lines else f"exit status {out.returncode}"


def _ssh_probe(subject: str, ssh: list[str], script: str, ok_text: str) -> Finding:
    """`script` on the host that `ssh` (an ssh argv up to the destination) reaches."""
    if not shutil.which("ssh"):
        return Finding("error", subject, "ssh is not installed")
    result = _run(ssh + ["--", script])
    if result is not None:
        return Finding("error", subject, f"over ssh {ssh[-1]}: {result}")
    return Finding("ok", subject, f"{ok_text} (ssh {ssh[-1]})")


_SOURCE_CHECKS = {
    "postgresql": _check_postgresql,
    "mysql": _check_mysql,
    "sqlite": _check_path_source,
    "git": _check_path_source,
    "files": _check_path_source,
}
