"""Drivers: how each kind of source is backed up. One module per driver, behind one small interface:

    backup(ctx)        make the run's parts with ctx.part(...), put what the manifest should say in ctx.meta
    describe(repo)     one line on what is backed up (no secrets)
    contents(manifest) what a run contains, for people (databases, branch heads, files...)
    tools(repo)        the programs it runs, for the manifest's tool versions and `check`
"""

from __future__ import annotations

import importlib
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO, Callable

from dse_tui.core.profile.config import Profile, Repository
from dse_tui.core.common.ssh import remote_command, target_argv
from dse_tui.core.engine.pipeline import Stage, StageResult, Tap, stream

DRIVER_NAMES = ("postgresql", "mysql", "sqlite", "git", "files")
EMPTY_FRAME = 64  # a zstd stream this small may hold nothing at all: look inside before trusting it


class BackupError(Exception):
    """The run cannot be satisfactory; the message says what went wrong and what to do."""


@dataclass
class Part:
    file: str
    size: int  # of what was written (encrypted, when it is)
    sha256: str
    commands: list[list[str]]
    exit_status: list[dict[str, Any]]
    plaintext: Tap | None = None  # the zstd stream before age, when encrypted

    def as_json(self) -> dict:
        out = {"file": self.file, "size": self.size, "sha256": self.sha256, "compression": "zstd",
               "commands": self.commands, "exit_status": self.exit_status}
        if self.plaintext is not None:
            out |= {"encryption": "age", "plaintext_size": self.plaintext.size,
                    "plaintext_sha256": self.plaintext.sha256}
        return out


@dataclass
class BackupContext:
    profile: Profile
    repo: Repository
    workdir: Path
    cancel: threading.Event
    deadline: float | None = None
    on_bytes: Callable[[int], None] | None = None  # total bytes written by the run so far
    log: Callable[[str], None] = lambda line: None
    parts: list[Part] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    stderr: list[str] = field(default_factory=list)
    recipients: tuple[str, ...] = ()  # age public keys: every part is encrypted as it is written
    # Why a complete run is still not a satisfactory backup (files it could not read): the run is kept, as
    # evidence and for what it does hold, but marked failed.
    unsatisfactory: str | None = None
    _written: int = 0

    def remaining(self, cap: float = 60.0) -> float:
        """Seconds left before the run's timeout, for steps that are not streamed (at most `cap`)."""
        if self.deadline is None:
            return cap
        return max(0.1, min(cap, self.deadline - time.monotonic()))

    def zstd(self) -> Stage:
        return Stage(["zstd", "-q", "-c", "-T0", f"-{self.profile.compression_level}"], name="zstd")

    def part(self, file: str, stages: list[Stage], *, feed: Callable[[BinaryIO], None] | None = None,
             expect_data: bool = True, tolerate: Callable[[StageResult], bool] | None = None) -> Part:
        """Stream `stages` | zstd [| age -r …] into `file` in the run's work folder (`file.age` when
        encrypted: no plaintext ever reaches the disk); fail on any non-zero exit, but for those `tolerate`
        says the driver has understood and accounts for itself (GNU tar's per-file warnings)."""
        from dse_tui.core.keys.crypto import SUFFIX, encrypt_stage

        tail = [self.zstd()]
        if self.recipients:
            file += SUFFIX
            tail = [Stage(tail[0].argv, name="zstd", tap=True), encrypt_stage(self.recipients)]
        path = self.workdir / file
        shown = " | ".join(shlex.join(s.argv) for s in stages + tail)
        self.log(f"{file}: {shown}")
        base = self._written

        def progress(n: int) -> None:
            self._written = base + n
            if self.on_bytes:
                self.on_bytes(self._written)

        with open(path, "wb") as out:
            result = stream(stages + tail, out, feed=feed, cancel=self.cancel, deadline=self.deadline,
                            progress=progress)
        for s in result.stages:
            if s.stderr.strip():
                self.stderr.append(f"--- {file}: {s.name} (exit {s.returncode})\n{s.stderr.rstrip()}")
        understood = tolerate is not None and result.feed_error is None and all(
            s.returncode == 0 or tolerate(s) for s in result.stages)
        if not result.ok and not understood:
            failure = result.failure()
            raise BackupError(f"{file}: {failure}{advice(failure)}")
        plain = result.tap
        if expect_data and (plain.size if plain else result.size) <= EMPTY_FRAME and \
                decompressed_size(plain.head if plain else path.read_bytes()) == 0:
            raise BackupError(f"{file}: the dump is empty where data was expected")
        part = Part(file, result.size, result.sha256, [s.argv for s in stages + tail],
                    [{"process": s.name, "status": s.returncode} for s in result.stages], plain)
        self.parts.append(part)
        self.log(f"{file}: {result.size} bytes, sha256 {result.sha256[:16]}…")
        return part


