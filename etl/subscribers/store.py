"""The subscribers' tables, read and written with SQLAlchemy Core inside the caller's
transaction: the rules live in service.py, this module only moves rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from etl.db.models import RateEvent, Subscriber

T = Subscriber.__table__
STATES = ("pending", "active", "unsubscribed", "bounced", "complained")
SUPPRESSED = ("unsubscribed", "bounced", "complained")


def find(conn: Connection, email: str) -> dict[str, Any] | None:
    row = conn.execute(select(T).where(T.c.email == email)).mappings().first()
    return dict(row) if row else None


def create(conn: Connection, values: dict[str, Any], now: datetime) -> dict[str, Any]:
    row = {
        "topics": [],
        "consent": {},
        "bounces": 0,
        "last_error": "",
        "confirmations_sent": 0,
        "confirmation_sent_at": None,
        "confirmed_at": now if values.get("state") == "active" else None,
        "created_at": now,
        "changed_at": now,
        **values,
    }
    row["id"] = conn.execute(insert(T).values(row)).inserted_primary_key[0]
    return row


def change(conn: Connection, subscriber_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(T).where(T.c.id == subscriber_id).values(values))


def set_state(
    conn: Connection, subscriber_id: int, state: str, now: datetime, **extra: Any
) -> None:
    values = {"state": state, "changed_at": now, **extra}
    if state == "active":
        values.setdefault("confirmed_at", now)
    change(conn, subscriber_id, values)


def listing(conn: Connection, states: Iterable[str] = ()) -> list[dict[str, Any]]:
    query = select(T).order_by(T.c.id)
    states = tuple(states)
    if states:
        query = query.where(T.c.state.in_(states))
    return [dict(r) for r in conn.execute(query).mappings()]


def remove(conn: Connection, email: str) -> bool:
    return conn.execute(delete(T).where(T.c.email == email)).rowcount > 0


def counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(T.c.state, func.count()).group_by(T.c.state))
    found = {state: n for state, n in rows}
    return {state: found.get(state, 0) for state in STATES}


R = RateEvent.__table__


def hits(conn: Connection, key: str, since: datetime) -> int:
    query = select(func.count()).select_from(R).where(R.c.key == key, R.c.at >= since)
    return conn.execute(query).scalar_one()


def hit(conn: Connection, key: str, now: datetime, forget_before: datetime) -> None:
    """Record one use, and forget uses too old to matter so the table stays small."""
    conn.execute(delete(R).where(R.c.key == key, R.c.at < forget_before))
    conn.execute(insert(R).values(key=key, at=now))
