"""A run restored from a copy anywhere (`dse-tui restore --from PLACE`), with or without this machine's
profile and catalog: the worst day's restore, on a new machine with only dse-tui installed.

    found.py     what the places hold (folder copies, discs, SSH folders), the run chosen
    discset.py   a spanning disc set put back together, a missing disc asked for by its code
    sshcopy.py   a copy on another host brought over
    place.py     the copy verified against its own manifest (and, for a copy encrypted on its way, the
                 plaintext against the run's digests the twin's manifest keeps), then restored by the
                 run's driver, as `restore RUN` does; recorded when there is a catalog

The copy says what it is: its manifest names the site, the repository, the run and the driver. A
database target's server is named on the command line (host, port, user; a password only from the
environment or a passfile). Nothing is written to the target before the whole copy has verified."""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Callable

from dse_tui.core import drivers
from dse_tui.core.catalog.lifecycle import RestoreOutcome as Outcome
from dse_tui.core.drivers.base import BackupError, RestoreError, RestoreTarget
from dse_tui.core.engine.locks import OwnedFolder, claim_folder
from dse_tui.core.engine.pipeline import Cancelled, TimedOut, stream
from dse_tui.core.keys.crypto import IdentityError, Keyring, is_encrypted, manifest_key_ids
from dse_tui.core.profile.model import Profile, Repository, Retention, Site
from dse_tui.core.profile.periods import Periodicity
from dse_tui.core.restore import discset, sshcopy
from dse_tui.core.restore.found import MANIFEST, Found, PlaceError, choose, scan_path
from dse_tui.core.texts import said
from dse_tui.core.restore.run import refuse_unconfirmed, target_words, what_words
from dse_tui.core.verification.levels import VerifyContext, checksum, claim_scratch
from dse_tui.core.verification.manifest import Entries, VerifyFailed, load_manifest

# A path that is no one's source: a run restored with no profile has no live source to protect.
NO_SOURCE = Path("/nonexistent/dse-tui-no-profile")
SERVER_KEYS = ("host", "port", "user", "password_env", "passfile")  # never a password itself


@dataclass
class Opened:
    """A copy made whole in a local folder: read in place (a folder copy), or put together under `holder`
    (discs, SSH), which close() removes."""

    found: Found
    folder: Path
    manifest: dict
    manifest_sha256: str | None  # what manifest.json must hash as (a disc set's index says), or None
    holder: OwnedFolder | None = None

    @property
    def run_id(self) -> int:
        return int(self.manifest["run_id"])

    @property
    def where(self) -> str:
        return self.found.where

    @property
    def encrypted_on_the_way(self) -> bool:
        return bool(self.manifest.get("encrypted_copy_of"))

    def close(self) -> None:
        if self.holder:
            self.holder.release()
            self.holder = None

    def __enter__(self) -> "Opened":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def scan(places: list[str], *, ssh: sshcopy.SshOptions | None = None, log=lambda line: None) -> list[Found]:
    """Everything found in `places`; PlaceError for a place that is not there at all."""
    found: list[Found] = []
    for place in places:
        remote = sshcopy.parse(place)
        if remote is not None and not Path(place).exists():
            found += sshcopy.scan(remote, ssh, log)
            continue
        path = Path(place).expanduser()
        if not path.exists():
            raise PlaceError("restore.place.missing", place=place)
        found += scan_path(path)
    return found


def open_copy(places: list[str], run_id: int | None, work: Path, *, ask: discset.Ask | None = None,
              ssh: sshcopy.SshOptions | None = None, cancel: threading.Event | None = None,
              log: Callable[[str], None] = lambda line: None) -> Opened:
    """The copy of `run_id` (or of the only run) in `places`, whole in a local folder; PlaceError."""
    cancel = cancel or threading.Event()
    chosen = choose(scan(places, ssh=ssh, log=log), run_id)
    first = chosen[0]
    if first.kind == "folder":
        return Opened(first, first.path, _manifest(first.path), None)
    try:
        holder = claim_folder(Path(work), f"copy-r{first.run_id}")
    except OSError as exc:
        raise PlaceError("restore.place.cannot_work", path=work, error=exc.strerror or exc) from None
    try:
        if first.kind == "ssh":
            log(f"bringing run {first.run_id} from {first.where}")
            sshcopy.fetch(first, ssh, holder.path, cancel, log)
            sha = None
        else:
            discs = discset.complete(chosen, ask, log)
            sha = discset.assemble(discs, holder.path, cancel, log)
            first = dataclasses.replace(first, where=", ".join(d.where for d in discs))
        return Opened(first, holder.path, _manifest(holder.path), sha, holder)
    except BaseException:
        holder.release()
        raise


