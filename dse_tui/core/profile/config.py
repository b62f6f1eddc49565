"""Profiles: one YAML file per site, validated strictly, every problem reported with file:line and key."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from dse_tui.core import drivers
from dse_tui.core.destinations import KINDS as DESTINATION_MODULES
from dse_tui.core.sessions.checklist_schema import EXTRA_STEP, unique_steps
from dse_tui.core.keys.crypto import RECIPIENT
from dse_tui.core.labels.schema import LABELS, build as build_labels, check_references as check_label_references
from dse_tui.core.records.notify_schema import NOTIFY, Notify
from dse_tui.core.profile import catalog_backup
from dse_tui.core.profile.periods import Periodicity, parse_duration, parse_size
from dse_tui.core.profile.problems import ConfigError
from dse_tui.core.profile.schema import (
    INVALID, AnyMapping, Bool, CatalogPlace, Checker, Enum, Field, FilePath, Int, List, Mapping, Parsed, Str,
)
from dse_tui.core.profile.yamlsource import Path_, load_document, parse_document
from dse_tui.core.texts import Text
from dse_tui.core.profile.model import (
    KINDS, VERIFY_LEVELS, DISC_CAPACITY, DEFAULT_CODE, LANGUAGES, ID_PATTERN, ID_HINT, SSHTarget, Retention, Rules, Repository, Destination, Encryption, Operator, Site, Profile,
)

DESTINATION_KINDS = tuple(DESTINATION_MODULES)  # one module each, registered there

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

_ssh = Mapping({
    "host": Field(Str(), required=True),
    "user": Field(Str()),
    "port": Field(Int(1, 65535)),
    "identity_file": Field(FilePath()),
    "options": Field(List(Str(r"[A-Za-z]+=.*", "ssh -o options such as StrictHostKeyChecking=accept-new")),
                     default=list),
})

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
    """`source` against its driver's own schema, once the driver is known to exist."""
    if repo["driver"] not in drivers.selectable():
        return  # already reported
    driver = drivers.get(repo["driver"])
    if repo["ssh"] is not None and not driver.over_ssh:
        remote = [name for name in drivers.names() if drivers.get(name).over_ssh]
        c.error(path + ("ssh",), f"the {driver.name} driver does not work over SSH (only {', '.join(remote)})")
    if isinstance(repo["source"], dict):
        repo["source"] = driver.source.check(repo["source"], path + ("source",), c)


_repository = Mapping({
    "id": Field(_id, required=True),
    "name": Field(Str(allow_numbers=True)),
    "description": Field(Str(), default=""),
    "kind": Field(Enum(*KINDS), required=True),
    "driver": Field(Enum(*drivers.selectable()), required=True),
    # `source` is checked against its driver's schema once the driver is known.
    "source": Field(AnyMapping(), required=True),
    "ssh": Field(_ssh),
    # The backup host that runs it (several hosts sharing a PostgreSQL catalog); default: any that runs it.
    "host": Field(Str(r"[A-Za-z0-9][A-Za-z0-9._-]*", "a host name, e.g. db01")),
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
        "catalog": Field(CatalogPlace()),
        # A PostgreSQL catalog's password, as the drivers': a pgpass file or a variable's name, never the URL.
        "catalog_passfile": Field(FilePath()),
        "catalog_password_env": Field(Str(r"[A-Za-z_][A-Za-z0-9_]*", "the name of an environment variable")),
        "min_free": Field(_size, default=0),
        "parallel": Field(Int(1, 64), default=2),
        "lease": Field(_duration),
        "compression_level": Field(Int(1, 19), default=3),
        # The catalog backed up as a repository of its own (profile/catalog_backup.py).
        "catalog_backup": Field(Mapping({k: _repo_settings[k] for k in catalog_backup.SETTINGS})),
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
    validated before, byte for byte, comes from the cache (profile/cache.py)."""
    from dse_tui.core.profile import cache as profilecache
    file = Path(file).expanduser().absolute()
    raw = None
    if text is None and cache:
        try:
            raw = file.read_bytes()
        except OSError:
            raw = None  # load_document reports it
        if raw is not None and (cached := profilecache.get(file, raw)) is not None:
            return profilecache.take_secrets(cached)
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
    return profilecache.take_secrets(profile)


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
            c.error(("destinations", i, "id"), Text("problem.duplicate_destination", id=d["id"],
                                                     first=f"destinations[{dest_ids[d['id']]}]"))
        dest_ids.setdefault(d["id"], i)
        for need in _DESTINATION_NEEDS.get(d["kind"], ()):
            if d[need] is None:
                c.error(("destinations", i), Text("problem.destination_needs", kind=d["kind"], need=need))
        if d["kind"] == "removable" and not (d["uuid"] or d["label"]):
            c.error(("destinations", i), "a removable destination needs 'uuid' or 'label' (see lsblk -f)")
        if d["kind"] == "optical" and not (d["disc"] or d["capacity"]):
            c.error(("destinations", i), f"an optical destination needs 'disc' ({', '.join(DISC_CAPACITY)}) "
                                         "or 'capacity' (the size of one disc, e.g. 650M)")
    defaults = data["defaults"] if isinstance(data["defaults"], dict) else {}
    listed = defaults.get("destinations")
    for name in listed if isinstance(listed, list) else []:
        if name is not INVALID and name not in dest_ids:
            c.error(("defaults", "destinations"), Text("problem.unknown_destination", name=name, known=_known(dest_ids)))
    seen: dict[str, int] = {}
    for i, r in _valid_items(data["repositories"]):
        if r["id"] not in (None, INVALID):
            if r["id"] in seen:
                c.error(("repositories", i, "id"), Text("problem.duplicate_repository", id=r["id"],
                                                                first=f"repositories[{seen[r['id']]}]"))
            seen.setdefault(r["id"], i)
        for name in r["destinations"] if isinstance(r["destinations"], list) else []:
            if name is not INVALID and name not in dest_ids:
                c.error(("repositories", i, "destinations"), Text("problem.unknown_destination", name=name, known=_known(dest_ids)))
    _check_encryption(data, defaults, dest_ids, c)
    catalog_backup.check(data, dest_ids, seen, c)


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
    return Text("problem.known", ids=", ".join(ids)) if ids else Text("problem.no_destinations")


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
            host=r["host"],
        ))
    storage = data["storage"]
    catalog_path = storage["catalog"] or default_catalog_path(site.id)
    if storage["catalog_backup"] is not None:
        repos.append(catalog_backup.repository(storage["catalog_backup"], defaults, catalog_path,
                                               storage["catalog_passfile"], storage["catalog_password_env"]))
    return Profile(
        file=file,
        site=site,
        operators=tuple(Operator(**o) for o in data["operators"]),
        storage_root=storage["root"],
        catalog_path=catalog_path,
        catalog_passfile=storage["catalog_passfile"],
        catalog_password_env=storage["catalog_password_env"],
        min_free=storage["min_free"],
        parallel=storage["parallel"],
        **({"lease": storage["lease"]} if storage["lease"] else {}),
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
