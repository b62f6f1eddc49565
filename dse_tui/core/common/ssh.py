"""ssh command lines: key authentication only (BatchMode), the user's ~/.ssh/config honoured."""

from __future__ import annotations

import shlex

CONNECT_TIMEOUT = 5


def ssh_argv(host: str, user: str | None = None, port: int | None = None, identity_file=None,
             options: tuple[str, ...] | list[str] = ()) -> list[str]:
    argv = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={CONNECT_TIMEOUT}"]
    for option in options:
        argv += ["-o", option]
    if port:
        argv += ["-p", str(port)]
    if identity_file:
        argv += ["-i", str(identity_file)]
    return argv + [f"{user}@{host}" if user else host]


def target_argv(target) -> list[str]:
    """ssh to a profile's SSHTarget (host, user, port, identity_file, options)."""
    return ssh_argv(target.host, target.user, target.port, target.identity_file, target.options)


def remote_command(command: list[str], env: dict[str, str] | None = None) -> str:
    """One shell line for the remote side; env values must not be secrets (the remote argv shows them)."""
    assigns = [f"{k}={shlex.quote(v)}" for k, v in (env or {}).items()]
    return " ".join(assigns + [shlex.quote(a) for a in command])
