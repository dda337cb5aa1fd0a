"""The deliveries table: one row per (issue, subscriber), or (article, subscriber) for a full
article mailed as a feature (`Feature`), moved through its states by the
sender: queued → claimed (by one sender) → sent | retry | failed, or skipped when the reader
left meanwhile. Every function runs inside the caller's transaction; see sender.py for the
order of commits that makes sending exactly-once."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, insert, or_, select, update

from etl.db.models import Delivery, DigestItem, Subscriber
from etl.db.states import PUBLISHED_STATES, DeliveryState
from etl.mail.verp import message_tag

D = Delivery.__table__
S = Subscriber.__table__
I = DigestItem.__table__  # noqa: E741
CLAIMABLE = (DeliveryState.QUEUED, DeliveryState.RETRY)
DONE = (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.SKIPPED)


class Feature(int):
    """An article's id where these functions take an issue's: a full article mailed as a
    feature has delivery rows of its own (`article_id`, no issue) in the same states, so the
    one sender delivers it exactly once, as it does an issue."""


def _of(owner: int) -> ColumnElement[bool]:
    """The rows of an issue, or of a feature's article."""
    if isinstance(owner, Feature):
        return D.c.article_id == int(owner)
    return D.c.issue_id == owner


def message_id(slug: str, email: str, domain: str, key: str = "") -> str:
    """Stable per delivery: a resend after a crash carries the same id, so the receiving side
    can tell it is the same message. Keyed with SECRET_KEY, so that a returned report quoting
    it names the delivery and nobody can forge one for another reader (mail/verp.py)."""
    if key:
        return f"<{slug}.{message_tag(key, slug, email)}@{domain}>"
    tag = hashlib.sha256(email.lower().encode()).hexdigest()[:16]
    return f"<{slug}.{tag}@{domain}>"


def create(
    conn: Connection,
    issue_id: int,
    slug: str,
    domain: str,
    now: datetime,
    key: str = "",
    language: str | None = None,
) -> int:
    """A queued row for every active subscriber without one for this issue (of `language`
    only, when given: a feature article is written in one)."""
    have = select(D.c.subscriber_id).where(_of(issue_id))
    query = select(S.c.id, S.c.email).where(S.c.state == "active", S.c.id.not_in(have))
    if language is not None:
        query = query.where(S.c.language == language)
    readers = conn.execute(query).all()
    rows = [
        {
            "issue_id": None if isinstance(issue_id, Feature) else issue_id,
            "article_id": int(issue_id) if isinstance(issue_id, Feature) else None,
            "subscriber_id": sid,
            "state": DeliveryState.QUEUED,
            "message_id": message_id(slug, email, domain, key),
            "attempts": 0,
            "last_error": "",
            "in_doubt": False,
            "created_at": now,
            "updated_at": now,
        }
        for sid, email in readers
    ]
    if rows:
        conn.execute(insert(D), rows)
    return len(rows)


