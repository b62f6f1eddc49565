"""Encryption of artifacts with age, in the stream: `… | zstd | age -r R…` on the way to the disk, and
`age -d -i IDENTITY | zstd -d` on the way back.

A recipient is a public key (`age1…`); its key id (`age-` and ten characters of it) is what manifests,
labels and the console show. An identity (the secret) is read by this process only: from a file readable
by its owner, decrypted in memory when it is protected by a passphrase, and handed to `age` through a
pipe (/dev/fd/N), never argv, the environment or a file of ours.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dse_tui.core.engine.pipeline import Stage, secret_pipe
from dse_tui.core.texts import said

SUFFIX = ".age"
RECIPIENT = re.compile(r"age1[02-9ac-hj-np-z]{58}")
PROTECTED = b"age-encryption.org/v1\n"


def keys_dir(profile) -> Path:
    """The site's keys folder: where `dse-tui keys init` puts a key pair and the Keyring looks for one."""
    from platformdirs import user_config_path

    return user_config_path("dse-tui") / "keys" / profile.site.id


def key_id(recipient: str) -> str:
    """A short, stable name for a key: the start of its public key."""
    return "age-" + recipient.removeprefix("age1")[:10]


def encrypt_stage(recipients: tuple[str, ...] | list[str]) -> Stage:
    argv = ["age", "--encrypt"]
    for r in recipients:
        argv += ["-r", r]
    return Stage(argv, name="age")


def manifest_block(recipients) -> dict:
    return {"tool": "age", "recipients": [{"key_id": key_id(r), "recipient": r} for r in recipients]}


def manifest_key_ids(manifest: dict) -> list[str]:
    enc = manifest.get("encryption") or {}
    return [r["key_id"] for r in enc.get("recipients", [])]


def is_encrypted(part: dict) -> bool:
    return part.get("encryption") == "age"


def plain_name(file: str) -> str:
    """A part's name as its plaintext: `x.tar.zst.age` → `x.tar.zst`."""
    return file.removesuffix(SUFFIX)


class IdentityError(Exception):
    """No identity at hand opens the run; the message names the key id needed."""

    def __init__(self, message: str, key_ids: list[str]):
        super().__init__(message)
        self.key_ids = key_ids


class PassphraseNeeded(IdentityError):
    """The identity that opens the run is protected by a passphrase nobody gave yet."""

    def __init__(self, path: Path, kid: str):
        super().__init__(f"the identity {path} of key {kid} is protected by a passphrase: give it to use the key",
                         [kid])
        self.path = path


class WrongPassphrase(IdentityError):
    def __init__(self, path: Path, kid: str):
        super().__init__(f"the passphrase does not open {path} (key {kid})", [kid])
        self.path = path


@dataclass
class _Identity:
    path: Path
    kid: str | None  # None: protected, no .pub beside it to say which key it is
    protected: bool
    secret: str | None = None  # the AGE-SECRET-KEY line, once read
    problem: str | None = None  # why it cannot be used (unreadable, not an identity)


def read_identity(path: Path, passphrase: str | None = None) -> tuple[str, str]:
    """(key id, AGE-SECRET-KEY-… line) of an identity file, decrypting it with `passphrase` if protected.
    Raises PassphraseNeeded, WrongPassphrase, or OSError/ValueError for what is not an identity."""
    import pyrage

    data = path.read_bytes()
    if data.startswith(PROTECTED):
        kid = _sidecar_id(path) or "?"
        if passphrase is None:
            raise PassphraseNeeded(path, kid)
        try:
            data = pyrage.passphrase.decrypt(data, passphrase)
        except pyrage.DecryptError:
            raise WrongPassphrase(path, kid) from None
    lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines()]
    secret = next((line for line in lines if line.startswith("AGE-SECRET-KEY-")), None)
    if secret is None:
        raise ValueError(f"{path} holds no age identity (AGE-SECRET-KEY-…)")
    return key_id(recipient_of(secret)), secret


def recipient_of(secret: str) -> str:
    """The public key of an identity."""
    import pyrage

    return str(pyrage.x25519.Identity.from_str(secret).to_public())


def protect(secret_text: str, passphrase: str) -> bytes:
    """An identity file encrypted with a passphrase, in age's own format (`age -d key.age` opens it)."""
    import pyrage

    return pyrage.passphrase.encrypt(secret_text.encode(), passphrase)


def _sidecar_id(path: Path) -> str | None:
    pub = path.with_suffix(".pub")
    try:
        recipient = pub.read_text().strip()
    except OSError:
        return None
    return key_id(recipient) if RECIPIENT.fullmatch(recipient) else None


