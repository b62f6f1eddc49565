"""Copies in a folder on another host (an SSH destination's): found with the host's own `find`, each file
brought over by `ssh … cat` into a local folder, then verified there like any folder copy. Key
authentication only (the project's ssh command line: BatchMode, ~/.ssh/config honoured)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from dse_tui.core.common.ssh import ssh_argv
from dse_tui.core.engine import supervisor
from dse_tui.core.engine.pipeline import Cancelled
from dse_tui.core.restore.found import DEPTH, MANIFEST, Found, PlaceError, head_of

TIMEOUT = 120  # a listing, a manifest
FILE_TIMEOUT = 7 * 86400  # one part: as long as it takes, unless cancelled

_SCP_LIKE = re.compile(r"(?:(?P<user>[^@/:\s]+)@)?(?P<host>[A-Za-z0-9_.\-]+|\[[0-9A-Fa-f:]+\]):(?P<path>/.*)")
_URL = re.compile(r"ssh://(?:(?P<user>[^@/:\s]+)@)?(?P<host>[A-Za-z0-9_.\-]+|\[[0-9A-Fa-f:]+\])"
                  r"(?::(?P<port>\d+))?(?P<path>/.*)")


@dataclass(frozen=True)
class Remote:
    host: str
    user: str | None
    port: int | None
    path: str

    def __str__(self) -> str:
        return f"{self.user + '@' if self.user else ''}{self.host}:{self.path}"


@dataclass(frozen=True)
class SshOptions:
    """What the command line adds to ~/.ssh/config: an identity file and -o options."""

    identity_file: str | None = None
    options: tuple[str, ...] = ()


def parse(place: str) -> Remote | None:
    """`user@host:/path` or `ssh://user@host:port/path`; None for anything else (a local path)."""
    m = _URL.fullmatch(place) or _SCP_LIKE.fullmatch(place)
    if not m:
        return None
    port = m.groupdict().get("port")
    return Remote(m["host"].strip("[]"), m["user"], int(port) if port else None, m["path"].rstrip("/") or "/")


def _argv(remote: Remote, ssh: SshOptions | None) -> list[str]:
    ssh = ssh or SshOptions()
    return ssh_argv(remote.host, remote.user, remote.port, ssh.identity_file, ssh.options)


def _run(remote: Remote, ssh: SshOptions | None, script: str) -> str:
    try:
        out = subprocess.run(_argv(remote, ssh) + [script], capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise PlaceError(f"{remote.host} did not answer in {TIMEOUT} s") from None
    if out.returncode != 0:
        said = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"
        raise PlaceError(f"{remote}: {said}")
    return out.stdout


def scan(remote: Remote, ssh: SshOptions | None, log=lambda line: None) -> list[Found]:
    """The run folders under the remote path: each manifest's first line read there (its fields; the
    per-file entries stay on the host)."""
    q = shlex.quote
    script = (f"test -d {q(remote.path)} || {{ echo 'no such folder' >&2; exit 2; }}; "
              f"find {q(remote.path)} -maxdepth {DEPTH + 1} -name {MANIFEST} -not -path '*/.*' "
              "-exec sh -c 'for f; do printf \"%s\\n\" \"$f\"; head -n 1 \"$f\"; printf \"\\n\"; done' _ {} +")
    lines = _run(remote, ssh, script).split("\n")
    found = []
    for path, first in zip(lines[0::2], lines[1::2]):
        if not path:
            continue
        head = _head(remote, ssh, path, first)
        if head is None:
            continue
        folder = path.rsplit("/", 1)[0]
        found.append(Found("ssh", str(head.get("site", "")), str(head.get("repository", "")), int(head["run_id"]),
                           folder.rsplit("/", 1)[-1], f"{Remote(remote.host, remote.user, remote.port, folder)}",
                           remote=Remote(remote.host, remote.user, remote.port, folder), driver=head.get("driver")))
    return found


def _head(remote: Remote, ssh, path: str, first: str) -> dict | None:
    text = first[:-1] + "]}" if first.endswith('"files":[') else first
    try:
        return head_of(json.loads(text))
    except ValueError:  # an older, indented manifest: read whole
        try:
            return head_of(json.loads(_run(remote, ssh, f"cat {shlex.quote(path)}")))
        except (ValueError, PlaceError):
            return None


def fetch(found: Found, ssh: SshOptions | None, out: Path, cancel: threading.Event, log=lambda line: None) -> None:
    """The copy's manifest, then every part it lists, brought into `out` (verified afterwards, there)."""
    from dse_tui.core.verification.manifest import read_manifest

    remote: Remote = found.remote
    _get(remote, ssh, MANIFEST, out, cancel)
    try:
        parts = read_manifest(out / MANIFEST).get("parts", [])
    except (OSError, ValueError) as exc:
        raise PlaceError(f"the manifest of {remote} cannot be read: {exc}") from None
    for p in parts:
        name = str(p.get("file", ""))
        if not name or "/" in name or name.startswith("."):
            raise PlaceError(f"the manifest of {remote} names a part {name!r} that is not a file of its folder")
        log(f"bringing {name} from {remote}")
        _get(remote, ssh, name, out, cancel)


def _get(remote: Remote, ssh, name: str, out: Path, cancel: threading.Event) -> None:
    with open(out / name, "wb") as f, tempfile.TemporaryFile() as err:
        ending, status = supervisor.run(_argv(remote, ssh) + [f"cat -- {shlex.quote(remote.path + '/' + name)}"],
                                        cancel=cancel, deadline=time.monotonic() + FILE_TIMEOUT,
                                        stdin=subprocess.DEVNULL, stdout=f, stderr=err)
        if ending is supervisor.Ending.CANCELLED:
            raise Cancelled()
        if ending is not supervisor.Ending.EXITED or status != 0:
            err.seek(0)
            said = err.read().decode(errors="replace").strip()
            raise PlaceError(f"{name} cannot be read from {remote}: "
                             f"{said.splitlines()[-1] if said else f'exit {status}'}")
