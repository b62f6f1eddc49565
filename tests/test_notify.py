"""Mail through a real SMTP server on loopback (aiosmtpd): what arrives, with which subject and body; a
server that is down never fails a backup, and the mail goes on the next try."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller

from dse_tui.core.records import notify
from dse_tui.core.catalog import Catalog
from dse_tui.core.profile.config import load_profile
from tests.conftest import write_profile
from tests.test_cli import dse


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


def make_site(tmp_path, port: int, extra_repo: str = ""):
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "a.txt").write_text("a")
    body = f"""site: {{id: t, name: Test site}}
storage: {{root: ./backups, catalog: ./catalog.sqlite}}
notify:
  smtp: {{host: 127.0.0.1, port: {port}, timeout: 5}}
  from: dse-tui@example.edu
  to: [jaa@example.edu, backup@example.edu]
repositories:
  - {{id: docs, kind: config, driver: files, source: {{path: ./src}}, copies: 0}}
  - {{id: gone, kind: config, driver: files, source: {{path: ./nowhere}}, copies: 0}}
{extra_repo}"""
    return load_profile(write_profile(tmp_path, body))


def test_a_failed_run_mails_the_jaa(tmp_path, smtp):
    port, inbox = smtp
    profile = make_site(tmp_path, port)
    result = dse("run", "gone", "--profile", str(profile.file))
    assert result.returncode == 1
    (msg,) = [m for m in inbox.messages if "FAILED" in m["Subject"]]
    assert msg["Subject"].startswith("[dse-tui t] FAILED: gone (run ")
    assert msg["To"] == "jaa@example.edu, backup@example.edu" and msg["From"] == "dse-tui@example.edu"
    body = msg.get_content()
    assert "manual backup is required" in body and "nowhere" in body and "Test site" in body
    again = dse("run", "docs", "--profile", str(profile.file))
    assert again.returncode == 0
    assert len([m for m in inbox.messages if "FAILED" in m["Subject"]]) == 1, "each failure is mailed once"


def test_a_mail_server_that_is_down_never_fails_a_backup_and_the_mail_goes_later(tmp_path):
    port = free_port()  # nothing listens there yet
    profile = make_site(tmp_path, port)
    good = dse("run", "docs", "--profile", str(profile.file))
    assert good.returncode == 0, good.stderr
    bad = dse("run", "gone", "--profile", str(profile.file))
    assert bad.returncode == 1 and "mail to jaa@example.edu" in bad.stderr and "next try" in bad.stderr
    with Catalog(profile.catalog_path) as catalog:
        waiting = catalog.conn.execute("SELECT subject, attempts, last_error FROM outbox WHERE sent_at IS NULL").fetchall()
        assert len(waiting) == 1 and waiting[0][1] == 1 and "Connection" in waiting[0][2]
        assert catalog.last_status()["docs"].last_good is not None
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        sent = dse("notify", "--profile", str(profile.file))
        assert sent.returncode == 0 and "1 mail sent, 0 waiting" in sent.stdout
    finally:
        controller.stop()
    assert [m["Subject"] for m in inbox.messages] == [waiting[0][0]]


def test_overdue_and_expiring_media_are_mailed_once(tmp_path, smtp):
    from datetime import timedelta

    from dse_tui.core.common.timeutil import utcnow
    from tests.conftest import record_runs

    port, inbox = smtp
    profile = make_site(tmp_path, port)
    record_runs(profile.catalog_path, "docs", "g", now=utcnow() - timedelta(days=5))
    with Catalog(profile.catalog_path) as catalog:
        catalog.create_medium("T-2026-001", "optical", destination="discs")
        catalog.update_medium(catalog.medium("T-2026-001").id, expires_at=utcnow() + timedelta(days=3))
        assert notify.scan(profile, catalog) >= 2
        assert notify.scan(profile, catalog) == 0, "the same alerts are not queued twice"
        notify.flush(profile, catalog)
    subjects = [m["Subject"] for m in inbox.messages]
    assert "[dse-tui t] OVERDUE: docs" in subjects
    assert any(s.startswith("[dse-tui t] Medium T-2026-001 expires ") for s in subjects)


def test_a_failed_copy_is_mailed(tmp_path, smtp):
    port, inbox = smtp
    profile = make_site(tmp_path, port, extra_repo="destinations: [{id: usb, kind: removable, label: NOT-PLUGGED}]\n")
    text = profile.file.read_text().replace("copies: 0}\n  - {id: gone", "copies: 1, destinations: [usb]}\n  - {id: gone")
    profile.file.write_text(text)
    result = dse("run", "docs", "--profile", str(profile.file))
    assert result.returncode == 4, "good, but not stored: cron's code to alert on (issue 17)"
    (msg,) = [m for m in inbox.messages if "Copy failed" in m["Subject"]]
    assert "to usb" in msg["Subject"] and "not plugged in" in msg.get_content()


class PickyInbox(Inbox):
    """Refuses any mail whose subject says REJECT (a 554, as a content filter does)."""

    async def handle_DATA(self, server, session, envelope):
        if b"REJECT" in envelope.content:
            return "554 5.7.1 refused by policy"
        return await super().handle_DATA(server, session, envelope)


def test_a_refused_mail_does_not_hold_back_the_others_and_none_goes_twice(tmp_path):
    import threading

    inbox = PickyInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        profile = make_site(tmp_path, controller.port)
        with Catalog(profile.catalog_path) as catalog:
            notify.queue(profile, catalog, "failed", "REJECT me", "x", key="a")
            notify.queue(profile, catalog, "failed", "first", "x", key="b")
            notify.queue(profile, catalog, "failed", "second", "x", key="c")

        def flush():
            with Catalog(profile.catalog_path) as catalog:
                notify.flush(profile, catalog)

        threads = [threading.Thread(target=flush) for _ in range(3)]  # three senders at once
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        subjects = sorted(m["Subject"] for m in inbox.messages)
        assert subjects == ["[dse-tui t] first", "[dse-tui t] second"], "each once; the refused one held none back"
        with Catalog(profile.catalog_path) as catalog:
            (row,) = catalog.conn.execute("SELECT subject, last_error FROM outbox WHERE sent_at IS NULL").fetchall()
        assert "REJECT" in row[0] and "554" in row[1]
        sent = dse("notify", "--test", "--profile", str(profile.file))
        assert "Test message" in [m["Subject"].split("] ")[1] for m in inbox.messages][-1]
        assert sent.returncode == 1, "the refused mail still waits"
    finally:
        controller.stop()


def test_a_password_over_a_plain_connection_is_refused_by_the_profile(tmp_path):
    from dse_tui.core.profile.problems import ConfigError

    body = ("site: {id: t, name: T}\nstorage: {root: ./b}\nnotify:\n  smtp: {host: mail, user: dse, "
            "password_env: PW}\n  from: a@b\n  to: [c@d]\n")
    with pytest.raises(ConfigError, match="sends the password in clear"):
        load_profile(write_profile(tmp_path, body))
