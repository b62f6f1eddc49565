"""Pipelines of child processes whose output is hashed and written to a file as it streams.

The processes are started and stopped by the supervisor (supervisor.py), as one: a cancel or a timeout
stops all of them and whatever they started.
Their stderr goes to files (a pipe could fill and deadlock), and every exit status is kept: a non-zero
status anywhere makes the part fail.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable

from dse_tui.core.engine import teetap
from dse_tui.core.engine.supervisor import GRACE, Children, Ending
from dse_tui.core.texts import said

CHUNK = 1 << 20
NOISE = ("Exiting with failure status", "report unexpected or unhelpful errors", "did you mean to use -a")
HEAD = 128  # bytes of a tapped stream kept, to look inside a tiny one (an empty dump)
F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ, named in Python 3.10+ only on some builds


class Cancelled(Exception):
    """The operator (or a shutdown) asked the run to stop."""


class TimedOut(Exception):
    pass


@dataclass
class Stage:
    argv: list[str]
    env: dict[str, str] | None = None  # extra environment (secrets go here, never in argv)
    name: str = ""
    # Pipes the child reads a secret from as /dev/fd/N (secret_pipe); the parent's ends close once it starts.
    pass_fds: tuple[int, ...] = ()
    # Hash this stage's output on its way to the next one (the plaintext before an encryption stage).
    tap: bool = False
    # This stage may stop reading once it has what it needs (`pg_restore --list` after the table of
    # contents, `tar -x` at the end-of-archive blocks). What feeds it is then drained to its end through a
    # relay, so the stages before it finish (and check their whole input) instead of dying of SIGPIPE.
    stops_early: bool = False

    @property
    def label(self) -> str:
        return self.name or Path(self.argv[0]).name


@dataclass
class StageResult:
    name: str
    argv: list[str]
    returncode: int | None
    stderr: str


@dataclass
class Tap:
    """What passed between a `tap` stage and the next: size, SHA-256, and the first bytes."""
    size: int = 0
    sha256: str = ""
    head: bytes = b""
    broken: bool = False  # the next stage stopped reading before the end
    drained: int = 0  # bytes read to the end after a stage that stops early had stopped


@dataclass
class StreamResult:
    size: int
    sha256: str
    stages: list[StageResult] = field(default_factory=list)
    feed_error: str | None = None
    tap: Tap | None = None
    read_back: tuple[int, str] | None = None  # (size, SHA-256) read back from the device (read_back=True)

    @property
    def ok(self) -> bool:
        return self.feed_error is None and all(s.returncode == 0 for s in self.stages)

    def failure(self) -> str | None:
        """The first failure in words: which process, its status and the line where it says why."""
        if self.feed_error:
            return self.feed_error
        failed = [s for s in self.stages if s.returncode != 0]
        # A writer killed by SIGPIPE only tells that its reader died first: the reader's error is the news.
        cause = [s for s in failed if not _broken_pipe(s.returncode)] or failed
        if not cause:
            return None
        s = cause[0]
        line = error_line(s.stderr)
        return said("tool.exited", tool=s.name, status=s.returncode) + (f": {line}" if line else "")


# A tool's error line, strongest first: `fatal:` (git), PostgreSQL's `ERROR:`/`FATAL:`, then any `error:`.
_STRONG = re.compile(r"\b(fatal|FATAL|PANIC|ERROR)\b:|\b(?i:permission denied)\b")
_WEAK = re.compile(r"\berror\b", re.IGNORECASE)


def error_line(stderr: str) -> str:
    """The line of a tool's stderr that says what went wrong: the first that names an error (tools add
    details and consequences after it: `pg_dumpall: detail: Query was: …`, `error: pack-objects died`),
    else the last that says something."""
    lines = [line.strip() for line in stderr.splitlines()
             if line.strip() and not any(noise in line for noise in NOISE)]
    for pattern in (_STRONG, _WEAK):
        for line in lines:
            if pattern.search(line):
                return line
    return lines[-1] if lines else ""


def _broken_pipe(status: int | None) -> bool:
    return status in (-signal.SIGPIPE, 128 + signal.SIGPIPE)  # killed by it, or a shell reporting that


class Progress:
    """Bytes written so far, reported at most every `interval` seconds."""

    def __init__(self, callback: Callable[[int], None] | None, interval: float = 0.1):
        self.callback, self.interval, self.last = callback, interval, 0.0

    def __call__(self, written: int, force: bool = False) -> None:
        now = time.monotonic()
        if self.callback and (force or now - self.last >= self.interval):
            self.last = now
            self.callback(written)


def stream(stages: list[Stage], out: BinaryIO, *, feed: Callable[[BinaryIO], None] | None = None,
           cancel: threading.Event | None = None, deadline: float | None = None,
           progress: Callable[[int], None] | None = None, sync: bool = True,
           read_back: bool = False) -> StreamResult:
    """Run `stages` connected by pipes; hash and write the last one's stdout to `out` (then fsync it,
    unless `sync` is false: verification and restores read, they keep nothing of their own). With
    `read_back` (a file, synced), the file is also read back from the device as it is written
    (readbehind.py): the result's `read_back`.

    `feed`, if given, writes the first stage's stdin from a thread (e.g. a tar stream made in Python).
    Raises Cancelled or TimedOut after stopping every process of it.
    """
    children = Children()
    procs = children.procs
    errs = []
    feed_error: list[str] = []
    relays: list[threading.Thread] = []
    threads: list[threading.Thread] = []  # the feeder and the relays, joined whatever happens
    tap = None
    handed = 0  # stages whose secret pipes are closed on our side
    behind = None
    direct = None
    try:
        prev_stdout = None
        for i, stage in enumerate(stages):
            err = tempfile.TemporaryFile()
            errs.append(err)
            tapped = i > 0 and stages[i - 1].tap
            relayed = i > 0 and (tapped or stage.stops_early)
            stdin = (subprocess.PIPE if relayed or (i == 0 and feed)
                     else prev_stdout if prev_stdout is not None else subprocess.DEVNULL)
            env = {**os.environ, **stage.env} if stage.env else None
            try:
                proc = children.start(stage.argv, stdin=stdin, stdout=subprocess.PIPE, stderr=err, env=env,
                                      pass_fds=stage.pass_fds)
            finally:
                _close_fds(stage.pass_fds)
                handed = i + 1
            _widen(proc.stdin)
            _widen(proc.stdout)
            if relayed:
                seen = Tap()
                if tapped:
                    tap = seen
                relays.append(threading.Thread(target=_relay, daemon=True, args=(
                    prev_stdout, proc.stdin, seen, feed_error, stage.stops_early)))
            elif prev_stdout is not None:
                prev_stdout.close()  # the child has it now; our copy would keep the pipe open
            prev_stdout = proc.stdout
        feeder = None
        if feed:
            feeder = threading.Thread(target=_feed, args=(feed, procs[0].stdin, feed_error), daemon=True)
            threads.append(feeder)
            feeder.start()
        for relay in relays:
            threads.append(relay)
            relay.start()
        # The supervisor's watch stops the processes on cancel or timeout; the reads below then meet end of
        # file. Blocking reads with no select() per chunk keep the copy as cheap as a shell pipe.
        watch = children.watch(cancel, deadline)
        digest = hashlib.sha256()
        size = 0
        report = Progress(progress)
        fd = procs[-1].stdout.fileno()
        if read_back:
            from dse_tui.core.engine.directout import DirectOut
            from dse_tui.core.engine.readbehind import ReadBehind
            direct = DirectOut.open(out) if sync else None
            # Written from our own buffer, the bytes can be kept until the device returns them, and compared.
            behind = ReadBehind(out.fileno(), compare=direct is not None)
            if direct is not None:
                direct.on_write = behind.kept
        if direct is not None:
            # Read straight into the direct writer's buffer, hashed there, written past the page cache.
            while n := os.readv(fd, [direct.space()]):
                digest.update(direct.view(direct.fill, direct.fill + n))
                size += n
                direct.add(n)
                report(size)
                if behind.due(direct.written):
                    behind.wrote(direct.written)
            direct.finish()
            direct = None
        else:
            # Read into one buffer, reused: no new object per chunk (measured on a 1 GiB files backup: the
            # relay's CPU 0.60-0.65 s -> 0.49-0.51 s); the writer is given a view of it, which it never keeps.
            buffer = memoryview(bytearray(CHUNK))
            while n := os.readv(fd, [buffer]):
                chunk = buffer[:n]
                out.write(chunk)
                digest.update(chunk)
                size += n
                report(size)
                if behind is not None and behind.due(size):
                    out.flush()
                    behind.wrote(size)
        if feeder:
            feeder.join()
        for relay in relays:
            relay.join()
        ending = watch.result()
        if ending is not Ending.EXITED:
            raise Cancelled() if ending is Ending.CANCELLED else TimedOut()
        report(size, force=True)
        out.flush()
        if sync:
            os.fsync(out.fileno())
        if behind is not None:
            behind.expect(digest.hexdigest())
        read = behind.finish(size) if behind is not None else None
        behind = None
        results = []
        for stage, proc, err in zip(stages, procs, errs):
            err.seek(0)
            results.append(StageResult(stage.label, stage.argv, proc.returncode,
                                       err.read().decode("utf-8", "replace")))
        if tap and tap.broken and all(r.returncode == 0 for r in results):
            feed_error.append("the stage after the hash stopped reading before the end")
        return StreamResult(size, digest.hexdigest(), results, feed_error[0] if feed_error else None, tap, read)
    except BaseException:
        if direct is not None:
            direct.close()
        if behind is not None:
            behind.abort()
        for later in stages[handed:]:
            _close_fds(later.pass_fds)
        children.stop()
        for thread in threads:  # their pipes meet end of file once the processes are gone: then close them
            thread.join(timeout=GRACE)
        raise
    finally:
        for proc in procs:
            for pipe in (proc.stdin, proc.stdout):
                if pipe:
                    _close_quietly(pipe)
        for err in errs:
            err.close()


def _widen(pipe) -> None:
    """1 MiB pipes instead of 64 KiB: fewer wake-ups between the stages."""
    if pipe is not None:
        try:
            fcntl.fcntl(pipe.fileno(), F_SETPIPE_SZ, CHUNK)
        except OSError:  # above /proc/sys/fs/pipe-max-size for this user: the default still works
            pass


def _feed(feed: Callable[[BinaryIO], None], pipe: BinaryIO, errors: list[str]) -> None:
    try:
        feed(pipe)
    except BrokenPipeError:
        errors.append("the compressor stopped reading (see its status)")
    except Exception as exc:  # reported as the part's failure, not lost in a thread
        errors.append(f"reading the source failed: {exc}")
    finally:
        _close_quietly(pipe)


def _relay(src: BinaryIO, dst: BinaryIO, tap: Tap, errors: list[str], drain: bool = False) -> None:
    """Copy one stage's output into the next one's input, hashing it on the way. With `drain`, a next
    stage that stops reading is allowed (its own status judges it) and the rest is read to the end."""
    digest = hashlib.sha256()
    fd = src.fileno()
    try:
        if not drain and teetap.available():
            dst.flush()
            digest = teetap.relay(fd, dst.fileno(), tap, HEAD)
            return
        while chunk := os.read(fd, CHUNK):
            digest.update(chunk)
            if len(tap.head) < HEAD:
                tap.head += chunk[:HEAD - len(tap.head)]
            tap.size += len(chunk)
            try:
                dst.write(chunk)
            except BrokenPipeError:
                if not drain:
                    raise
                _close_quietly(dst)
                tap.drained += _read_to_end(fd, digest, tap)
                break
    except BrokenPipeError:
        tap.broken = True  # the next stage died: its own status says why (checked after the stream)
    except (OSError, ValueError) as exc:  # ValueError: a pipe closed under us by a stop
        errors.append(f"passing the stream on failed: {exc}")
    finally:
        tap.sha256 = digest.hexdigest()
        for pipe in (dst, src):
            _close_quietly(pipe)


def _read_to_end(fd: int, digest, tap: Tap) -> int:
    read = 0
    while chunk := os.read(fd, CHUNK):
        digest.update(chunk)
        tap.size += len(chunk)
        read += len(chunk)
    return read


def _close_quietly(pipe) -> None:
    try:
        pipe.close()
    except (OSError, ValueError):  # BrokenPipeError flushing what the dead reader never took
        pass


def secret_pipe(data: bytes) -> int:
    """The read end of a pipe that holds `data` whole: a child reads the secret from /dev/fd/N (give N
    in Stage.pass_fds), so it is never in argv, in the environment or on disk."""
    if len(data) > 60_000:  # must fit the pipe's buffer: nobody reads it before the child starts
        raise ValueError("secret too large for a pipe")
    read, write = os.pipe()
    try:
        os.write(write, data)
    finally:
        os.close(write)
    return read


def _close_fds(fds: tuple[int, ...]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