def _manifest(folder: Path) -> dict:
    try:
        return load_manifest(folder / MANIFEST)
    except VerifyFailed as exc:
        raise PlaceError(str(exc)) from None


# ---------------------------------------------------------------- who restores, and how

def context_for(manifest: dict, profile: Profile | None, server: dict, work: Path) -> tuple[Profile, Repository]:
    """The profile and repository the driver is handed: this machine's own when it has the run's
    repository (its live source then stays protected), else made from the manifest and the command line."""
    server = {k: v for k, v in server.items() if k in SERVER_KEYS and v not in (None, "")}
    repo_id, driver = str(manifest.get("repository", "")), str(manifest.get("driver", ""))
    try:
        drivers.get(driver)
    except KeyError:
        raise PlaceError("restore.place.unknown_driver", driver=repr(driver)) from None
    mine = None
    if profile is not None and profile.site.id == manifest.get("site"):
        mine = next((r for r in profile.repositories if r.id == repo_id and r.driver == driver), None)
    if mine is not None:
        return profile, dataclasses.replace(mine, source={**mine.source, **server}) if server else mine
    source = {"path": NO_SOURCE / repo_id, **server}
    if manifest.get("databases"):
        source["databases"] = list(manifest["databases"])
    repo = Repository(id=repo_id, name=str(manifest.get("name") or repo_id), kind=str(manifest.get("kind", "")),
                      driver=driver, source=source, periodicity=Periodicity.parse("1d"), grace=timedelta(0),
                      verify="checksum", destinations=(), copies=0, retention=Retention())
    if profile is not None:
        return profile, repo
    site = str(manifest.get("site") or "copy")
    return Profile(file=Path("(no profile)"), site=Site(site, site), operators=(), storage_root=Path(work),
                   catalog_path=Path(work) / "(no catalog)", min_free=0, parallel=1, compression_level=3,
                   destinations={}, repositories=(repo,)), repo


@dataclass
class PlaceRestore:
    run_id: int
    repository: str
    source: str  # where the copy was
    target: str
    outcome: str  # done | failed | cancelled
    message: str | None
    elapsed: float
    recorded: str | None = None  # where it was recorded; None: nowhere

    def as_json(self) -> dict:
        return {"run_id": self.run_id, "repository": self.repository, "from": self.source, "target": self.target,
                "outcome": self.outcome, "message": self.message, "elapsed": round(self.elapsed, 3),
                "recorded": self.recorded}


def plan(opened: Opened, profile: Profile, repo: Repository, target: str, database: str | None, *,
         check_exists: bool = True, parts: tuple[str, ...] = ()) -> RestoreTarget:
    """What restoring the copy into `target` means: the driver's say, as for `restore RUN`; `parts` (paths,
    tables) checked against the copy's manifest, as there (RestoreError)."""
    driver = drivers.get(repo.driver)
    t = driver.plan_restore(repo, opened.run_id, opened.manifest, target, database, check_exists)
    if parts:
        t = dataclasses.replace(t, parts=tuple(driver.select_parts(repo, opened.manifest, tuple(parts), t)))
    return t


@dataclass(frozen=True)
class CopyPlan:
    """A restore from a copy as the restore dialog shows a plan: the target, and what it means."""

    opened: Opened
    repository: Repository
    restore_target: RestoreTarget

    def __getattr__(self, name: str):  # target, into, database, live, exists: the driver's plan
        return getattr(self.__dict__["restore_target"], name)

    def describe(self) -> str:
        t = self.restore_target
        return said("restore.plan.copy", what=what_words(self.opened.run_id, t.database),
                    repo=self.repository.id, place=self.opened.where, where=target_words(t.into, t.target)) + \
            (said("restore.plan.live") if t.live else "")


def restore_copy(opened: Opened, profile: Profile, repo: Repository, t: RestoreTarget, *, force: bool = False,
                 confirm: str | None = None, keyring: Keyring | None = None, cancel: threading.Event | None = None,
                 log: Callable[[str], None] = lambda line: None) -> PlaceRestore:
    """The copy verified whole, then restored by the driver into `t`. Refuses (RestoreError, nothing done)
    what needs --force, the typed confirmation or a key that is not at hand."""
    refuse_unconfirmed(repo.id, t, force=force, confirm=confirm)
    manifest = opened.manifest
    keyring = keyring or Keyring.for_profile(profile)
    if any(is_encrypted(p) for p in manifest.get("parts", [])):
        try:
            keyring.secret_for(manifest_key_ids(manifest))
        except IdentityError as exc:
            raise RestoreError("restore.refused.copy_encrypted", run=opened.run_id, error=exc) from None
    cancel = cancel or threading.Event()
    t0 = time.monotonic()
    out = PlaceRestore(opened.run_id, repo.id, opened.where, t.target, Outcome.FAILED, None, 0.0)
    try:
        with claim_scratch(profile, opened.run_id) as scratch:
            v = VerifyContext(profile, repo, opened.run_id, opened.folder, manifest, scratch.path, cancel, log=log,
                              keyring=keyring)
            out.outcome, out.message = _restored(v, opened, t, force)
    except OSError as exc:
        raise RestoreError("restore.cannot_work", path=profile.storage_root, error=exc.strerror or exc) from None
    out.elapsed = time.monotonic() - t0
    return out


