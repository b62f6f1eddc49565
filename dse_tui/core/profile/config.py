"""Profiles: one YAML file per site, validated strictly, every problem reported with file:line and key."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from dse_tui.core.destinations import KINDS as DESTINATION_MODULES
from dse_tui.core.sessions.checklist_schema import EXTRA_STEP, unique_steps
from dse_tui.core.keys.crypto import RECIPIENT
from dse_tui.core.labels.schema import LABELS, build as build_labels, check_references as check_label_references
from dse_tui.core.records.notify_schema import NOTIFY, Notify
from dse_tui.core.profile.periods import Periodicity, parse_duration, parse_size
from dse_tui.core.profile.problems import ConfigError
from dse_tui.core.profile.schema import (
    INVALID, AnyMapping, Bool, BoolOr, Checker, Enum, Field, FilePath, Int, List, Mapping, Parsed, Str,
)
from dse_tui.core.profile.yamlsource import Path_, load_document, parse_document

KINDS = ("database", "software", "web", "config")
DRIVERS = ("postgresql", "mysql", "sqlite", "git", "files")
SSH_DRIVERS = ("postgresql", "mysql", "files")
VERIFY_LEVELS = ("checksum", "structure", "restore")
DESTINATION_KINDS = tuple(DESTINATION_MODULES)  # one module each, registered there
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

    @property
    def encrypted(self) -> bool:
        return bool(self.recipients)

    @property
    def location(self) -> str:
        """A short human description of where the data comes from (never a secret)."""
        s = self.source
        if self.driver in ("postgresql", "mysql"):
            dbs = ",".join(s.get("databases") or ["*"])
            where = s.get("host") or "local socket"
            if s.get("port"):
                where += f":{s['port']}"
            text = f"{dbs} @ {where}"
        else:
            text = str(s.get("path", ""))
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
class Profile:
    file: Path
    site: Site
    operators: tuple[Operator, ...]
    storage_root: Path
    catalog_path: Path
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

    def repository(self, repo_id: str) -> Repository:
        for r in self.repositories:
            if r.id == repo_id:
                return r
        raise KeyError(repo_id)


# ---------------------------------------------------------------- schema

_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


class _CodePattern(Str):
    """A medium code pattern: {year}, {month}, {site}, {dest} and a number {seq} (with a width, {seq:04})."""

    expected = "a code pattern such as DSE-{year}-{seq:04} or DSE{seq:03}L6"

    def check(self, value, path, c):
        import string

        if not isinstance(value, str) or not value.strip():
            return self.wrong_type(value, path, c)
        try:
            fields = [(f, spec) for _, f, spec, _ in string.Formatter().parse(value) if f is not None]
        except ValueError as exc:
            return c.error(path, f"{exc}")
        names = [f for f, _ in fields]
        unknown = [f for f in names if f not in ("year", "month", "site", "dest", "seq")]
        if unknown:
            return c.error(path, f"unknown field {{{unknown[0]}}}: use {{year}}, {{month}}, {{site}}, {{dest}}, {{seq}}")
        if "seq" not in names:
            return c.error(path, "the pattern needs {seq}, the number that makes each code unique")
        try:
            value.format(year=2026, month="01", site="s", dest="d", seq=1)
        except (ValueError, KeyError) as exc:
            return c.error(path, f"the pattern cannot be filled: {exc}")
        return value


_code_pattern = _CodePattern()
_duration = Parsed(parse_duration, "a duration such as 6h, 1d, 1w")
_periodicity = Parsed(Periodicity.parse, "a duration (6h, 1d, 1w) or a cron expression")
_size = Parsed(parse_size, "a size such as 500M or 2G", accept_int=True)
_id = Str(ID_PATTERN, ID_HINT)
_recipient = Str(RECIPIENT.pattern, "an age public key: age1… (dse-tui keys init prints it)")
_glob = Str(r"[A-Za-z0-9_.*?\[\]/@+:=,~%-]+", "a path pattern such as 'cache/*' or '*.log' (no spaces or quotes)")

_ssh = Mapping({
    "host": Field(Str(), required=True),
    "user": Field(Str()),
    "port": Field(Int(1, 65535)),
    "identity_file": Field(FilePath()),
    "options": Field(List(Str(r"[A-Za-z]+=.*", "ssh -o options such as StrictHostKeyChecking=accept-new")),
                     default=list),
})

_db_common = {
    "host": Field(Str()),
    "port": Field(Int(1, 65535)),
    "user": Field(Str()),
    "databases": Field(List(Str(), min_items=1)),
    # A password pasted here by mistake must not be echoed back in the error.
    "password_env": Field(Str(_ENV_NAME, "the name of an environment variable, not the password itself",
                              echo=False)),
    "passfile": Field(FilePath()),
}
SOURCE_SCHEMAS: dict[str, Mapping] = {
    "postgresql": Mapping({**_db_common, "globals": Field(BoolOr("without-passwords"), default=True)}),
    "mysql": Mapping(dict(_db_common)),
    "sqlite": Mapping({"path": Field(FilePath(), required=True)}),
    "git": Mapping({"path": Field(FilePath(), required=True)}),
    "files": Mapping({
        "path": Field(FilePath(), required=True),
        "include": Field(List(_glob), default=list),
        "exclude": Field(List(_glob), default=list),
        "allow_empty": Field(Bool(), default=False),
    }),
}

_retention = Mapping({k: Field(Int(0), default=getattr(Retention(), k)) for k in ("daily", "weekly", "monthly", "yearly")})

_repo_settings = {
    "periodicity": Field(_periodicity),
    "grace": Field(_duration),
    "verify": Field(Enum(*VERIFY_LEVELS)),
    "destinations": Field(List(_id)),
    "copies": Field(Int(0, 10)),
    "retention": Field(_retention),
    "timeout": Field(_duration),
    "verify_every": Field(_duration),
    # Encrypt the artifacts with age: true (to the site's encryption.recipients), or the repository's own.
    "encrypt": Field(Bool()),
    "recipients": Field(List(_recipient)),
    "rules": Field(Mapping({
        "min_size": Field(_size, default=Rules.min_size),
        "require": Field(List(Str()), default=list),
        "shrink_percent": Field(Int(0, 100), default=Rules.shrink_percent),
        "shrink_window": Field(Int(0, 100), default=Rules.shrink_window),
    })),
}


def _check_repository(repo: dict, path: Path_, c: Checker) -> None:
    unique_steps(repo, path, c, "checklist_steps")
    _check_source(repo, path, c)


def _check_source(repo: dict, path: Path_, c: Checker) -> None:
    driver = repo["driver"]
    if driver not in SOURCE_SCHEMAS:
        return  # already reported
    if repo["ssh"] is not None and driver not in SSH_DRIVERS:
        c.error(path + ("ssh",), f"the {driver} driver does not work over SSH (only {', '.join(SSH_DRIVERS)})")
    if isinstance(repo["source"], dict):
        repo["source"] = SOURCE_SCHEMAS[driver].check(repo["source"], path + ("source",), c)


_repository = Mapping({
    "id": Field(_id, required=True),
    "name": Field(Str(allow_numbers=True)),
    "description": Field(Str(), default=""),
    "kind": Field(Enum(*KINDS), required=True),
    "driver": Field(Enum(*DRIVERS), required=True),
    # `source` is checked against its driver's schema once the driver is known.
    "source": Field(AnyMapping(), required=True),
    "ssh": Field(_ssh),
    "checklist": Field(Str(r"[A-Za-z0-9._-]+", "a checklist name (its file's stem)")),
    "checklist_steps": Field(List(EXTRA_STEP), default=list),
    **_repo_settings,
}, extra_check=_check_repository)

_PROFILE = Mapping({
    "site": Field(Mapping({
        "id": Field(_id, required=True),
        "name": Field(Str(), required=True),
        "department": Field(Str(), default=""),
        "language": Field(Enum(*LANGUAGES)),
    }), required=True),
    "operators": Field(List(Mapping({
        "login": Field(Str(), required=True),
        "name": Field(Str(), required=True),
    })), default=list),
    "storage": Field(Mapping({
        "root": Field(FilePath(), required=True),
        "catalog": Field(FilePath()),
        "min_free": Field(_size, default=0),
        "parallel": Field(Int(1, 64), default=2),
        "compression_level": Field(Int(1, 19), default=3),
    }), required=True),
    # The site's own checklists: a folder whose files add to (or, by name, replace) the shipped ones.
    "checklists": Field(FilePath()),
    "defaults": Field(Mapping(dict(_repo_settings)), default=dict),
    "destinations": Field(List(Mapping({
        "id": Field(_id, required=True),
        "kind": Field(Enum(*DESTINATION_KINDS), required=True),
        "path": Field(FilePath()),
        "uuid": Field(Str()),
        "label": Field(Str()),
        "host": Field(Str()),
        "user": Field(Str()),
        "port": Field(Int(1, 65535)),
        "identity_file": Field(FilePath()),
        "options": Field(List(Str(r"[A-Za-z]+=.*", "ssh -o options such as StrictHostKeyChecking=accept-new"))),
        "capacity": Field(_size),
        "disc": Field(Enum(*DISC_CAPACITY)),
        "code": Field(_code_pattern),
        "location": Field(Str()),
        "require_encryption": Field(Bool(), default=False),
        # Encrypt on the way there what is not encrypted yet: true (the site's recipients) or its own.
        "encrypt": Field(Bool()),
        "recipients": Field(List(_recipient)),
        "description": Field(Str(), default=""),
    })), default=list),
    "media": Field(Mapping({
        "code": Field(_code_pattern, default=DEFAULT_CODE),
    }), default=dict),
    "labels": Field(LABELS, default=dict),
    "notify": Field(NOTIFY),
    "encryption": Field(Mapping({
        "recipients": Field(List(_recipient), default=list),
        "identities": Field(List(FilePath()), default=list),
        "passphrase_env": Field(Str(r"[A-Za-z_][A-Za-z0-9_]*", "an environment variable name")),
    })),
    "repositories": Field(List(_repository), default=list),
})

DEFAULTS = {
    "periodicity": Periodicity.parse("1d"),
    "grace": timedelta(hours=6),
    "verify": "checksum",
    "destinations": [],
    "copies": 2,
    "retention": {k: getattr(Retention(), k) for k in ("daily", "weekly", "monthly", "yearly")},
    "timeout": timedelta(hours=6),
    "verify_every": None,
    "encrypt": None,  # unset: encrypted when recipients are named (encryption_of)
    "recipients": None,
    "rules": {"min_size": 0, "require": [], "shrink_percent": Rules.shrink_percent,
              "shrink_window": Rules.shrink_window},
}

# What each destination kind must say, beyond id and kind (a kind missing here needs nothing more).
_DESTINATION_NEEDS = {
    "directory": ("path",),
    "removable": (),  # uuid or label, checked below
    "optical": ("path",),  # where the ISO images are written
    "ssh": ("host", "path"),
}


def default_catalog_path(site_id: str) -> Path:
    from platformdirs import user_data_path

    return user_data_path("dse-tui") / f"catalog-{site_id}.sqlite"


def load_profile(file: str | os.PathLike, text: str | None = None, *, cache: bool = True) -> Profile:
    """Load and validate a profile; raise ConfigError listing every problem found. A profile that
    validated before, byte for byte, comes from the cache (core/profilecache.py)."""
    from dse_tui.core.profile import cache as profilecache
    file = Path(file).expanduser().absolute()
    raw = None
    if text is None and cache:
        try:
            raw = file.read_bytes()
        except OSError:
            raw = None  # load_document reports it
        if raw is not None and (cached := profilecache.get(file, raw)) is not None:
            return _take_secrets(cached)
    doc = parse_document(file, text) if text is not None else load_document(file)
    c = Checker(doc)
    data = _PROFILE.check(doc.data, (), c)
    if isinstance(data, dict):
        _cross_check(data, c)
    if c.problems:
        raise ConfigError(c.problems)
    profile = _build(file, data)
    if raw is not None:
        profilecache.put(file, raw, profile)
    return _take_secrets(profile)


def _take_secrets(profile: Profile) -> Profile:
    """The key's passphrase leaves the environment as soon as the profile names it: no child inherits it."""
    if profile.encryption and profile.encryption.passphrase_env:
        from dse_tui.core.keys.crypto import _env_secret

        _env_secret(profile.encryption.passphrase_env)
    return profile


