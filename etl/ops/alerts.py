"""Alerts: one email to the operators when a job turns broken, late, stale or disabled, and one
when it works again.

An alert is an incident row: opened when the verdict first becomes alarming, closed when it
stops being so. Mail goes out on those two changes only, never at every failed run. An email
the relay refused is tried again at the next review (the incident stays open, unnotified).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from etl.db.models import Alert
from etl.db.states import Verdict
from etl.mail.transport import SendError, Transport
from etl.ops.health import ALARMING, QUIET_KINDS, Health
from etl.ops.history import job_health
from etl.settings import Settings

log = logging.getLogger(__name__)
alerts = Alert.__table__

HINTS = {
    "crawl": "Test the query and the service with `mscwatch sources check {source}`; "
    "`mscwatch status` shows every run. The README's operator section says what to do "
    "when a source breaks.",
    "digest:send": "Readers are waiting for this issue. `mscwatch digest send ISSUE` resumes "
    "where it stopped once the relay (SMTP_URL) works; `--dry-run` shows who is left.",
    Verdict.STALE: "The service answers, but only with records already stored. Compare its hits "
    "with `mscwatch sources check {source}`; if the query or the service changed, fix "
    "config/sources.toml; `mscwatch crawl --source {source} --since DATE` fetches the gap again.",
    "disabled": "Fix the feed's url in config/sources.toml (a new url starts it afresh), or "
    "remove the feed there; `mscwatch sources check feed` tries the feeds without storing.",
    "late": "Check that `mscwatch run` is running (docker compose ps, or the service manager), "
    "and its log.",
}


def alarming(job: str, health: Health) -> bool:
    failing_send = job == "digest:send" and health.verdict == Verdict.FAILING
    return health.verdict in ALARMING or failing_send


def review(
    engine: Engine,
    settings: Settings,
    job: str,
    health: Health,
    now: datetime,
    transport: Callable[[], Transport],
) -> str | None:
    """Open or close `job`'s incident to match its health, mailing the operators on each change;
    returns "opened", "closed", or None when nothing changed."""
    with engine.begin() as conn:
        incident = _open_incident(conn, job)
        if alarming(job, health) and incident is None:
            opened = conn.execute(
                alerts.insert()
                .values(subject=job, reason=health.reason, opened_at=now)
                .returning(alerts.c.id)
            ).scalar_one()
            incident = {"id": opened, "notified_at": None}
            change = "opened"
        elif not alarming(job, health) and incident is not None:
            conn.execute(update(alerts).where(alerts.c.id == incident["id"]).values(closed_at=now))
            change = "closed"
        else:
            change = None
    if change:
        log.warning("alert %s for %s: %s", change, job, health.reason)
    if incident is None:
        return change
    if change == "closed":
        recovered = _recovery_message(settings, job, health, now)
        if incident["notified_at"] and _mail(settings, transport, recovered):
            _mark(engine, incident["id"], recovery_notified_at=now)
        return change
    alert = _alert_message(settings, job, health, now)
    if not incident["notified_at"] and _mail(settings, transport, alert):
        _mark(engine, incident["id"], notified_at=now)
    return change


def review_job(
    engine: Engine,
    settings: Settings,
    job: str,
    now: datetime,
    transport: Callable[[], Transport],
) -> Health:
    """`review` with the job's health read from its history; returns that health. The caller
    holds the job's lock, so one process at a time opens or closes a job's incident."""
    health = job_health(engine, settings, job, now)
    review(engine, settings, job, health, now, transport)
    return health


def open_alerts(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        query = select(alerts).where(alerts.c.closed_at.is_(None)).order_by(alerts.c.opened_at)
        return [dict(row) for row in conn.execute(query).mappings()]


def _open_incident(conn: Connection, job: str) -> dict[str, Any] | None:
    query = select(alerts).where(alerts.c.subject == job, alerts.c.closed_at.is_(None))
    row = conn.execute(query.order_by(alerts.c.opened_at.desc())).mappings().first()
    return dict(row) if row else None


def _mark(engine: Engine, incident: int, **values: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(update(alerts).where(alerts.c.id == incident).values(**values))


def _mail(settings: Settings, transport: Callable[[], Transport], message: EmailMessage) -> bool:
    """Send to every operator; False (and a log line) when none is configured or the relay
    refused, so the next review tries again."""
    if not settings.alerts.to:
        return False
    sender = transport()
    try:
        for address in settings.alerts.to:
            del message["To"]
            message["To"] = address
            key = f"alert-{message['Message-ID'].strip('<>').split('@')[0]}-{address}"
            sender.send(settings.mail.envelope_from, address, message.as_bytes(), key)
    except (SendError, OSError) as exc:
        log.error("could not mail the alert %r: %s", message["Subject"], exc)
        return False
    finally:
        sender.close()
    return True


def _base(settings: Settings, subject: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail.from_address
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("alert", settings.mail.domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    return message


def _alert_message(settings: Settings, job: str, health: Health, now: datetime) -> EmailMessage:
    message = _base(settings, f"[mscwatch] {job} is {health.verdict}", now)
    if health.verdict in QUIET_KINDS:
        kind = health.verdict
    else:
        kind = "crawl" if job.startswith("crawl:") else job
    hint = HINTS.get(kind, "`mscwatch status` shows every run; the log has the details.")
    lines = [
        f"{job} is {health.verdict}: {health.reason}",
        "",
        f"Last success: {_when(health.last_success)}",
        f"Last failure: {_when(health.last_failure)}",
    ]
    if health.last_error:
        lines.append(f"Last error: {health.last_error}")
    lines += ["", hint.format(source=job.removeprefix("crawl:")), "", _footer(now)]
    message.set_content("\n".join(lines))
    return message


def _recovery_message(settings: Settings, job: str, health: Health, now: datetime) -> EmailMessage:
    message = _base(settings, f"[mscwatch] {job} works again", now)
    message.set_content(
        f"{job} is {health.verdict} again: {health.reason}\n\n"
        f"Last success: {_when(health.last_success)}\n\n{_footer(now)}"
    )
    return message


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M %Z}" if value else "never"


def _footer(now: datetime) -> str:
    return (
        f"Sent by mscwatch at {now:%Y-%m-%d %H:%M %Z}, once per incident; "
        "a note follows when it recovers."
    )