def claim(
    conn: Connection, issue_id: int, worker: str, limit: int, now: datetime
) -> tuple[list[dict[str, Any]], int]:
    """Take up to `limit` due rows for this worker, in id order (the order they are sent in,
    which `recover` relies on). Rows whose reader is no longer active are marked skipped here,
    moments before their turn. Returns the rows to send and how many were skipped.

    On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets several senders claim side by side without
    waiting on each other; SQLite serializes writers, so the single UPDATE is enough there."""
    due = (
        select(D.c.id)
        .where(
            _of(issue_id),
            D.c.state.in_(CLAIMABLE),
            or_(D.c.next_attempt_at.is_(None), D.c.next_attempt_at <= now),
        )
        .order_by(D.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = (
        conn.execute(
            update(D)
            .where(D.c.id.in_(due.scalar_subquery()), D.c.state.in_(CLAIMABLE))
            .values(state=DeliveryState.CLAIMED, claimed_by=worker, updated_at=now)
            .returning(D.c.id)
        )
        .scalars()
        .all()
    )
    if not ids:
        return [], 0
    query = (
        select(
            D.c.id,
            D.c.message_id,
            D.c.attempts,
            D.c.subscriber_id,
            S.c.email,
            S.c.language,
            S.c.topics,
            S.c.state.label("reader_state"),
        )
        .join(S, S.c.id == D.c.subscriber_id)
        .where(D.c.id.in_(ids))
        .order_by(D.c.id)
    )
    rows = [dict(row) for row in conn.execute(query).mappings()]
    gone = [r["id"] for r in rows if r["reader_state"] != "active"]
    if gone:
        conn.execute(
            update(D)
            .where(D.c.id.in_(gone))
            .values(
                state=DeliveryState.SKIPPED,
                last_error="the reader is no longer active",
                updated_at=now,
            )
        )
    return [r for r in rows if r["reader_state"] == "active"], len(gone)


def finish(
    conn: Connection,
    delivery_id: int,
    state: str,
    now: datetime,
    *,
    code: int | None = None,
    error: str = "",
    next_attempt_at: datetime | None = None,
    attempted: bool = True,
    work_ids: list[int] | None = None,
) -> None:
    """Record the outcome of one try (`attempted=False`: the relay was never reached);
    `work_ids`: the works the message held, kept with a sent one."""
    values: dict[str, Any] = {
        "state": state,
        "updated_at": now,
        "last_code": code,
        "last_error": error,
        "next_attempt_at": next_attempt_at,
    }
    if attempted:
        values["attempts"] = D.c.attempts + 1
    if state == DeliveryState.SENT:
        values["sent_at"] = now
        if work_ids is not None:
            values["work_ids"] = sorted(work_ids)
    if state == DeliveryState.QUEUED:
        values["claimed_by"] = None  # else kept: which sender last handled the row
    conn.execute(update(D).where(D.c.id == delivery_id).values(values))


def count_bounce(
    conn: Connection, subscriber_id: int, error: str, limit: int, now: datetime
) -> bool:
    """One more permanent failure for the address; returns True when it is now bounced."""
    conn.execute(
        update(S)
        .where(S.c.id == subscriber_id)
        .values(bounces=S.c.bounces + 1, last_error=error[:500])
    )
    bounced = conn.execute(
        update(S)
        .where(S.c.id == subscriber_id, S.c.bounces >= limit, S.c.state == "active")
        .values(state="bounced", changed_at=now)
    ).rowcount
    return bool(bounced)


def release(conn: Connection, issue_id: int, worker: str, now: datetime) -> int:
    """Hand a worker's unsent claims back to the queue (a clean stop)."""
    return conn.execute(
        update(D)
        .where(_of(issue_id), D.c.claimed_by == worker, D.c.state == DeliveryState.CLAIMED)
        .values(state=DeliveryState.QUEUED, claimed_by=None, updated_at=now)
    ).rowcount


def recover(
    conn: Connection, issue_id: int, alive: Callable[[str], bool], now: datetime
) -> tuple[int, int]:
    """Rows held by senders that died go back to the queue. A sender sends its claims in id
    order and commits each outcome as it comes, so of a dead sender's claims only the first
    can have been on the wire: it is marked in doubt (the relay may have accepted it just
    before the crash). Returns (requeued, in doubt)."""
    workers = conn.execute(
        select(D.c.claimed_by).where(_of(issue_id), D.c.state == DeliveryState.CLAIMED).distinct()
    ).scalars()
    requeued = doubt = 0
    for worker in [w for w in workers if w and not alive(w)]:
        mine = and_(_of(issue_id), D.c.claimed_by == worker, D.c.state == DeliveryState.CLAIMED)
        first = conn.execute(select(func.min(D.c.id)).where(mine)).scalar()
        doubt += conn.execute(
            update(D)
            .where(D.c.id == first, D.c.state == DeliveryState.CLAIMED)
            .values(in_doubt=True, attempts=D.c.attempts + 1)
        ).rowcount
        requeued += conn.execute(
            update(D)
            .where(mine)
            .values(state=DeliveryState.QUEUED, claimed_by=None, updated_at=now)
        ).rowcount
    return requeued, doubt


def summary(conn: Connection, issue_id: int) -> dict[str, Any]:
    rows = conn.execute(select(D.c.state, func.count()).where(_of(issue_id)).group_by(D.c.state))
    states: dict[str, int] = dict(rows.all())
    in_doubt = conn.execute(
        select(func.count()).where(_of(issue_id), D.c.in_doubt.is_(True))
    ).scalar_one()
    next_retry = conn.execute(
        select(func.min(D.c.next_attempt_at)).where(_of(issue_id), D.c.state == DeliveryState.RETRY)
    ).scalar_one()
    return {"states": states, "in_doubt": in_doubt, "next_retry": next_retry}


def claimed(conn: Connection, issue_id: int) -> int:
    """Rows a sender holds now (after `recover`, only live senders hold any)."""
    return conn.execute(
        select(func.count()).where(_of(issue_id), D.c.state == DeliveryState.CLAIMED)
    ).scalar_one()


def unfinished(conn: Connection, issue_id: int) -> int:
    return conn.execute(
        select(func.count()).where(_of(issue_id), D.c.state.not_in(DONE))
    ).scalar_one()


def next_due(conn: Connection, issue_id: int) -> datetime | None:
    """When the earliest waiting retry falls due (None when nothing waits)."""
    due: datetime | None = conn.execute(
        select(func.min(D.c.next_attempt_at)).where(_of(issue_id), D.c.state == DeliveryState.RETRY)
    ).scalar_one()
    return due


def planned(conn: Connection, issue_id: int, state: str) -> list[tuple[str, str, list[str]]]:
    """(email, language, topics) of the readers a send would mail now: the active readers for
    an issue not yet sending, else the readers of its unfinished deliveries (none once it is
    sent: a send never mails a reader twice)."""
    columns = (S.c.email, S.c.language, S.c.topics)
    if state in PUBLISHED_STATES:
        query = (
            select(*columns)
            .join(D, D.c.subscriber_id == S.c.id)
            .where(_of(issue_id), D.c.state.not_in(DONE), S.c.state == "active")
        )
    else:
        query = select(*columns).where(S.c.state == "active")
    return [(e, lang, list(t or [])) for e, lang, t in conn.execute(query.order_by(S.c.id))]


def sent_before(
    conn: Connection, issue_id: int, work_ids: set[int] | frozenset[int]
) -> dict[int, frozenset[int]]:
    """subscriber id → which of `work_ids` an earlier issue's message to them held (what
    `finish` recorded; a message sent before that was kept counts as holding its whole issue)."""
    if not work_ids:
        return {}
    rows = conn.execute(
        select(D.c.subscriber_id, I.c.work_id, D.c.work_ids)
        .join(I, I.c.issue_id == D.c.issue_id)
        .where(
            D.c.state == DeliveryState.SENT,
            D.c.issue_id != issue_id,
            I.c.work_id.in_(sorted(work_ids)),
        )
    )
    found: dict[int, set[int]] = {}
    for subscriber_id, work_id, held in rows:
        if held is None or work_id in held:
            found.setdefault(subscriber_id, set()).add(work_id)
    return {subscriber_id: frozenset(ids) for subscriber_id, ids in found.items()}