def _valid_items(value) -> list[tuple[int, dict]]:
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)] if isinstance(value, list) else []


def _cross_check(data: dict, c: Checker) -> None:
    """Checks across sections; parts that already failed their own check are skipped."""
    if isinstance(data.get("labels"), dict):
        check_label_references(data["labels"], c)
    smtp = data["notify"].get("smtp") if isinstance(data.get("notify"), dict) else None
    if isinstance(smtp, dict) and smtp.get("user") and smtp.get("security") == "none":
        c.error(("notify", "smtp", "security"), "a login over a plain connection sends the password in clear: "
                                               "use security: starttls or tls")
    dest_ids: dict[str, int] = {}
    for i, d in _valid_items(data["destinations"]):
        if d["id"] in (None, INVALID) or d["kind"] in (None, INVALID):
            continue  # already reported
        if d["id"] in dest_ids:
            c.error(("destinations", i, "id"), f"duplicate destination id '{d['id']}' (also destinations[{dest_ids[d['id']]}])")
        dest_ids.setdefault(d["id"], i)
        for need in _DESTINATION_NEEDS.get(d["kind"], ()):
            if d[need] is None:
                c.error(("destinations", i), f"a {d['kind']} destination needs '{need}'")
        if d["kind"] == "removable" and not (d["uuid"] or d["label"]):
            c.error(("destinations", i), "a removable destination needs 'uuid' or 'label' (see lsblk -f)")
        if d["kind"] == "optical" and not (d["disc"] or d["capacity"]):
            c.error(("destinations", i), f"an optical destination needs 'disc' ({', '.join(DISC_CAPACITY)}) "
                                         "or 'capacity' (the size of one disc, e.g. 650M)")
    defaults = data["defaults"] if isinstance(data["defaults"], dict) else {}
    listed = defaults.get("destinations")
    for name in listed if isinstance(listed, list) else []:
        if name is not INVALID and name not in dest_ids:
            c.error(("defaults", "destinations"), f"unknown destination '{name}'{_known(dest_ids)}")
    seen: dict[str, int] = {}
    for i, r in _valid_items(data["repositories"]):
        if r["id"] not in (None, INVALID):
            if r["id"] in seen:
                c.error(("repositories", i, "id"), f"duplicate repository id '{r['id']}' (also repositories[{seen[r['id']]}])")
            seen.setdefault(r["id"], i)
        for name in r["destinations"] if isinstance(r["destinations"], list) else []:
            if name is not INVALID and name not in dest_ids:
                c.error(("repositories", i, "destinations"), f"unknown destination '{name}'{_known(dest_ids)}")
    _check_encryption(data, defaults, dest_ids, c)