def _restored(v: VerifyContext, opened: Opened, t: RestoreTarget, force: bool) -> tuple[str, str | None]:
    try:
        bad = verify_copy(v, opened)
        if bad:
            return Outcome.FAILED, (f"the copy in {opened.where} does not match its manifest ({bad}): nothing was "
                                    "restored; use another copy")
        drivers.get(v.repo.driver).restore(v, t, force)
        v.log(f"restored run {opened.run_id} of {v.repo.id} from {opened.where} into {t.target}")
        return Outcome.DONE, None
    except (RestoreError, BackupError, VerifyFailed, IdentityError, PlaceError) as exc:
        return Outcome.FAILED, str(exc)
    except Cancelled:
        return Outcome.CANCELLED, said("run.msg.cancelled")
    except TimedOut:
        return Outcome.FAILED, "timed out"
    except OSError as exc:
        return Outcome.FAILED, f"{exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}"


def verify_copy(v: VerifyContext, opened: Opened) -> str | None:
    """What is wrong with the copy, or None: every part's size and SHA-256 as its manifest says (the
    manifest's own as a disc set's index says), the manifest's list of files whole, and for a copy
    encrypted on its way each part decrypted and held against the run's own digest."""
    v.log(f"verifying the copy in {opened.where} against its manifest")
    checksum(v, opened.manifest_sha256)
    failed = [c for c in v.checks if not c.ok]
    if failed:
        return f"{failed[0].name}: {failed[0].detail}"
    files = opened.manifest.get("files")
    if isinstance(files, Entries):
        for _ in files.lines():  # VerifyFailed when it is cut short: better now than half-way through
            pass
    if opened.encrypted_on_the_way:
        for part in v.parts():
            if "plaintext_sha256" not in part:
                continue
            stage = v.keyring.decrypt_stage(v.path(part), manifest_key_ids(v.manifest))
            result = stream([stage], _Discard(), cancel=v.cancel, sync=False)
            v.refuse_wrong_key(result)
            ok = result.ok and result.sha256 == part["plaintext_sha256"] and result.size == part.get("plaintext_size",
                                                                                                     result.size)
            v.check(f"decrypted {part['file']}", ok, said("verify.decrypted_ok") if ok else
                    (v.failure(result) or said("verify.decrypted_differs")))
            if not ok:
                return f"decrypted {part['file']}: {v.checks[-1].detail}"
    return None


class _Discard:
    """A sink that keeps nothing: the stream hashes what passes through."""

    def write(self, data: bytes) -> None:
        pass

    def flush(self) -> None:
        pass


# ---------------------------------------------------------------- the record

def record(catalog, profile: Profile, opened: Opened, t: RestoreTarget, out: PlaceRestore, operator: str) -> str:
    """The restore in this machine's catalog: as a restore of the run when the catalog knows it (the same
    site, repository and run), else as an event of the hash-chained log. Returns where it went."""
    run = catalog.run(opened.run_id) if profile.site.id == opened.manifest.get("site") else None
    if run is not None and run.repository == out.repository:
        with catalog.begin_step(profile.storage_root) as lock:
            restore_id = catalog.start_restore(run.id, t.target, operator=operator, lock=lock.mark)
            catalog.finish_restore(restore_id, out.outcome, _noted(out), database=t.database, live=t.live,
                                   operator=operator)
        return f"restore {restore_id} of run {run.id} in the catalog {profile.catalog_path}"
    event = catalog.record_event("restore from a copy", "ok" if out.outcome == Outcome.DONE else "failed",
                                 repository=out.repository, operator=operator,
                                 detail={"site": opened.manifest.get("site"), "run_id": out.run_id, "from": out.source,
                                         "target": t.target, "outcome": out.outcome, "message": out.message})
    return f"event {event} of the catalog {profile.catalog_path} (the catalog has no run {out.run_id} of {out.repository})"


def _noted(out: PlaceRestore) -> str:
    return f"from the copy in {out.source}" + (f": {out.message}" if out.message else "")
