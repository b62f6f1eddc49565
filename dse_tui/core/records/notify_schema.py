"""The profile's `notify:` section: mail through SMTP on what needs the JAA (password from the environment)."""

from __future__ import annotations

from dse_tui.core.profile.model import Notify  # noqa: F401 (defined there: a cached profile loads without the schemas)
from dse_tui.core.profile.schema import Bool, Enum, Field, Int, List, Mapping, Str

EVENTS = ("failed", "manual-required", "overdue", "copy-failed", "media-expiring")

NOTIFY = Mapping({
    "smtp": Field(Mapping({
        "host": Field(Str(), required=True),
        "port": Field(Int(1, 65535), default=25),
        "security": Field(Enum("none", "starttls", "tls"), default="none"),
        "user": Field(Str()),
        "password_env": Field(Str(r"[A-Za-z_][A-Za-z0-9_]*", "an environment variable's name")),
        "timeout": Field(Int(1, 300), default=20),
    }), required=True),
    "from": Field(Str(), required=True),
    "to": Field(List(Str(), min_items=1), required=True),
    "on": Field(List(Enum(*EVENTS)), default=lambda: list(EVENTS)),
    "expiring_days": Field(Int(1, 3650), default=30),
    "daily_summary": Field(Bool(), default=False),
})
