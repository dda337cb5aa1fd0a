"""Works as plain objects for export: identifiers, sources, links, events, probable duplicates.

Read in chunks of works with one query per table, so exporting 100,000 works is a handful of
queries per thousand works, not several per work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from etl.db.models import Event, Identifier, Link, SourceRecord, Work, WorkMerge
from etl.dedupe.identity import REVERSE
from etl.digest.store import work_data
from etl.facts.extract import extract
from etl.facts.terms import load_terms

works, identifiers, records = Work.__table__, Identifier.__table__, SourceRecord.__table__
links, events, merges = Link.__table__, Event.__table__, WorkMerge.__table__
CHUNK = 1000


def export_works(
    conn: Connection, since: datetime | None = None, config_dir: Path | None = None
) -> Iterator[dict[str, Any]]:
    """One object per live work (not merged away), oldest first, with the facts of the record
    that speaks for it (the same extractor as the digest and the brief)."""
    query = select(works).where(works.c.merged_into.is_(None)).order_by(works.c.id)
    if since is not None:
        query = query.where(works.c.updated_at >= since)
    rows = conn.execute(query).all()
    for start in range(0, len(rows), CHUNK):
        yield from _chunk(conn, rows[start : start + CHUNK], config_dir)


def _chunk(
    conn: Connection, rows: Sequence[Any], config_dir: Path | None = None
) -> Iterator[dict[str, Any]]:
    ids = [row.id for row in rows]
    terms = load_terms(config_dir)
    data_of = work_data(conn, ids)
    ids_of = _identifiers(conn, ids)
    sources: dict[int, list[str]] = defaultdict(list)
    for work_id, source, source_id in conn.execute(
        select(records.c.work_id, records.c.source, records.c.source_id).where(
            records.c.work_id.in_(ids), records.c.deleted_at.is_(None)
        )
    ):
        sources[work_id].append(f"{source}:{source_id}")
    link_rows = conn.execute(select(links).where(links.c.work_id.in_(ids))).all()
    targets = _targets(conn, {(r.target_scheme, r.target_value) for r in link_rows})
    links_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in link_rows:
        target = targets.get((row.target_scheme, row.target_value))
        links_of[row.work_id].append({
            "type": row.type,
            "identifiers": target or {row.target_scheme: [row.target_value]},
            "resolved": target is not None,
            "evidence": row.evidence,
        })  # fmt: skip
    for work_id, item in _incoming(conn, ids, ids_of):
        links_of[work_id].append(item)
    events_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in conn.execute(select(events).where(events.c.work_id.in_(ids)).order_by(events.c.id)):
        events_of[row.work_id].append(
            {"type": row.type, "occurred_on": row.occurred_on, "data": row.data}
        )
    duplicates = _probable(conn, ids)
    for row in rows:
        item = {
            "work_id": row.id,
            "kind": row.kind,
            "identifiers": ids_of.get(row.id, {}),
            "title": row.title,
            "published": row.published,
            "retracted": row.retracted,
            "sources": sources.get(row.id, []),
            "links": links_of.get(row.id, []),
            "events": events_of.get(row.id, []),
        }
        if row.id in duplicates:
            item["probable_duplicate_of"] = duplicates[row.id]
        if row.id in data_of:
            item["facts"] = extract(data_of[row.id], terms).to_dict()
        yield item


def _identifiers(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, list[str]]]:
    found: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    query = select(identifiers.c.work_id, identifiers.c.scheme, identifiers.c.value).where(
        identifiers.c.work_id.in_(ids)
    )
    for work_id, scheme, value in conn.execute(query.order_by(identifiers.c.id)):
        found[work_id][scheme].append(value)
    return {work: dict(schemes) for work, schemes in found.items()}


def _incoming(
    conn: Connection, ids: Sequence[int], ids_of: dict[int, dict[str, list[str]]]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Links other works make to these, read from this end (a trial is reported_by a paper)."""
    owner = {(scheme, value): work for work, schemes in ids_of.items()
             for scheme, values in schemes.items() for value in values}  # fmt: skip
    found = []
    for scheme in {scheme for scheme, _ in owner}:
        values = [value for s, value in owner if s == scheme]
        query = select(links).where(
            links.c.target_scheme == scheme, links.c.target_value.in_(values)
        )
        found.extend(conn.execute(query).all())
    sources = _identifiers(conn, sorted({row.work_id for row in found}))
    for row in found:
        target = owner[(row.target_scheme, row.target_value)]
        if row.work_id != target:
            yield (
                target,
                {
                    "type": REVERSE.get(row.type, f"reverse_of_{row.type}"),
                    "identifiers": sources.get(row.work_id, {}),
                    "evidence": row.evidence,
                    "resolved": True,
                    "incoming": True,
                },
            )


def _targets(
    conn: Connection, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, list[str]]]:
    """The identifiers of the work each link target names, where that work is known."""
    owner: dict[tuple[str, str], int] = {}
    for scheme in {scheme for scheme, _ in keys}:
        values = [value for s, value in keys if s == scheme]
        query = select(identifiers.c.value, identifiers.c.work_id).where(
            identifiers.c.scheme == scheme, identifiers.c.value.in_(values)
        )
        owner.update({(scheme, value): work for value, work in conn.execute(query)})
    ids_of = _identifiers(conn, sorted(set(owner.values()))) if owner else {}
    return {key: ids_of.get(work, {}) for key, work in owner.items()}


def _probable(conn: Connection, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Title joins an editor has not confirmed: which records came in, and how alike they were."""
    query = select(merges).where(
        merges.c.kept_work_id.in_(ids), merges.c.probable.is_(True), merges.c.undone_at.is_(None)
    )
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in conn.execute(query):
        moved = row.evidence.get("moved", {}).get("source_records", [])
        sources = conn.execute(
            select(records.c.source, records.c.source_id).where(records.c.id.in_(moved))
        ).all()
        found[row.kept_work_id].append({
            "merge_id": row.id,
            "merged_work_id": row.merged_work_id,
            "score": row.evidence.get("score"),
            "sources": [f"{source}:{source_id}" for source, source_id in sources],
        })  # fmt: skip
    return found
