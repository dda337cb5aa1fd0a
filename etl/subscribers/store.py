"""The subscribers' tables, read and written with SQLAlchemy Core inside the caller's
transaction: the rules live in service.py, this module only moves rows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, delete, func, insert, literal, select, update

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
    inserted = conn.execute(insert(T).values(row))
    row["id"] = cast(Row[Any], inserted.inserted_primary_key)[0]  # a one-row insert has its key
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


def take(conn: Connection, key: str, now: datetime, since: datetime, limit: int) -> int | None:
    """Record one use of `key` if fewer than `limit` were recorded since `since`, and return
    its row id; None when the limit is reached. Counting and recording are one step, so
    parallel requests cannot all pass the check before any of them is recorded: PostgreSQL
    holds an advisory lock on the key until the caller's transaction ends; SQLite serializes
    writers, and the DELETE that opens the write takes its lock before the count."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(lock_id(key))))
    conn.execute(delete(R).where(R.c.key == key, R.c.at < since))
    used = select(func.count()).select_from(R).where(R.c.key == key, R.c.at >= since)
    row = select(literal(key), literal(now, R.c.at.type)).where(used.scalar_subquery() < limit)
    taken = conn.execute(insert(R).from_select(["key", "at"], row).returning(R.c.id)).first()
    return None if taken is None else taken[0]


def give_back(conn: Connection, taken: int) -> None:
    """Forget one recorded use (a login that turned out right does not count as a failure)."""
    conn.execute(delete(R).where(R.c.id == taken))


def lock_id(name: str) -> int:
    """A PostgreSQL advisory lock number for a name: a signed 64-bit integer."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
