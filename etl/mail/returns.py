"""What comes back: bounce reports, complaints and unsubscribe requests by mail, applied to
the subscribers. Each report is recorded once (mail_events), so reading the same mailbox again
changes nothing, and a run that stops half-way can simply be repeated.

Anyone can send mail to the return path or the unsubscribe address, and a report can name any
address, so a report acts only when it is tied to a message we sent:

- a bounce or complaint by the delivery it returns: the signed per-delivery return path it was
  sent to (or that the returned message carries), else our keyed Message-ID that it quotes
  (mail/verp.py). It then acts on that delivery's reader, never on the address the report
  names: a bounce naming another address is not applied, and a complaint (whose recipient
  feedback loops often redact) counts against the delivery's reader;
- a mail to the unsubscribe address by the signed unsubscribe token it carries, for the
  token's address; its From is not evidence.

Everything else is recorded with the outcome "unmatched" and why, shown to the operator by
`bounces process` and `status`, and never applied.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from etl.db.models import Article, Delivery, DigestIssue, Subscriber
from etl.db.models import MailEvent as EventRow
from etl.mail import verp
from etl.mail.bounces import COMPLAINT, UNSUBSCRIBE, MailEvent, Reading
from etl.mail.tokens import read_token
from etl.settings import Settings

E = EventRow.__table__
S = Subscriber.__table__
D = Delivery.__table__
I = DigestIssue.__table__  # noqa: E741
A = Article.__table__


@dataclass
class ReturnsReport:
    messages: int = 0
    events: Counter[str] = field(default_factory=Counter)  # kind -> events taken
    repeated: int = 0  # events already recorded by an earlier run
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # (address, was, now)
    # (message, kind, address named, why it was not applied): recorded, never acted on
    unmatched: list[tuple[str, str, str, str]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (message, why)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (message, what is wrong)


@dataclass(frozen=True)
class _Tie:
    """Whom a report is about, when it can be tied to our mail; else why not."""

    subscriber: dict[str, Any] | None
    why_not: str = ""


def apply_readings(
    engine: Engine,
    settings: Settings,
    readings: Iterable[Reading],
    now: datetime,
) -> ReturnsReport:
    """Record each reading's events and act on those tied to our mail; one transaction per
    event, so a bad one never undoes the others."""
    report = ReturnsReport()
    key = settings.secrets.secret_key or ""
    for reading in readings:
        report.messages += 1
        if reading.error:
            report.errors.append((reading.name, reading.error))
            continue
        if not reading.events:
            report.ignored.append((reading.name, reading.ignored or "nothing to act on"))
            continue
        for event in reading.events:
            with engine.begin() as conn:
                tie = _tie(conn, settings, key, reading, event)
                if not _record(conn, reading.digest, event, tie, now):
                    report.repeated += 1
                    continue
                if tie.subscriber is None:
                    named = event.address or "(no address)"
                    report.unmatched.append((reading.name, event.kind, named, tie.why_not))
                    continue
                report.events[event.kind] += 1
                report.changed.append(_act(conn, event, tie.subscriber, settings, now))
    report.changed = [c for c in report.changed if c[1] != c[2]]
    return report


def _tie(
    conn: Connection, settings: Settings, key: str, reading: Reading, event: MailEvent
) -> _Tie:
    if event.kind == UNSUBSCRIBE:
        email = read_token(settings, "unsubscribe", event.token, None) if event.token else None
        if email is None:
            return _Tie(None, "no valid signed unsubscribe token in the subject or first line")
        found = _subscriber(conn, S.c.email == email)
        return _Tie(found, "" if found else f"the token's address {email} is not on the list")
    delivery = None
    for address in reading.addressed_to:
        delivery_id = verp.delivery_of(key, address)
        if delivery_id is not None:
            delivery = _delivery(conn, D.c.id == delivery_id)
            break
    if delivery is None and event.message_id and key:
        delivery = _delivery(conn, D.c.message_id == event.message_id)
        if delivery is not None and not _keyed(key, delivery, event.message_id):
            delivery = None  # an id from before ids were keyed: anyone could have made it
    if delivery is None:
        return _Tie(None, "not tied to a message we sent (no signed return path, no Message-ID "
                    "of a delivery)")  # fmt: skip
    found = _subscriber(conn, S.c.id == delivery["subscriber_id"])
    if found is None:
        return _Tie(None, "the delivery's reader is no longer on the list")
    if event.kind != COMPLAINT and event.address and event.address != found["email"]:
        return _Tie(None, f"names {event.address}, but our message went to {found['email']}")
    return _Tie(found)  # a complaint acts on the delivery's reader: feedback loops redact


def _delivery(conn: Connection, where: Any) -> dict[str, Any] | None:
    # An issue's delivery, or a feature article's: its message ids are keyed with the slug the
    # sender used, `article-SLUG` (articles/service.py).
    slug = func.coalesce(I.c.slug, literal("article-").concat(A.c.slug)).label("slug")
    query = select(D.c.id, D.c.subscriber_id, D.c.message_id, slug, S.c.email)
    query = (
        query.outerjoin(I, I.c.id == D.c.issue_id)
        .outerjoin(A, A.c.id == D.c.article_id)
        .join(S, S.c.id == D.c.subscriber_id)
    )
    row = conn.execute(query.where(where).limit(1)).mappings().first()
    return dict(row) if row else None


def _keyed(key: str, delivery: dict[str, Any], message_id: str) -> bool:
    return verp.message_tag(key, delivery["slug"], delivery["email"]) in message_id


def _subscriber(conn: Connection, where: Any) -> dict[str, Any] | None:
    row = conn.execute(select(S).where(where)).mappings().first()
    return dict(row) if row else None


def _record(conn: Connection, digest: str, event: MailEvent, tie: _Tie, now: datetime) -> bool:
    address = tie.subscriber["email"] if tie.subscriber else event.address
    found = conn.execute(
        select(E.c.id).where(E.c.report == digest, E.c.address == address, E.c.kind == event.kind)
    ).first()
    if found is not None:
        return False
    try:
        with conn.begin_nested():
            conn.execute(
                insert(E).values(
                    report=digest,
                    kind=event.kind,
                    address=address,
                    status=event.status,
                    detail=event.diagnostic,
                    message_id=event.message_id,
                    subscriber_id=tie.subscriber["id"] if tie.subscriber else None,
                    processed_at=now,
                    outcome="applied" if tie.subscriber else "unmatched",
                    reason=tie.why_not,
                )
            )
    except IntegrityError:  # another process recorded it a moment ago
        return False
    return True


def _act(
    conn: Connection,
    event: MailEvent,
    row: dict[str, Any],
    settings: Settings,
    now: datetime,
) -> tuple[str, str, str]:
    """Returns (address, state before, state after)."""
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
    return row["email"], before, str(values.get("state", before))


def unmatched_since(conn: Connection, since: datetime) -> int:
    """Reports recorded but not applied since then, for `status`."""
    return conn.execute(
        select(func.count()).where(E.c.outcome == "unmatched", E.c.processed_at >= since)
    ).scalar_one()


UNMATCHED_DAYS = 30  # how far back `status` counts reports that were not applied


def recent_unmatched(conn: Connection, now: datetime) -> int:
    return unmatched_since(conn, now - timedelta(days=UNMATCHED_DAYS))
