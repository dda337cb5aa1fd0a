"""Merging two works into one, and undoing it: the database side of deduplication.

A merge moves the merged work's records, identifiers, links, events and editor labels to the
kept work, and writes down exactly which rows it moved, so `split` can put every one back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from etl.db.models import (
    Classification,
    EditorLabel,
    Event,
    Identifier,
    Link,
    SourceRecord,
    Work,
    WorkMerge,
)

works, merges = Work.__table__, WorkMerge.__table__
MOVED = (SourceRecord.__table__, Identifier.__table__, Link.__table__, Event.__table__,
         EditorLabel.__table__)  # fmt: skip
# Schemes of which one work has one value: two works with different ones are two studies,
# whatever else they share (a secondary id reused by unrelated trials, say).
SINGLE_VALUED = ("nct", "pmid")


def conflicting(
    conn: Connection, a: int, b: int, schemes: tuple[str, ...] = SINGLE_VALUED
) -> str | None:
    """Why two works must not be merged automatically, or None."""
    table = Identifier.__table__
    # Filter by work only: a scheme filter lets the planner walk every id of that scheme.
    query = select(table.c.work_id, table.c.scheme, table.c.value).where(
        table.c.work_id.in_([a, b])
    )
    rows = [row for row in conn.execute(query) if row.scheme in schemes]
    for scheme in schemes:
        values = {work: value for work, kind, value in rows if kind == scheme}
        if len(values) == 2 and values[a] != values[b]:
            return f"different {scheme} ids {values[a]} and {values[b]}"
    return None


def merge_works(
    conn: Connection,
    kept: int,
    merged: int,
    reason: str,
    evidence: dict[str, Any],
    now: datetime,
    probable: bool = False,
) -> int:
    """Fold `merged` into `kept`; returns the merge's id (for `split`)."""
    moved: dict[str, list[int]] = {}
    for table in MOVED:  # one statement per table: a merge is a dozen round trips at most
        statement = update(table).where(table.c.work_id == merged).values(work_id=kept)
        moved[table.name] = sorted(conn.execute(statement.returning(table.c.id)).scalars())
    dropped = []
    if reason == "title" and moved["events"]:
        # The duplicate's own "new" event is not news: the kept work has announced the study.
        events = Event.__table__
        gone = delete(events).where(events.c.id.in_(moved["events"]), events.c.type == "new")
        dropped = [dict(row._mapping) for row in conn.execute(gone.returning(*events.c))]
        gone_ids = {row["id"] for row in dropped}
        moved["events"] = [i for i in moved["events"] if i not in gone_ids]  # kept as `dropped`
    classifications = Classification.__table__
    conn.execute(delete(classifications).where(classifications.c.work_id == merged))
    conn.execute(update(works).where(works.c.id == merged).values(merged_into=kept, updated_at=now))
    record = {**evidence, "moved": moved, "dropped_events": _jsonable(dropped)}
    row = insert(merges).values(
        kept_work_id=kept, merged_work_id=merged, reason=reason, evidence=record,
        probable=probable, created_at=now,
    )  # fmt: skip
    merge_id: int = conn.execute(row.returning(merges.c.id)).scalar_one()
    return merge_id


@dataclass
class MergeRecord:
    """A merge made as the merged work's rows were written: they went straight to `kept`, so
    there is nothing to move, only the record a split needs (as `merge_works` writes it)."""

    kept: int
    merged: int
    evidence: dict[str, Any]
    moved: dict[str, list[int]]  # table name -> ids of the merged work's rows, as in MOVED
    dropped_events: list[dict[str, Any]] = field(default_factory=list)  # events not written


def record_merges(conn: Connection, items: list[MergeRecord], now: datetime) -> None:
    """Write probable title joins made at insert time (the merged works already point at their
    kept works): one statement for the batch, where `merge_works` takes a dozen per merge."""
    if not items:
        return
    rows = [
        {
            "kept_work_id": item.kept,
            "merged_work_id": item.merged,
            "reason": "title",
            "evidence": {
                **item.evidence,
                "moved": {table.name: sorted(item.moved.get(table.name, [])) for table in MOVED},
                "dropped_events": _jsonable(item.dropped_events),
            },
            "probable": True,
            "created_at": now,
        }
        for item in items
    ]
    conn.execute(insert(merges), rows)


def split(conn: Connection, work_id: int, now: datetime) -> list[int]:
    """Undo every merge into `work_id` (or the merge that folded it); returns the works restored."""
    query = select(merges).where(
        merges.c.undone_at.is_(None),
        (merges.c.kept_work_id == work_id) | (merges.c.merged_work_id == work_id),
    )
    restored = []
    for merge in conn.execute(query.order_by(merges.c.id.desc())).all():
        moved = merge.evidence.get("moved", {})
        for table in MOVED:
            ids = moved.get(table.name) or []
            if ids:
                conn.execute(
                    update(table).where(table.c.id.in_(ids)).values(work_id=merge.merged_work_id)
                )
        for event in merge.evidence.get("dropped_events") or []:
            restored_event = _restore(event, merge.merged_work_id)
            conn.execute(insert(Event.__table__).values(**restored_event))
        conn.execute(
            update(works)
            .where(works.c.id == merge.merged_work_id)
            .values(merged_into=None, updated_at=now)
        )
        conn.execute(update(merges).where(merges.c.id == merge.id).values(undone_at=now))
        restored.append(merge.merged_work_id)
    return restored


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()} for r in rows
    ]


def _restore(row: dict[str, Any], work_id: int) -> dict[str, Any]:
    """A dropped event back as a row of the work it announced (merges before this fix stored
    it under the kept work, where it was moved just before it was dropped)."""
    values = {k: v for k, v in row.items() if k != "id"}
    values["work_id"] = work_id
    values["detected_at"] = datetime.fromisoformat(values["detected_at"])
    return values
