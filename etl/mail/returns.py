"""What comes back: bounce reports, complaints and unsubscribe requests by mail, applied to
the subscribers. Each report is recorded once (mail_events), so reading the same mailbox again
changes nothing, and a run that stops half-way can simply be repeated."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from etl.db.models import MailEvent as EventRow
from etl.db.models import Subscriber
from etl.mail.bounces import MailEvent, Reading
from etl.mail.tokens import read_token
from etl.settings import Settings

E = EventRow.__table__
S = Subscriber.__table__


@dataclass
class ReturnsReport:
    messages: int = 0
    events: Counter[str] = field(default_factory=Counter)  # kind -> events taken
    repeated: int = 0  # events already recorded by an earlier run
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # (address, was, now)
    unknown: int = 0  # events about addresses we do not have
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (message, why)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (message, what is wrong)


def apply_readings(
    engine: Engine,
    settings: Settings,
    readings: Iterable[Reading],
    now: datetime,
) -> ReturnsReport:
    """Record and act on each reading's events; one transaction per message, so a bad one
    never undoes the others."""
    report = ReturnsReport()
    for reading in readings:
        report.messages += 1
        if reading.error:
            report.errors.append((reading.name, reading.error))
            continue
        if not reading.events:
            report.ignored.append((reading.name, reading.ignored or "nothing to act on"))
            continue
        digest = reading.digest
        for event in reading.events:
            event = _trusted(event, settings)
            with engine.begin() as conn:
                if not _record(conn, digest, event, now):
                    report.repeated += 1
                    continue
                report.events[event.kind] += 1
                change = _act(conn, event, settings, now)
                if change is None:
                    report.unknown += 1
                elif change[1] != change[2]:
                    report.changed.append(change)
    return report


def _trusted(event: MailEvent, settings: Settings) -> MailEvent:
    """An unsubscribe request carrying a valid token acts for the token's address, whoever
    sent it (a forwarding address, an alias); without one, for the sender's address."""
    if event.kind != "unsubscribe" or not event.token or not settings.secrets.secret_key:
        return event
    email = read_token(settings, "unsubscribe", event.token, None)
    if email is None:
        return event
    return MailEvent(event.kind, email, event.status, event.diagnostic, event.message_id, "")


def _record(conn: Connection, digest: str, event: MailEvent, now: datetime) -> bool:
    found = conn.execute(
        select(E.c.id).where(
            E.c.report == digest, E.c.address == event.address, E.c.kind == event.kind
        )
    ).first()
    if found is not None:
        return False
    subscriber = conn.execute(select(S.c.id).where(S.c.email == event.address)).scalar()
    try:
        with conn.begin_nested():
            conn.execute(
                insert(E).values(
                    report=digest,
                    kind=event.kind,
                    address=event.address,
                    status=event.status,
                    detail=event.diagnostic,
                    message_id=event.message_id,
                    subscriber_id=subscriber,
                    processed_at=now,
                )
            )
    except IntegrityError:  # another process recorded it a moment ago
        return False
    return True


def _act(
    conn: Connection, event: MailEvent, settings: Settings, now: datetime
) -> tuple[str, str, str] | None:
    """Returns (address, state before, state after), or None for an unknown address."""
    row = conn.execute(select(S).where(S.c.email == event.address)).mappings().first()
    if row is None:
        return None
    before = row["state"]
    values: dict[str, object] = {}
    detail = f"{event.status} {event.diagnostic}".strip()[:500]
    if event.kind == "bounce":
        bounces = row["bounces"] + 1
        values = {"bounces": bounces, "last_error": detail or "bounce report"}
        if bounces >= settings.delivery.bounce_limit and before in ("active", "pending"):
            values["state"] = "bounced"
    elif event.kind == "soft_bounce":
        values = {"last_error": detail or "delayed"}
    elif event.kind == "complaint":
        if before != "complained":
            values = {"state": "complained", "last_error": "marked the issue as spam"}
    elif event.kind == "unsubscribe" and before in ("active", "pending"):
        values = {"state": "unsubscribed", "last_error": "by mail"}
    if "state" in values:
        values["changed_at"] = now
    if values:
        conn.execute(update(S).where(S.c.id == row["id"]).values(values))
    return event.address, before, str(values.get("state", before))
