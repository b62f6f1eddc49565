"""What a validated profile is: the site, its repositories, destinations, keys and settings, as frozen
dataclasses (profile/config.py reads and validates the YAML into these)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from dse_tui.core.profile.periods import Periodicity

KINDS = ("database", "software", "web", "config")
VERIFY_LEVELS = ("checksum", "structure", "restore")
# Usable bytes of a blank disc of each kind (what burning tools accept for data discs).
DISC_CAPACITY = {"cd": 700 * 1024**2, "dvd": 4_700_000_000, "dvd-dl": 8_500_000_000, "bd": 25_000_000_000,
                 "bd-dl": 50_000_000_000}
DEFAULT_CODE = "DSE-{year}-{seq:04}"
LANGUAGES = ("es", "en")
ID_PATTERN = r"[a-z0-9][a-z0-9._-]{0,62}"
ID_HINT = "lower-case letters, digits, '.', '_' or '-' (used in file names), e.g. 'web-main'"


@dataclass(frozen=True)
class SSHTarget:
    host: str
    user: str | None = None
    port: int | None = None
    identity_file: Path | None = None
    options: tuple[str, ...] = ()

    @property
    def destination(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host


@dataclass(frozen=True)
class Retention:
    daily: int = 7
    weekly: int = 4
    monthly: int = 12
    yearly: int = 0


@dataclass(frozen=True)
class Rules:
    """What makes a run satisfactory beyond reading back right (site rules of the procedure)."""

    min_size: int = 0
    require: tuple[str, ...] = ()  # tables (databases), paths (files) or refs (git) that must be in the run
    shrink_percent: int = 50  # a run under this share of the median of the last `shrink_window` good runs
    shrink_window: int = 5    # is held until an operator accepts it; 0 turns the rule off


@dataclass(frozen=True)
class Repository:
    id: str
    name: str
    kind: str
    driver: str
    source: dict[str, Any]
    periodicity: Periodicity
    grace: timedelta
    verify: str
    destinations: tuple[str, ...]
    copies: int
    retention: Retention
    checklist: str | None = None
    description: str = ""
    ssh: SSHTarget | None = None
    timeout: timedelta = timedelta(hours=6)
    verify_every: timedelta | None = None
    rules: Rules = Rules()
    checklist_steps: tuple[dict, ...] = ()  # the site's own steps for this repository (EXTRA_STEP)
    recipients: tuple[str, ...] = ()  # age public keys its artifacts are encrypted to; () = not encrypted
    host: str | None = None  # the host that backs it up (engine/hosts.py); None: any host that runs it

    @property
    def encrypted(self) -> bool:
        return bool(self.recipients)

    @property
    def location(self) -> str:
        """A short human description of where the data comes from (never a secret), in its driver's terms."""
        from dse_tui.core import drivers

        text = drivers.get(self.driver).location(self)
        return f"{text} via ssh {self.ssh.destination}" if self.ssh else text


@dataclass(frozen=True)
class Destination:
    id: str
    kind: str
    settings: dict[str, Any]

    @property
    def path(self) -> Path | None:
        return self.settings.get("path")

    @property
    def capacity(self) -> int | None:
        """One disc's usable bytes (optical)."""
        return self.settings.get("capacity") or DISC_CAPACITY.get(self.settings.get("disc"))

    @property
    def recipients(self) -> tuple[str, ...]:
        """The keys a plaintext run is encrypted to on its way here; () when it copies as it is."""
        return tuple(self.settings.get("encrypt_to") or ())


@dataclass(frozen=True)
class Encryption:
    """The site's keys: public keys artifacts are encrypted to, and where verify and restore find the
    identities (the keys folder of `dse-tui keys init` is always looked in too)."""
    recipients: tuple[str, ...] = ()
    identities: tuple[Path, ...] = ()
    passphrase_env: str | None = None


@dataclass(frozen=True)
class Operator:
    login: str
    name: str


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    department: str = ""
    language: str | None = None


@dataclass(frozen=True)
class Notify:
    """The profile's `notify:` section, validated (records/notify_schema.py checks it)."""

    host: str
    port: int
    security: str
    user: str | None
    password_env: str | None
    timeout: int
    sender: str
    to: tuple[str, ...]
    on: tuple[str, ...]
    expiring_days: int
    daily_summary: bool

    @classmethod
    def from_data(cls, d: dict) -> Notify:
        smtp = d["smtp"]
        return cls(smtp["host"], smtp["port"], smtp["security"], smtp["user"], smtp["password_env"],
                   smtp["timeout"], d["from"], tuple(d["to"]), tuple(d["on"]), d["expiring_days"],
                   d["daily_summary"])


@dataclass(frozen=True)
class Profile:
    file: Path
    site: Site
    operators: tuple[Operator, ...]
    storage_root: Path
    catalog_path: Path | str  # a str: a postgresql:// URL (catalog/backend.py)
    min_free: int
    parallel: int
    compression_level: int
    destinations: dict[str, Destination]
    repositories: tuple[Repository, ...]
    checklists_dir: Path | None = None
    media_code: str = "DSE-{year}-{seq:04}"
    label_stocks: dict = field(default_factory=dict)  # id → stocks.Stock (built-in and the site's own)
    label_stock: str = "avery-l7160"
    barcode: str = "code39"
    printers: dict = field(default_factory=dict)  # id → (CUPS queue, stock id or None)
    notify: Notify | None = None
    encryption: Encryption | None = None
    catalog_passfile: Path | None = None  # a PostgreSQL catalog's pgpass file (storage.catalog_passfile)
    catalog_password_env: str | None = None
    # How long a run's lease in the catalog lasts unrenewed: a host dead mid-run frees its repository after it.
    lease: timedelta = timedelta(minutes=2)

    def repository(self, repo_id: str) -> Repository:
        for r in self.repositories:
            if r.id == repo_id:
                return r
        raise KeyError(repo_id)

