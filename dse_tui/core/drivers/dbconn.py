"""How database tools are given their connection and password: environment and option files, never argv."""

from __future__ import annotations

import os


def pg_env(source: dict, timeout: int | None = None) -> dict[str, str]:
    """libpq environment for a `postgresql` source: PGHOST/PGPORT/PGUSER, the password from the variable
    `password_env` names (as PGPASSWORD) or a passfile (PGPASSFILE)."""
    env = {}
    if timeout:
        env["PGCONNECT_TIMEOUT"] = str(timeout)
    for key, var in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER")):
        if source.get(key) is not None:
            env[var] = str(source[key])
    if source.get("passfile"):
        env["PGPASSFILE"] = str(source["passfile"])
    if source.get("password_env"):
        env["PGPASSWORD"] = os.environ.get(source["password_env"], "")
    return {**os.environ, **env}


def mysql_option_text(source: dict) -> str | None:
    """What a MariaDB tool reads as its option file (from stdin): the profile's `passfile` as it is, or a
    [client] section with the password from the variable `password_env` names; None when there is none.
    Raises OSError when the passfile cannot be read."""
    if source.get("passfile"):
        return source["passfile"].read_text()
    if not source.get("password_env"):
        return None
    password = os.environ.get(source["password_env"], "")
    escaped = password.replace("\\", "\\\\").replace('"', '\\"')
    return f'[client]\npassword="{escaped}"\n'


def mysql_connection_args(source: dict) -> list[str]:
    args = [f"--host={source['host']}"] if source.get("host") else []
    args += [f"--port={source['port']}"] if source.get("port") else []
    args += [f"--user={source['user']}"] if source.get("user") else []
    return args