def _check_encryption(data: dict, defaults: dict, dest_ids: dict[str, int], c: Checker) -> None:
    """A repository that is to be encrypted has someone to encrypt to; one whose copies go where
    encryption is required is encrypted."""
    site = data["encryption"] if isinstance(data.get("encryption"), dict) else {}
    site_recipients = site.get("recipients") if isinstance(site.get("recipients"), list) else []
    # A destination that encrypts on the way satisfies its own requirement.
    requiring = {d["id"] for _, d in _valid_items(data["destinations"])
                 if d.get("require_encryption") is True and isinstance(d.get("id"), str)
                 and not encryption_of(d, {})[0]}
    for i, d in _valid_items(data["destinations"]):
        encrypt, own = encryption_of(d, {})
        if encrypt and not own and not site_recipients:
            c.error(("destinations", i, "encrypt"), "encrypt is on but there is no one to encrypt to: add "
                                                    "encryption.recipients (dse-tui keys init makes a key)")
    for i, r in _valid_items(data["repositories"]):
        encrypt, own = encryption_of(r, defaults)
        if encrypt and not own and not site_recipients:
            c.error(("repositories", i, "encrypt"), "encrypt is on but there is no one to encrypt to: add "
                                                    "encryption.recipients (dse-tui keys init makes a key)")
        dests = r["destinations"] if r["destinations"] is not None else defaults.get("destinations")
        strict = [d for d in dests if isinstance(d, str) and d in requiring] if isinstance(dests, list) else []
        if strict and not encrypt:
            c.error(("repositories", i), f"destination {', '.join(strict)} requires encryption: set encrypt: true "
                                         "on this repository, or copy it elsewhere")