def _peek(path: Path) -> _Identity:
    """Which key a file is, reading no more than needed (a protected one says it by its .pub)."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(PROTECTED))
    except OSError as exc:
        return _Identity(path, None, False, problem=exc.strerror or str(exc))
    if head == PROTECTED:
        return _Identity(path, _sidecar_id(path), True)
    try:
        kid, secret = read_identity(path)
    except (OSError, ValueError, IdentityError) as exc:
        return _Identity(path, None, False, problem="not an age identity" if isinstance(exc, ValueError) else str(exc))
    return _Identity(path, kid, False, secret)


@dataclass
class Keyring:
    """The identities at hand: files named by the operator first, then the profile's, then the keys folder.
    `passphrase` opens protected ones (the console asks for it; cron reads it from the environment)."""
    files: list[Path] = field(default_factory=list)
    passphrase: str | None = None
    _seen: dict[Path, _Identity] = field(default_factory=dict)

    @classmethod
    def for_profile(cls, profile, extra: list[Path] | None = None, passphrase: str | None = None) -> "Keyring":
        enc = getattr(profile, "encryption", None)
        files = [Path(p).expanduser() for p in extra or []]
        if enc is not None:
            files += [Path(p).expanduser() for p in enc.identities]
            if passphrase is None and enc.passphrase_env:
                passphrase = _env_secret(enc.passphrase_env)
        folder = keys_dir(profile)
        if folder.is_dir():
            files += sorted(folder.glob("*.key"))
        return cls(files, passphrase)

    def _identities(self) -> list[_Identity]:
        out = []
        for path in dict.fromkeys(self.files):
            if path not in self._seen:
                self._seen[path] = _peek(path)
            out.append(self._seen[path])
        return out

    def secret_for(self, key_ids: list[str]) -> str:
        """The identity that opens something encrypted to any of `key_ids`, or IdentityError saying which
        key is needed and which are at hand. A protected identity that cannot be opened (no passphrase, a
        wrong one) does not hide another that opens the run: its error is raised only if none does."""
        wanted = set(key_ids)
        blocked: IdentityError | None = None
        unknown = []
        for ident in self._identities():
            if ident.kid is None and ident.protected:
                unknown.append(ident)  # no .pub beside it: open it to learn which key it is, last
            elif ident.kid in wanted:
                try:
                    if ident.secret is None:
                        _, ident.secret = read_identity(ident.path, self.passphrase)
                    return ident.secret
                except IdentityError as exc:
                    blocked = blocked or exc
        for ident in unknown:
            try:
                ident.kid, ident.secret = read_identity(ident.path, self.passphrase)
            except IdentityError as exc:
                blocked = blocked or exc
                continue
            except (OSError, ValueError) as exc:  # opened, but not an identity
                ident.problem = str(exc)
                continue
            if ident.kid in wanted:
                return ident.secret
        if blocked is not None:
            raise blocked
        needed = ", ".join(key_ids) or "(none recorded)"
        here = ", ".join(f"{i.kid} ({i.path})" for i in self._identities() if i.kid) or "none"
        unusable = "; ".join(f"{i.path}: {i.problem}" for i in self._identities() if i.problem)
        raise IdentityError(f"needs the identity of key {needed}; identities at hand: {here}"
                            + (f" (not usable: {unusable})" if unusable else "")
                            + ". Give it with --identity FILE (the recovery sheet has it), or put it in the keys folder",
                            list(key_ids))

    def source_of(self, secret: str) -> Path | None:
        """The file an identity was read from."""
        return next((i.path for i in self._seen.values() if i.secret == secret), None)

    def decrypt_stage(self, path: Path, key_ids: list[str]) -> Stage:
        fd = secret_pipe((self.secret_for(key_ids) + "\n").encode())
        return Stage(["age", "--decrypt", "-i", f"/dev/fd/{fd}", str(path)], name="age -d", pass_fds=(fd,))


_ENV_SECRETS: dict[str, str] = {}


def _env_secret(name: str) -> str | None:
    """A secret given in the environment (cron, a systemd credential), taken out of it at first use so
    the children (pg_dump, tar, age…) do not inherit it."""
    if name in os.environ:
        _ENV_SECRETS[name] = os.environ.pop(name)
    return _ENV_SECRETS.get(name)


def explain(failure: str | None, key_ids: list[str]) -> str | None:
    """age's own words for a wrong key, with the key that is needed."""
    if failure and "no identity matched" in failure:
        return said("key.not_this", failure=failure, keys=", ".join(key_ids))
    return failure
