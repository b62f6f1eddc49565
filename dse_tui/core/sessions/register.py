"""Registering a manual backup: the files a finished checklist session produced become a run of trigger
`manual`, linked to the session, made exactly like an automatic one (parts compressed with zstd, manifest,
read-back, verification at the repository's level), so they enter the same copy and label flow and, when
good, clear the repository's manual-required state."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import Callable

from dse_tui.core.catalog import Catalog
from dse_tui.core.catalog.lifecycle import SessionState
from dse_tui.core import drivers
from dse_tui.core.drivers.base import BackupContext, BackupError
from dse_tui.core.engine.outcome import RunOutcome
from dse_tui.core.sessions.machine import SessionError
from dse_tui.core.engine.pipeline import Stage
from dse_tui.core.engine.supervisor import Children
from dse_tui.core.texts import Text

PGDMP = b"PGDMP"  # pg_dump's custom format
_DECOMPRESS = {b"\x28\xb5\x2f\xfd": ("zstd", ".zst"), b"\x1f\x8b": ("gzip", ".gz")}


def _compression(path: Path) -> tuple[str, str] | None:
    """(tool, suffix) of a zstd or gzip file: stored decompressed, then compressed as every part is, so the
    driver's checks see what is inside."""
    with open(path, "rb") as f:
        head = f.read(4)
    return next((v for magic, v in _DECOMPRESS.items() if head.startswith(magic)), None)


def _reader(path: Path) -> Stage:
    if path.is_dir():
        return Stage(["tar", "-C", str(path.parent), "-cf", "-", "--", path.name], name="tar")
    packed = _compression(path)
    if packed:
        return Stage([packed[0], "-dc", "--", str(path)], name=f"{packed[0]} -d")
    return Stage(["cat", "--", str(path)], name="read")


def _head(path: Path, n: int) -> bytes:
    packed = _compression(path)
    if not packed:
        with open(path, "rb") as f:
            return f.read(n)
    children = Children()
    proc = children.start([packed[0], "-dc", "--", str(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        return proc.stdout.read(n)
    finally:
        proc.stdout.close()  # the decompressor ends on its next write (SIGPIPE), or by the stop
        children.stop()


def _kind_suffix(head: bytes) -> str | None:
    """The suffix of the driver parts whose checks fit this content (None: checked by checksum only)."""
    if head.startswith(PGDMP):
        return ".pgdump"
    if head.startswith(b"SQLite format 3\0"):
        return ".sqlite"
    if head.startswith((b"# v2 git bundle", b"# v3 git bundle")):
        return ".bundle"
    if head[257:262] == b"ustar":
        return ".tar"
    return None


def part_name(driver: str, path: Path) -> str:
    """The part a manual file becomes, named as the drivers' own parts (by what it holds, not what it is
    called) so their checks apply to it."""
    if path.is_dir():
        return f"{path.name}.tar.zst"
    packed = _compression(path)
    name = path.name.removesuffix(packed[1]) if packed else path.name
    suffix = _kind_suffix(_head(path, 512))
    if suffix is None or name.endswith(suffix):
        return f"{name}.zst"
    return f"{name.rsplit('.', 1)[0] if '.' in name else name}{suffix}.zst"


def check_files(driver: str, files: list[str]) -> list[tuple[Path, str]]:
    """(file, part name) of each file to register; SessionError naming the first that cannot be."""
    if not files:
        raise SessionError("register.no_files")
    chosen: dict[str, Path] = {}
    for name in files:
        path = Path(name).expanduser().absolute()
        if not path.exists():
            raise SessionError("register.missing", path=path)
        if not (path.is_file() or path.is_dir()):
            raise SessionError("register.not_file", path=path)
        if path.is_file() and path.stat().st_size == 0:
            raise SessionError("register.empty", path=path)
        try:
            part = part_name(driver, path)
        except OSError as exc:
            raise SessionError("register.unreadable", path=path, error=exc.strerror) from None
        if part in chosen:
            raise SessionError("register.same_name", path=path, other=chosen[part], part=part)
        chosen[part] = path
    own = drivers.get(driver).manual_part  # the part that makes a manual backup of this driver a backup at all
    if not any(part.endswith(own[0]) for part in chosen):
        raise SessionError("register.no_own_part", what=own[1], driver=driver)
    return [(p, part) for part, p in chosen.items()]


def _producer(files: list[tuple[Path, str]], session_id: int, driver: str) -> Callable[[BackupContext], None]:
    def produce(ctx: BackupContext) -> None:
        listed = []
        for path, part in files:
            written = ctx.part(part, [_reader(path)])
            listed.append({"path": str(path), "part": written.file, "size": written.size})
        ctx.meta["manual"] = {"session_id": session_id, "files": listed}
        ctx.meta.update(drivers.get(driver).manual_meta([p for _, p in files]))
        if not listed:
            raise BackupError("backup.no_files")
    return produce


def register_files(profile, catalog: Catalog, session_id: int, files: list[str], *, operator: str | None = None,
                   cancel: threading.Event | None = None, log: Callable[[str], None] | None = None,
                   on_progress=None) -> RunOutcome:
    """Make the files a run of the session's repository; SessionError when they or the session cannot be."""
    from dse_tui.core.engine.runner import run_repository

    row = catalog.session(session_id)
    if row is None:
        raise SessionError("register.no_session", session=session_id)
    if row.state != SessionState.FINISHED:
        raise SessionError("register.not_finished", session=session_id, state=Text(f"session.state.{row.state}"))
    try:
        repo = profile.repository(row.repository)
    except KeyError:
        raise SessionError("register.repository_gone", repo=row.repository, session=session_id) from None
    chosen = check_files(repo.driver, files)
    outcome = run_repository(profile, repo, trigger="manual", operator=operator, cancel=cancel, log=log,
                             on_progress=on_progress, producer=_producer(chosen, session_id, repo.driver),
                             session_id=session_id)
    catalog.record_event("session registered", outcome.state, repository=repo.id, operator=operator,
                         detail={"session_id": session_id, "run_id": outcome.run_id,
                                 "files": [str(p) for p, _ in chosen], "message": outcome.message})
    return outcome
