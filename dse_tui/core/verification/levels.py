"""Verification of a run's artifact. Levels, each a superset of the one before:

    checksum   every part re-read: size and SHA-256 as the manifest says; the manifest as the catalog says
    structure  the tool's own reading of each part (driver.structure)
    restore    a trial restore into a scratch target that is always removed (driver.trial)

then the site's rules (core/rules.py). A level stops at its first failure: a part that fails its checksum
is not worth a trial restore. Drivers add their checks with `v.check(...)`; everything they make goes
under `v.scratch`, which is removed whatever happens (after a kill, by the next verification: claim_scratch).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable

from dse_tui.core.texts import active, check_name, said
from dse_tui.core.profile.model import VERIFY_LEVELS, Profile, Repository
from dse_tui.core.keys.crypto import IdentityError, Keyring, explain, is_encrypted, manifest_key_ids, plain_name
from dse_tui.core.engine.locks import OwnedFolder, claim_folder
from dse_tui.core.engine.pipeline import Cancelled, Stage, StreamResult, TimedOut, stream
from dse_tui.core.verification.manifest import VerifyFailed, load_manifest  # noqa: F401 (theirs to import from here)

# Reads that stay in the CPU's cache while they are hashed: with 64 KiB, hashing is at least as fast as
# OpenSSL's, where 4 MiB reads fell behind it in some runs (bench/verify_checksum.py --chunks). Copies use it.
READ_CHUNK = 64 << 10
_TELL_EVERY = 1 << 20  # bytes between looks at cancel, deadline and progress
SCRATCH = ".scratch"
SCRATCH_DATABASES = "databases.jsonl"  # in a scratch folder: the scratch databases made from it


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""
    # The check could not be made (a server down, a tool missing, out of time): it says nothing of the run.
    inconclusive: bool = False
    needs_key: bool = False  # inconclusive because no identity at hand opens the encrypted run

    def as_json(self) -> dict:
        out = {"name": self.name, "ok": self.ok, "detail": self.detail}
        if self.inconclusive:
            out["inconclusive"] = True
        if self.needs_key:
            out["needs_key"] = True
        return out


def only_key_missing(checks: list[Check]) -> bool:
    """Every check that did not pass failed only for want of the key (and at least one did)."""
    failed = [c for c in checks if not c.ok]
    return bool(failed) and all(c.needs_key for c in failed)


@dataclass
class VerifyContext:
    profile: Profile
    repo: Repository
    run_id: int
    run_dir: Path
    manifest: dict
    scratch: Path
    cancel: threading.Event
    deadline: float | None = None
    log: Callable[[str], None] = lambda line: None
    on_bytes: Callable[[int], None] | None = None
    checks: list[Check] = field(default_factory=list)
    keyring: Keyring | None = None  # the identities that open an encrypted run (none needed for checksum)
    _read: int = 0
    _decompressed: dict[str, Path] = field(default_factory=dict)

    # ---------------------------------------------------------- for drivers

    def count_read(self, n: int) -> None:
        """n more bytes of the run read (hashing a file): the verification's progress, and a cancel honoured."""
        self.stopping()
        self._read += n
        if self.on_bytes:
            self.on_bytes(self._read)

    def check(self, name: str, ok: bool, detail: str = "", *, unable: bool = False, needs_key: bool = False) -> bool:
        """Record a check; `unable` when a failure is of the surroundings (the server, a tool, time), not of
        the run: such a verification is inconclusive, never a verdict on the backup. `needs_key`: unable for
        want of the identity that opens an encrypted run."""
        unable = unable or needs_key
        self.checks.append(Check(name, ok, detail, inconclusive=unable and not ok, needs_key=needs_key and not ok))
        self.log(f"{'ok  ' if ok else ('N/A ' if unable else 'FAIL')} {name}: {detail}")
        return ok

    def parts(self, suffix: str = "") -> list[dict]:
        """The parts whose plaintext name ends with `suffix` (`.tar.zst` finds `x.tar.zst.age` too)."""
        return [p for p in self.manifest.get("parts", []) if plain_name(p["file"]).endswith(suffix)]

    def source(self, part: dict | str) -> list[Stage]:
        """The stages that read a part back as its uncompressed content: `zstd -d`, after `age -d` when it
        is encrypted (IdentityError when no identity at hand opens it)."""
        path = self.path(part)
        if isinstance(part, str):
            part = next((p for p in self.parts() if p["file"] == part), {"file": part})
        if not is_encrypted(part):
            return [Stage(["zstd", "-dc", "--", str(path)], name="zstd -d")]
        keyring = self.keyring or Keyring.for_profile(self.profile)
        self.keyring = keyring
        return [keyring.decrypt_stage(path, manifest_key_ids(self.manifest)), Stage(["zstd", "-dc"], name="zstd -d")]

    def failure(self, result: StreamResult) -> str | None:
        """A stream's failure in words, with the key needed when age found none that opens it."""
        return explain(result.failure(), manifest_key_ids(self.manifest))

    def path(self, part: dict | str) -> Path:
        return self.run_dir / (part["file"] if isinstance(part, dict) else part)

    def remaining(self, cap: float = 7 * 86400.0) -> float:
        if self.deadline is None:
            return cap
        return max(0.1, min(cap, self.deadline - time.monotonic()))

    def stopping(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TimedOut()

    def pipe(self, part: dict | str, stages: list[Stage], out=None, *, tail: int = 0,
             feed=None) -> tuple[StreamResult, bytes]:
        """`zstd -dc PART | stages...`, the last stdout into `out` (a binary file) or discarded; returns the
        result and the last `tail` bytes of that output."""
        sink = _Tail(out, tail)
        first = self.source(part)
        base = self._read

        def progress(n: int) -> None:
            if self.on_bytes:
                self.on_bytes(base + n)

        result = stream(first + stages, sink, feed=feed, cancel=self.cancel, deadline=self.deadline,
                        progress=progress, sync=False)
        self._read = base + result.size
        self.refuse_wrong_key(result)
        return result, sink.tail

    def refuse_wrong_key(self, result: StreamResult) -> None:
        """age finding no identity of ours in a header whose bytes are as written is a key problem, not a
        damaged backup: IdentityError (inconclusive), naming the key needed."""
        if not result.ok and "no identity matched" in (result.failure() or ""):
            raise IdentityError(self.failure(result) or "", manifest_key_ids(self.manifest))

    def read_with(self, part: dict | str, reader: Callable[[BinaryIO], None]) -> tuple[StreamResult, Exception | None]:
        """Stream a part's content into `reader` (e.g. Python's tarfile), which runs in a thread reading a
        pipe; (the stream's result, what the reader raised)."""
        read_end, write_end = os.pipe()
        raised: list[Exception] = []

        def run() -> None:
            with open(read_end, "rb") as f:
                try:
                    reader(f)
                except Exception as exc:
                    raised.append(exc)
                finally:
                    while f.read(1 << 20):  # drain: the stream must never block on a reader that stopped
                        pass

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            with open(write_end, "wb") as sink:
                result, _ = self.pipe(part, [], sink)
        finally:
            thread.join()
        return result, raised[0] if raised else None

    def ends_with(self, part: dict, marker: bytes, tool: str) -> None:
        """A dump tool writes its completion line last: without it the dump was cut short."""
        result, tail = self.pipe(part, [], tail=512)
        complete = result.ok and marker in tail
        self.check(f"complete {part['file']}", complete, said("verify.complete_ok", tool=tool) if complete
                   else self.failure(result) or said("verify.complete_missing", tool=tool))

    def decompressed(self, part: dict | str) -> Path:
        """The part decompressed into the scratch folder (once per verification)."""
        name = part["file"] if isinstance(part, dict) else part
        if name not in self._decompressed:
            target = self.scratch / plain_name(name).removesuffix(".zst")
            with open(target, "wb") as f:
                result, _ = self.pipe(part, [], f)
            if not result.ok:
                raise VerifyFailed(f"{name}: {self.failure(result)}")
            self._decompressed[name] = target
        return self._decompressed[name]

    def scratch_name(self) -> str:
        """A database name for a trial restore: unique, recognisable, safe unquoted in SQL. It is written
        in the scratch folder before the database is made: if this process dies, whoever finds the folder
        abandoned drops the database too (a killed trial restore must not leave gigabytes on the server)."""
        name = f"dse_verify_r{self.run_id}_{os.getpid()}_{secrets.token_hex(3)}"
        with open(self.scratch / SCRATCH_DATABASES, "a") as f:
            f.write(json.dumps({"repository": self.repo.id, "database": name}) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return name


class _Tail:
    """A write-only sink that passes data on to `out` (if any) and keeps the last `keep` bytes."""

    def __init__(self, out, keep: int):
        self.out, self.keep, self.tail = out, keep, b""

    def write(self, data: bytes) -> None:
        if self.out is not None:
            self.out.write(data)
        if self.keep:
            self.tail = (self.tail + data[-self.keep:])[-self.keep:]

    def flush(self) -> None:
        if self.out is not None:
            self.out.flush()

    def fileno(self) -> int:
        return self.out.fileno()


# ---------------------------------------------------------------- levels

def checksum(v: VerifyContext, manifest_sha256: str | None, *, parts: bool = True) -> None:
    """Re-read the manifest and every part (not the parts when `parts` is false: a restore of some files,
    which holds what it restores to the per-file entries instead); the manifest's own digest is the one the
    catalog recorded."""
    if manifest_sha256:
        actual = hashlib.sha256((v.run_dir / "manifest.json").read_bytes()).hexdigest()
        v.check("manifest", actual == manifest_sha256,
                said("verify.manifest_ok") if actual == manifest_sha256
                else said("verify.manifest_changed", actual=actual[:16], recorded=manifest_sha256[:16]))
    for part in v.parts() if parts else []:
        path = v.path(part)
        if not path.is_file():
            v.check(f"checksum {part['file']}", False, said("verify.part_missing", path=path))
            continue
        size, digest = sha256_file(path, v)
        if size != part["size"]:
            v.check(f"checksum {part['file']}", False, said("verify.part_size", size=size, recorded=part["size"]))
        elif digest != part["sha256"]:
            v.check(f"checksum {part['file']}", False, said("verify.part_digest", actual=digest[:16],
                                                                 recorded=part["sha256"][:16]))
        else:
            v.check(f"checksum {part['file']}", True, said("verify.part_ok", size=size))


def sha256_file(path: Path, v: VerifyContext | None = None, *,
                on_read: Callable[[int], None] | None = None) -> tuple[int, str]:
    """(size, SHA-256) of a file. `on_read(n)`: n more bytes were read (every _TELL_EVERY bytes and at the
    end); with a VerifyContext, its own count_read (which also stops a cancelled verification)."""
    if v is not None:
        on_read = v.count_read
    digest = hashlib.sha256()
    buf = bytearray(READ_CHUNK)
    view = memoryview(buf)
    size = told = 0
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            digest.update(view[:n])
            size += n
            if on_read is not None and (size - told >= _TELL_EVERY or n < len(buf)):
                on_read(size - told)
                told = size
    if on_read is not None and size != told:
        on_read(size - told)
    return size, digest.hexdigest()


def verify_artifact(v: VerifyContext, level: str, *, manifest_sha256: str | None = None,
                    checksum_done: bool = False) -> bool:
    """Run the levels up to `level`; False at the first level with a failed check. Raises Cancelled or
    TimedOut. `checksum_done`: the runner's read-back has just done it."""
    from dse_tui.core import drivers

    driver = drivers.get(v.repo.driver)
    steps = {"checksum": lambda: v.check("checksum", True, said("verify.read_back"))
             if checksum_done else checksum(v, manifest_sha256),
             "structure": lambda: driver.structure(v),
             "restore": lambda: driver.trial(v)}
    for name in VERIFY_LEVELS[:VERIFY_LEVELS.index(level) + 1]:
        try:
            steps[name]()
        except VerifyFailed as exc:
            v.check(name, False, str(exc))
        except IdentityError as exc:  # the run may be fine: what is missing is the key, not the backup
            v.check(name, False, str(exc), needs_key=True)
        except subprocess.TimeoutExpired:  # a tool past the repository's timeout: the same as a stream's
            raise TimedOut() from None
        except FileNotFoundError as exc:
            if exc.filename and "/" not in str(exc.filename):  # a tool, not a part: nothing said of the run
                v.check(name, False, said("run.msg.not_installed", tool=exc.filename), unable=True)
            else:
                v.check(name, False, f"{exc.strerror}: {exc.filename}")
        except OSError as exc:  # unreadable part, full scratch disk: this run's verification fails, says why
            v.check(name, False, f"{exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}")
        if not all(c.ok for c in v.checks):
            return False
    return True


def claim_scratch(profile: Profile, run_id: int) -> OwnedFolder:
    """A scratch folder of this process's own for checking `run_id`, removed on release; those of processes
    that died (kill -9, power cut) go when the next one is claimed, with the scratch databases they made."""
    return claim_folder(profile.storage_root / SCRATCH, f"verify-r{run_id}",
                        on_abandoned=lambda folder: drop_abandoned_databases(profile, folder))


def drop_abandoned_databases(profile: Profile, folder: Path) -> bool:
    """The scratch databases a dead verification or restore listed in its folder, dropped where they are;
    False when one could not be (the server down): the folder then stays, to try again."""
    from dse_tui.core import drivers

    listed = folder / SCRATCH_DATABASES
    if not listed.is_file():
        return True
    dropped = True
    for line in listed.read_text().splitlines():
        try:
            entry = json.loads(line)
            repo = profile.repository(entry["repository"])
        except (ValueError, KeyError):  # a line cut by the kill, a repository since removed from the profile
            continue
        if entry["database"].startswith("dse_verify_"):
            dropped = drivers.get(repo.driver).drop_scratch(repo, entry["database"]) is None and dropped
    return dropped


def summary(checks: list[Check]) -> str:
    failed = [c for c in checks if not c.ok]
    if not failed:
        return said("verify.passed_all", n=len(checks))
    # The message is read as its checks are (the dashboard, the mail, `verify`): names in the same language.
    lang = active()
    return "; ".join(f"{check_name(c.name, lang)}: {c.detail}" for c in failed[:3]) + (" …" if len(failed) > 3 else "")


def compare_counts(v: VerifyContext, name: str, expected: dict[str, int] | None, actual: dict[str, int]) -> None:
    """Row counts after a trial restore against those recorded at backup time."""
    if expected is None:
        v.check(name, True, said("verify.tables_uncounted", n=len(actual)))
        return
    diffs = [said("verify.rows_table_missing", table=t, recorded=n) if t not in actual else
             said("verify.rows_differ", table=t, rows=actual[t], recorded=n)
             for t, n in expected.items() if actual.get(t) != n]
    diffs += [said("verify.rows_unrecorded", table=t) for t in actual if t not in expected]
    v.check(name, not diffs, "; ".join(diffs[:5]) + (" …" if len(diffs) > 5 else "") if diffs
            else said("verify.tables_ok", n=len(expected), rows=sum(expected.values())))