# What the tools say, and what the operator can do about it.
ADVICE = (
    # PostgreSQL: what an ordinary backup role lacks (first match wins: pg_authid before any table).
    ("permission denied for table pg_authid", "pg_dumpall reads the roles' password hashes, which only a superuser "
     "may: set source.globals: without-passwords (roles without their passwords) or false, or back up as a "
     "superuser"),
    ("permission denied for table", "the role needs SELECT on every table: GRANT pg_read_all_data TO the role "
     "(PostgreSQL 14+), or grant SELECT table by table"),
    ("permission denied for schema", "the role needs USAGE on every schema: GRANT pg_read_all_data TO the role "
     "(PostgreSQL 14+)"),
    ("permission denied for sequence", "the role needs SELECT on every sequence: GRANT pg_read_all_data TO the role"),
    ("permission denied to create database", "restore-level verification and restore create databases: ALTER "
     "ROLE … CREATEDB"),
    # MariaDB: a privilege missing, not a wrong password ("Access denied for user 'u'@'h' (using password…").
    ("the PROCESS privilege", "mariadb-dump lists tablespaces, which needs PROCESS: GRANT PROCESS ON *.* TO the "
     "user"),
    ("' to database '", "the user lacks privileges on that database: a backup user needs SELECT, SHOW VIEW, "
     "TRIGGER, EVENT and LOCK TABLES on it (and CREATE, DROP, INSERT… on `dse\\_verify\\_%` for restore-level "
     "verification)"),
    ("command denied to user", "the user lacks a privilege the dump needs: SELECT, SHOW VIEW, TRIGGER, EVENT, "
     "LOCK TABLES (and PROCESS for tablespaces)"),
    ("Access denied", "check the user and the password (password_env or passfile) in the profile"),
    ("password authentication failed", "check the user and the password (password_env or passfile) in the profile"),
    ("Permission denied (publickey", "ssh key authentication failed: check ssh.identity_file and the server's "
                                     "authorized_keys"),
    ("Could not resolve hostname", "check ssh.host (or host) in the profile"),
    ("Connection refused", "is the server running, and listening on that host and port?"),
    ("Connection timed out", "is the host reachable from here (network, firewall)?"),
    ("Can't connect", "is the server running, and listening on that host and port?"),
    ("does not exist", "check the names in the profile's source"),
    ("Unknown database", "check the names in the profile's source"),
    ("Cannot stat", "check the paths in the profile's source on that host"),
    ("No space left on device", "free space under storage.root or move it"),
)


def advice(failure: str | None) -> str:
    for needle, hint in ADVICE:
        if failure and needle in failure:
            return f" — {hint}"
    return ""


def attempt(stage: Stage, timeout: float, *, stdin: str | None = None,
            env: dict[str, str] | None = None) -> str | None:
    """Run a tool as the backup would (what `check` tries), its output thrown away: None, or the error in
    its own words and what to do about it."""
    from dse_tui.core.engine.pipeline import error_line

    try:
        out = subprocess.run(stage.argv, input=stdin or "", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return f"no answer within {timeout:.0f} s"
    if out.returncode == 0:
        return None
    failure = error_line(out.stderr) or f"exit status {out.returncode}"
    return failure + advice(failure)


def database_contents(manifest: dict) -> list[str]:
    out = []
    for db in manifest.get("databases", []):
        counts = manifest.get("row_counts", {}).get(db)
        out.append(f"database {db}" + (f": {len(counts)} tables, {sum(counts.values())} rows" if counts else ""))
    return out


def decompressed_size(data: bytes) -> int:
    """The size of a (tiny) zstd stream's content; 0 when it holds nothing or is not zstd."""
    out = subprocess.run(["zstd", "-dc"], input=data, capture_output=True)
    return len(out.stdout) if out.returncode == 0 else 0


def driver_module(name: str) -> ModuleType:
    if name not in DRIVER_NAMES:
        raise KeyError(name)
    return importlib.import_module(f"dse_tui.core.drivers.{name}")


def remote_shell(repo: Repository, script: str) -> list[str]:
    """A shell line run on the repository's SSH host (the caller quotes what needs quoting)."""
    return target_argv(repo.ssh) + ["--", script]


def remote(repo: Repository, command: list[str], env: dict[str, str] | None = None) -> list[str]:
    """`command` run on the repository's SSH host, its output streamed back; nothing is written there."""
    return remote_shell(repo, remote_command(command, env))
