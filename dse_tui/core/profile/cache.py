"""A cache of validated profiles, so a big site's console starts without parsing its YAML again.

Keyed by the profile's bytes, its path (relative paths resolve against it) and the code that validates
it: any edit to the file or to the validating modules misses the cache. Only a profile that validated is
stored; a damaged or unreadable cache entry is ignored."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from dse_tui import __version__

# The modules that validate a profile, relative to dse_tui/core: an edit to any of them misses the cache.
_CODE = ("profile/config.py", "profile/schema.py", "profile/periods.py", "profile/yamlsource.py",
         "sessions/checklist_schema.py", "labels/schema.py", "labels/stocks.py", "records/notify_schema.py")
_fingerprint: str | None = None


def _code_fingerprint() -> str:
    global _fingerprint
    if _fingerprint is None:
        digest = hashlib.sha256(__version__.encode())
        here = Path(__file__).resolve().parent.parent
        for name in _CODE:
            digest.update((here / name).read_bytes())
        _fingerprint = digest.hexdigest()
    return _fingerprint


KEEP = 20  # entries; older ones (earlier versions of edited profiles) are removed


def _entry(file: Path, raw: bytes) -> Path:
    from platformdirs import user_cache_path, user_data_path

    # The default catalog path is computed from the data directory: it belongs in the key too.
    parts = [raw, os.fsencode(file), _code_fingerprint().encode(), os.fsencode(user_data_path("dse-tui"))]
    key = hashlib.sha256(b"\0".join(parts)).hexdigest()
    return user_cache_path("dse-tui") / "profiles" / f"{key}.pickle"


def get(file: Path, raw: bytes):
    try:
        with open(_entry(file, raw), "rb") as f:
            return pickle.load(f)
    except Exception:  # missing, damaged, from another Python: parse the YAML instead
        return None


def put(file: Path, raw: bytes, profile) -> None:
    try:
        path = _entry(file, raw)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(profile, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        entries = sorted(path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a cache that cannot be written only costs the next start its speed


def load_cached(file) -> object | None:
    """The profile in `file` if it validated before, byte for byte; None otherwise (then load it with
    config.load_profile). The console starts through here: a hit imports neither YAML nor the schemas."""
    file = Path(file).expanduser().absolute()
    try:
        raw = file.read_bytes()
    except OSError:
        return None
    profile = get(file, raw)
    return None if profile is None else take_secrets(profile)


def take_secrets(profile):
    """The key's passphrase leaves the environment as soon as the profile names it: no child inherits it."""
    if profile.encryption and profile.encryption.passphrase_env:
        from dse_tui.core.keys.crypto import _env_secret

        _env_secret(profile.encryption.passphrase_env)
    return profile
