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
from dse_tui.core.texts import default_language, tr


def wanted(profile, event: str) -> bool:
    """The daily summary is asked for by `daily_summary`; every other mail by `on`."""
    if profile.notify is None:
        return False
    if event == "test":  # asked for by the operator: always
        return True
    return profile.notify.daily_summary if event == "summary" else event in profile.notify.on


def _lang(profile) -> str:
    """Mail speaks the site's language (`--lang` given to the command that sends it), else the locale."""
    return default_language(profile.site.language)


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
    lang = _lang(profile)
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
                    log(tr("mail.refused", lang, subject=subject, host=n.host, error=exc))
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
        log(tr("mail.failed", lang, to=", ".join(n.to), host=n.host, port=n.port, error=error, n=waiting))
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

def test_message(profile, catalog: Catalog) -> bool:
    """`dse-tui notify --test`: a mail that says the way works."""
    lang = _lang(profile)
    return queue(profile, catalog, "test", tr("mail.test.subject", lang),
                 tr("mail.test.body", lang, site=profile.site.name), key=None)


def run_failed(profile, catalog: Catalog, repo, run_id: int, message: str | None) -> None:
    lang = _lang(profile)
    body = tr("mail.failed.body", lang, name=repo.name, id=repo.id, run=run_id, message=message or "",
              site=profile.site.name)
    queue(profile, catalog, "failed", tr("mail.failed.subject", lang, id=repo.id, run=run_id), body,
          repository=repo.id, key=f"failed:{run_id}")


def manual_required(profile, catalog: Catalog, repo_id: str, reason: str, key: str) -> None:
    lang = _lang(profile)
    queue(profile, catalog, "manual-required", tr("mail.manual.subject", lang, id=repo_id),
          tr("mail.manual.body", lang, id=repo_id, reason=reason), repository=repo_id, key=f"manual:{key}")


def copy_failed(profile, catalog: Catalog, run, destination: str, message: str | None, copy_id: int) -> None:
    lang = _lang(profile)
    queue(profile, catalog, "copy-failed",
          tr("mail.copy.subject", lang, repo=run.repository, run=run.id, destination=destination),
          tr("mail.copy.body", lang, repo=run.repository, run=run.id, destination=destination, message=message),
          repository=run.repository, key=f"copy:{copy_id}")


def scan(profile, catalog: Catalog, now=None) -> int:
    """Alerts from the state of things: overdue repositories (once a day each), media expiring soon (once
    each). The number queued."""
    from dse_tui.core.engine.schedule import statuses

    now = now or utcnow()
    lang = _lang(profile)
    queued = 0
    for s in statuses(profile, catalog, now):
        if s.state == "overdue":
            last = f"{s.last_good.started_at:%Y-%m-%d %H:%M} UTC" if s.last_good else tr("never", lang)
            queued += queue(profile, catalog, "overdue", tr("mail.overdue.subject", lang, id=s.repository.id),
                            tr("mail.overdue.body", lang, name=s.repository.name, id=s.repository.id, last=last),
                            repository=s.repository.id, key=f"overdue:{s.repository.id}:{now:%Y-%m-%d}")
    if profile.notify is not None:
        soon = now + timedelta(days=profile.notify.expiring_days)
        for m in catalog.media():
            if m.expires_at and m.expires_at <= soon and m.state not in ("expired", "destroyed"):
                date = f"{m.expires_at:%Y-%m-%d}"
                queued += queue(profile, catalog, "media-expiring",
                                tr("mail.expiring.subject", lang, code=m.code, date=date),
                                tr("mail.expiring.body", lang, code=m.code, kind=m.kind, date=date,
                                   location=m.location or tr("mail.no_location", lang)),
                                key=f"expiring:{m.code}:{m.expires_at:%Y-%m-%d}")  # a new date: a new mail
    return queued


def daily_summary(profile, catalog: Catalog, now=None) -> bool:
    from dse_tui.core.engine.schedule import statuses

    now = now or utcnow()
    if profile.notify is None or not profile.notify.daily_summary:
        return False
    lang = _lang(profile)
    lines = [f"{s.repository.id:<20} {tr(f'state.{s.state}', lang):<16} "
             + tr("mail.summary.copies", lang, copies=copies(s.copies, s.repository.copies))
             for s in statuses(profile, catalog, now)]
    return queue(profile, catalog, "summary", tr("mail.summary.subject", lang, date=f"{now:%Y-%m-%d}"),
                 "\n".join(lines) + "\n",
                 key=f"summary:{now:%Y-%m-%d}")
