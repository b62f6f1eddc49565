"""Mail to the JAA on what needs them: a failed run, a manual backup required, an overdue repository, a
failed copy, media about to expire; a daily summary if asked for.

Messages go into the catalog's outbox first, each with a key so the same alert is not sent twice (a run's
failure once, an overdue repository once a day); `flush` sends what waits. A mail that cannot be sent is
logged and tried again on the next flush. Nothing here ever raises into a backup."""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Callable

from dse_tui.core.catalog import Catalog
from dse_tui.core.common.timeutil import utcnow
from dse_tui.core.common.fmt import copies


def wanted(profile, event: str) -> bool:
    """The daily summary is asked for by `daily_summary`; every other mail by `on`."""
    if profile.notify is None:
        return False
    if event == "test":  # asked for by the operator: always
        return True
    return profile.notify.daily_summary if event == "summary" else event in profile.notify.on


def queue(profile, catalog: Catalog, event: str, subject: str, body: str, *, repository: str | None = None,
          key: str | None = None) -> bool:
    """Put a mail in the outbox (once per `key`); False when the profile does not want this event."""
    if not wanted(profile, event):
        return False
    try:
        return catalog.queue_mail(event, f"[dse-tui {profile.site.id}] {subject}", body, repository=repository,
                                  key=key)
    except Exception:  # the catalog busy or full: a notification must never cost a backup
        return False


MAX_ATTEMPTS = 20  # a mail refused this often stays in the outbox, with its error, and is no longer tried
CLAIM_MINUTES = 10  # a flush that died holding mail lets it go after this


