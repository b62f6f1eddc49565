"""A folder on another host over SSH: each file streamed through `ssh … cat`, renamed into place once all
are there, and read back with the host's own sha256sum."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import time

from dse_tui.core.catalog.media import Copy
from dse_tui.core.destinations.job import CHUNK, MANIFEST, Copied, CopyError, Job, Unreachable
from dse_tui.core.engine.supervisor import Children, Ending
from dse_tui.core.profile.model import Destination
from dse_tui.core.texts import Text

SSH_TIMEOUT = 120
VERIFY_TIMEOUT = 3600


def _ssh(dest: Destination) -> list[str]:
    from dse_tui.core.common.ssh import ssh_argv

    d = dest.settings
    return ssh_argv(d["host"], d.get("user"), d.get("port"), d.get("identity_file"), d.get("options") or ())


def _remote(dest: Destination, script: str, timeout: float = SSH_TIMEOUT) -> str:
    out = subprocess.run(_ssh(dest) + [script], capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        message = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"
        raise CopyError("copy.ssh_failed", dest=dest.id, host=dest.settings["host"], message=message)
    return out.stdout


def _send(job: Job, f: dict, tmp: str) -> None:
    """One part written into the remote folder `tmp` by `cat`, over its own ssh."""
    dest, q = job.dest, shlex.quote
    children = Children()
    proc = children.start(_ssh(dest) + [f"cat > {q(tmp + '/' + f['file'])}"], stdin=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    try:
        with open(job.source / f["file"], "rb") as fin:
            try:
                while chunk := fin.read(CHUNK):
                    proc.stdin.write(chunk)
                    job.progress(len(chunk))
                proc.stdin.close()
            except BrokenPipeError:
                pass
        err = proc.stderr.read().decode(errors="replace").strip()
        ended = children.wait(deadline=time.monotonic() + SSH_TIMEOUT)
        if ended is not Ending.EXITED or proc.returncode != 0:
            raise CopyError("copy.ssh_write_failed", dest=dest.id, file=f["file"], error=err.splitlines()[-1] if err else "ssh")
    finally:  # a cancel (raised by job.progress) or any error: the ssh does not outlive the copy
        children.stop()
        for pipe in (proc.stdin, proc.stderr):
            try:
                pipe.close()
            except OSError:  # what was still buffered for a reader that is gone
                pass


def copy(job: Job) -> Copied:
    dest, q = job.dest, shlex.quote
    final = f"{dest.path}/{job.profile.site.id}/{job.run.repository}/{job.name}"
    tmp = f"{final}.tmp-{os.getpid()}"
    _remote(dest, f"rm -rf {q(tmp)} && mkdir -p {q(tmp)}")
    try:
        for f in job.files:
            _send(job, f, tmp)
        _remote(dest, f"sync; rm -rf {q(final)} && mv {q(tmp)} {q(final)}")
    except BaseException:
        try:
            _remote(dest, f"rm -rf {q(tmp)}")
        except (CopyError, OSError, subprocess.TimeoutExpired):
            pass
        raise
    listing = _remote(dest, f"cd {q(final)} && sha256sum -- " + " ".join(q(f["file"]) for f in job.files),
                      timeout=max(SSH_TIMEOUT, job.size / 20e6))
    got = _digests(listing)
    for f in job.files:
        if got.get(f["file"]) != f["sha256"]:
            raise CopyError("copy.ssh_read_back_differs", file=f["file"], host=dest.settings["host"], path=final)
    return Copied(f"{dest.settings['host']}:{final}", device(dest), [])


def _digests(listing: str) -> dict[str, str]:
    """sha256sum's lines, by file name."""
    got = {}
    for line in listing.splitlines():
        digest, _, name = line.partition("  ")
        got[name] = digest
    return got


def _verify_run(dest: Destination, folder: str, script: str) -> bytes:
    """`script` on the host, for a verification: ssh's own failure is the host's (Unreachable), not the
    copy's."""
    host = dest.settings["host"]
    try:
        out = subprocess.run(_ssh(dest) + [script], capture_output=True, timeout=VERIFY_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Unreachable("copy.host_silent", host=host) from None
    err = out.stderr.decode(errors="replace").strip()
    last = err.splitlines()[-1] if err else f"exit {out.returncode}"
    if out.returncode == 255:  # ssh's own failure: the host, not the copy
        raise Unreachable("copy.host_said", host=host, error=last)
    if out.returncode != 0:
        raise CopyError("copy.remote_folder", folder=folder, host=host, error=last)
    return out.stdout


def verify(job: Job, existing: Copy) -> None:
    dest, files = job.dest, job.files
    folder = (existing.path or "").split(":", 1)[-1]
    q = shlex.quote
    if files[0]["size"] is None:  # pruned here: the copy's own manifest, if it is still the one recorded
        text = _verify_run(dest, folder, f"cat {q(folder + '/' + MANIFEST)}")
        if hashlib.sha256(text).hexdigest() != files[0]["sha256"]:
            raise CopyError("copy.remote_manifest_changed", manifest=MANIFEST, host=dest.settings["host"], folder=folder)
        parts = json.loads(text)["parts"]
        files = [{"file": p["file"], "sha256": p["sha256"]} for p in parts] + files
    listing = _verify_run(dest, folder, f"cd {q(folder)} && sha256sum -- " + " ".join(q(f["file"]) for f in files))
    got = _digests(listing.decode(errors="replace"))
    for f in files:
        if got.get(f["file"]) != f["sha256"]:
            raise CopyError("copy.remote_file_changed", file=f["file"], host=dest.settings["host"], folder=folder)


def describe(dest: Destination) -> str:
    d = dest.settings
    where = f"{d['user']}@{d['host']}" if d.get("user") else d["host"]
    if d.get("port"):
        return Text("dest.ssh_port", where=where, path=dest.path, port=d["port"])
    return Text("dest.ssh", where=where, path=dest.path)


def device(dest: Destination) -> str | None:
    d = dest.settings
    return f"ssh:{d.get('user') or ''}@{d['host']}:{d.get('port') or 22}"


def tools(dest: Destination) -> list[str]:
    return ["ssh"]  # sha256sum runs on the host: its check is the destination's own probe