def encryption_of(r: dict, defaults: dict) -> tuple[bool, list[str]]:
    """(encrypted?, the recipients named for it): the repository's own `encrypt` decides; else naming its
    own recipients asks for encryption; else the defaults' `encrypt`, else whether they name recipients.
    The profile check and the build share it, so they never disagree."""
    def given(source: dict, key: str):
        value = source.get(key)
        return None if value is INVALID else value

    def names(value) -> list[str]:
        return [x for x in value or [] if isinstance(x, str)]

    own, shared = names(given(r, "recipients")), names(given(defaults, "recipients"))
    for decided in (given(r, "encrypt"), True if own else None, given(defaults, "encrypt")):
        if decided is not None:
            return bool(decided), own or shared
    return bool(shared), shared


def _known(ids) -> str:
    return f"; known: {', '.join(ids)}" if ids else "; the profile defines no destinations"


def _build(file: Path, data: dict) -> Profile:
    site = Site(**data["site"])
    defaults = {**DEFAULTS, **{k: v for k, v in data["defaults"].items() if v is not None}}
    repos = []
    for r in data["repositories"]:
        merged = {k: (r[k] if r[k] is not None else defaults[k]) for k in _repo_settings}
        repos.append(Repository(
            id=r["id"], name=r["name"] or r["id"], kind=r["kind"], driver=r["driver"],
            source=r["source"], description=r["description"], checklist=r["checklist"],
            ssh=SSHTarget(**{**r["ssh"], "options": tuple(r["ssh"]["options"])}) if r["ssh"] else None,
            periodicity=merged["periodicity"], grace=merged["grace"], verify=merged["verify"],
            destinations=tuple(merged["destinations"]), copies=merged["copies"],
            retention=Retention(**merged["retention"]), timeout=merged["timeout"],
            verify_every=merged["verify_every"],
            rules=Rules(**{**merged["rules"], "require": tuple(merged["rules"]["require"])}),
            checklist_steps=tuple(r["checklist_steps"]),
            recipients=_recipients(r, defaults, data["encryption"]),
        ))
    storage = data["storage"]
    return Profile(
        file=file,
        site=site,
        operators=tuple(Operator(**o) for o in data["operators"]),
        storage_root=storage["root"],
        catalog_path=storage["catalog"] or default_catalog_path(site.id),
        min_free=storage["min_free"],
        parallel=storage["parallel"],
        compression_level=storage["compression_level"],
        destinations={d["id"]: _destination(d, data["encryption"]) for d in data["destinations"]},
        repositories=tuple(repos),
        checklists_dir=data["checklists"],
        media_code=(data["media"] or {}).get("code") or DEFAULT_CODE,
        **dict(zip(("label_stocks", "label_stock", "barcode", "printers"), build_labels(data["labels"]))),
        notify=Notify.from_data(data["notify"]) if data["notify"] else None,
        encryption=Encryption(tuple(data["encryption"]["recipients"]), tuple(data["encryption"]["identities"]),
                              data["encryption"]["passphrase_env"]) if data["encryption"] else None,
    )


def _destination(d: dict, site_encryption: dict | None) -> Destination:
    settings = {k: v for k, v in d.items() if k not in ("id", "kind", "encrypt", "recipients") and v is not None}
    recipients = _recipients(d, {}, site_encryption)
    if recipients:
        settings["encrypt_to"] = recipients
    return Destination(d["id"], d["kind"], settings)


def _recipients(r: dict, defaults: dict, site: dict | None) -> tuple[str, ...]:
    encrypt, own = encryption_of(r, defaults)
    if not encrypt:
        return ()
    return tuple(dict.fromkeys(own or (site or {}).get("recipients") or ()))


def profile_path_from_env(explicit: str | None) -> Path:
    """The profile to use: --profile, then $DSE_TUI_PROFILE, then the user's config directory."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get("DSE_TUI_PROFILE"):
        return Path(os.environ["DSE_TUI_PROFILE"]).expanduser()
    from platformdirs import user_config_path

    return user_config_path("dse-tui") / "profile.yaml"