def flush(profile, catalog: Catalog, log: Callable[[str], None] | None = None) -> tuple[int, int]:
    """Send what waits in the outbox: (sent, still waiting). Errors are recorded on each mail and logged.
    The mail to send is claimed first, so two flushes at once (two consoles, cron) never send one twice."""
    log = log or (lambda line: None)
    if profile.notify is None:
        return 0, 0
    now = utcnow()
    rows = catalog.claim_mail(now, MAX_ATTEMPTS, now - timedelta(minutes=CLAIM_MINUTES))
    if not rows:
        return 0, 0
    n = profile.notify
    sent, error = 0, None
    try:
        smtp = _connect(n)
        try:
            for mid, subject, body in rows:
                try:
                    smtp.send_message(_message(n, subject, body))
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                    # This mail refused: said on it; the others still go.
                    catalog.mail_refused(mid, f"{type(exc).__name__}: {exc}")
                    log(f"mail '{subject}' refused by {n.host}: {exc}")
                    continue
                catalog.mail_sent(mid)
                sent += 1
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    except (OSError, smtplib.SMTPException, ssl.SSLError, MailSetupError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    # Whatever was claimed and not sent is free again for the next try.
    waiting = catalog.claimed_mail_waiting(now)
    if error:
        catalog.claimed_mail_failed(now, error)
        log(f"mail to {', '.join(n.to)} through {n.host}:{n.port} failed ({error}); {waiting} message(s) "
            "wait for the next try")
        catalog.record_event("mail", "failed", detail={"error": error, "waiting": waiting})
    catalog.release_mail(now)
    if sent:
        catalog.record_event("mail", "ok", detail={"sent": sent, "to": list(n.to)})
    return sent, len(rows) - sent


class MailSetupError(Exception):
    """The profile's mail settings cannot work as they are."""


def _connect(n) -> smtplib.SMTP:
    password = None
    if n.user:
        if n.password_env and n.password_env not in os.environ:
            raise MailSetupError(f"the environment variable {n.password_env} (notify.smtp.password_env) is not set")
        password = os.environ.get(n.password_env or "", "")
    if n.security == "tls":
        smtp = smtplib.SMTP_SSL(n.host, n.port, timeout=n.timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(n.host, n.port, timeout=n.timeout)
    try:
        if n.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if n.user:
            smtp.login(n.user, password)
    except BaseException:
        smtp.close()  # no socket left behind when the server says no
        raise
    return smtp


def _message(n, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = n.sender, ", ".join(n.to), subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=socket.getfqdn() or "dse-tui")
    msg.set_content(body)
    return msg


# ---------------------------------------------------------------------- what is worth a mail

def run_failed(profile, catalog: Catalog, repo, run_id: int, message: str | None) -> None:
    body = (f"The backup of {repo.name} ({repo.id}) failed: run {run_id}.\n\n{message or ''}\n\n"
            "Procedure 4.2.1: a manual backup is required. Open dse-tui, select the repository and press m for "
            f"the ITR checklist, or see `dse-tui status`.\n\nSite: {profile.site.name}\n")
    queue(profile, catalog, "failed", f"FAILED: {repo.id} (run {run_id})", body, repository=repo.id,
          key=f"failed:{run_id}")


def manual_required(profile, catalog: Catalog, repo_id: str, reason: str, key: str) -> None:
    queue(profile, catalog, "manual-required", f"Manual backup required: {repo_id}",
          f"{repo_id} needs a manual backup (procedure 4.2.1): {reason}\n\nOpen dse-tui and press m on it.\n",
          repository=repo_id, key=f"manual:{key}")


def copy_failed(profile, catalog: Catalog, run, destination: str, message: str | None, copy_id: int) -> None:
    queue(profile, catalog, "copy-failed", f"Copy failed: {run.repository} run {run.id} to {destination}",
          f"The copy of run {run.id} of {run.repository} to {destination} failed: {message}\n\nUntil it is "
          "copied the run is not stored on enough devices. `dse-tui copy` tries again.\n",
          repository=run.repository, key=f"copy:{copy_id}")


def scan(profile, catalog: Catalog, now=None) -> int:
    """Alerts from the state of things: overdue repositories (once a day each), media expiring soon (once
    each). The number queued."""
    from dse_tui.core.engine.schedule import statuses

    now = now or utcnow()
    queued = 0
    for s in statuses(profile, catalog, now):
        if s.state == "overdue":
            last = f"{s.last_good.started_at:%Y-%m-%d %H:%M} UTC" if s.last_good else "never"
            queued += queue(profile, catalog, "overdue", f"OVERDUE: {s.repository.id}",
                            f"{s.repository.name} ({s.repository.id}) has no good backup within its periodicity and "
                            f"grace: the last good one is from {last}.\n", repository=s.repository.id,
                            key=f"overdue:{s.repository.id}:{now:%Y-%m-%d}")
    if profile.notify is not None:
        soon = now + timedelta(days=profile.notify.expiring_days)
        for m in catalog.media():
            if m.expires_at and m.expires_at <= soon and m.state not in ("expired", "destroyed"):
                queued += queue(profile, catalog, "media-expiring", f"Medium {m.code} expires {m.expires_at:%Y-%m-%d}",
                                f"Medium {m.code} ({m.kind}, {m.location or 'no location'}) expires on "
                                f"{m.expires_at:%Y-%m-%d}: what it holds leaves its retention. Retire it with "
                                f"`dse-tui media retire {m.code}` when the time comes.\n",
                                key=f"expiring:{m.code}:{m.expires_at:%Y-%m-%d}")  # a new date: a new mail
    return queued


def daily_summary(profile, catalog: Catalog, now=None) -> bool:
    from dse_tui.core.engine.schedule import statuses

    now = now or utcnow()
    if profile.notify is None or not profile.notify.daily_summary:
        return False
    lines = [f"{s.repository.id:<20} {s.state:<16} copies {copies(s.copies, s.repository.copies)}"
             for s in statuses(profile, catalog, now)]
    return queue(profile, catalog, "summary", f"Daily summary {now:%Y-%m-%d}", "\n".join(lines) + "\n",
                 key=f"summary:{now:%Y-%m-%d}")
