"""Probes for `dse-tui check`: run a command the way the real step will, and keep only the first line of
what went wrong (a silent server must not hang the check, so every probe has a timeout)."""

from __future__ import annotations

import shutil
import subprocess

from dse_tui.core.texts import Text

TIMEOUT = 10  # seconds for any one probe


def first_error(argv: list[str], env: dict | None = None, stdin: str | None = None,
                timeout: float = TIMEOUT) -> str | None:
    """None when the command succeeded, else its first error line."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, input=stdin or "")
    except subprocess.TimeoutExpired:
        return f"no answer within {timeout:.0f} s"
    except OSError as exc:
        return str(exc)
    if out.returncode == 0:
        return None
    lines = [line for line in (out.stderr or out.stdout).strip().splitlines() if line.strip()]
    return lines[0].strip() if lines else f"exit status {out.returncode}"


def ssh_probe(ssh: list[str], script: str, ok_text: str) -> tuple[str, str]:
    """(level, message) of `script` run on the host that `ssh` (an ssh argv up to the destination) reaches."""
    if not shutil.which("ssh"):
        return "error", Text("check.no_ssh")
    result = first_error(ssh + ["--", script])
    if result is not None:
        return "error", Text("check.over_ssh", host=ssh[-1], result=result)
    return "ok", Text("check.ok_ssh", text=ok_text, host=ssh[-1])
