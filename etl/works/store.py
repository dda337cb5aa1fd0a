"""Writing records into the database in batches, with SQLAlchemy Core.

`store_records` is the one write path for crawl and ingest: it upserts source records by
(source, source_id), joins each new record to the work that shares an identifier (or makes a new
work), refreshes links, and records events. Equal content (same hash) writes nothing, so loading
the same file twice changes nothing. Dialect-specific SQL (insert-or-ignore) lives only here.
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite

from etl.db.models import (
    CrawlRun,
    Event,
    Identifier,
    Link,
    QuarantineEntry,
    SourceCursor,
    SourceRecord,
    Work,
    WorkMerge,
)
from etl.db.states import EventKind, Outcome
from etl.records import Counts, Quarantined
from etl.records import SourceRecord as Record
from etl.works.events import events_for_change, events_for_new, work_fields
from etl.works.identity import Key, identity_keys, link_targets
from etl.works.merge import conflicting, merge_works
from etl.works.titles import best_match

log = logging.getLogger(__name__)

works = Work.__table__
identifiers = Identifier.__table__
source_records = SourceRecord.__table__
links = Link.__table__
events = Event.__table__
quarantine = QuarantineEntry.__table__
crawl_runs = CrawlRun.__table__
cursors = SourceCursor.__table__
merges = WorkMerge.__table__

CHUNK = 500  # keys per IN (...) clause: well inside every driver's parameter limit


def store_records(
    conn: Connection,
    records: Sequence[Record],
    now: datetime,
    touched: set[int] | None = None,
) -> Counts:
    """Upsert a batch of records; returns what changed. The caller owns the transaction.

    `touched` (when given) receives the ids of the works that are new, changed or deleted:
    those are the works to classify again.
    """
    counts = Counts()
    latest: dict[tuple[str, str], Record] = {}
    for record in records:  # within a batch the later version of a record wins
        latest[(record.source, record.source_id)] = record
    existing = _existing(conn, latest)
    new, changed, deletions = [], [], []
    for key, record in latest.items():
        row = existing.get(key)
        if record.deleted:
            # Deleting what we never stored (or already deleted) is not news and not counted.
            if row is not None and row.deleted_at is None:
                deletions.append(row)
        elif row is None:
            new.append(record)
        elif row.content_hash == record.content_hash and row.deleted_at is None:
            counts.unchanged += 1
        elif row.deleted_at is not None and not is_newer(row.revised, _revised(record)):
            counts.unchanged += 1  # deleted upstream after this copy was made: it stays deleted
        elif is_stale(row.revised, _revised(record)):
            counts.unchanged += 1  # an older version (an earlier baseline file): keep ours
        else:
            changed.append((row, record))
    new_works = _insert_new(conn, new, now)
    counts.new = len(new)
    counts.updated = _apply_changes(conn, changed, now)
    counts.deleted = _apply_deletions(conn, deletions, now)
    if touched is not None:
        touched.update(new_works)
        touched.update(row.work_id for row, _ in changed)
        touched.update(row.work_id for row in deletions)
    return counts


def _revised(record: Record) -> str | None:
    revised = record.data.get("revised")
    return revised if isinstance(revised, str) else None


def is_stale(stored: str | None, incoming: str | None) -> bool:
    """Whether an incoming version is older than the stored one, by upstream revision date."""
    return bool(stored) and (not incoming or (stored is not None and incoming < stored))


def is_newer(stored: str | None, incoming: str | None) -> bool:
    """Whether an incoming version was revised after the stored one. A deleted record comes back
    only so: PubMed deletes a citation after its last revision, so any copy revised no later (an
    earlier baseline or update file, a saved efetch answer) predates the deletion."""
    return bool(incoming) and (not stored or (incoming is not None and incoming > stored))


def _existing(conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, source_id in keys:
        by_source[source].append(source_id)
    found = {}
    columns = (
        source_records.c.id,
        source_records.c.source,
        source_records.c.source_id,
        source_records.c.work_id,
        source_records.c.content_hash,
        source_records.c.revised,
        source_records.c.deleted_at,
    )
    for source, ids in by_source.items():
        for chunk in _chunks(ids):
            query = select(*columns).where(
                source_records.c.source == source, source_records.c.source_id.in_(chunk)
            )
            for row in conn.execute(query):
                found[(row.source, row.source_id)] = row
    return found


def _insert_new(conn: Connection, new: list[Record], now: datetime) -> list[int]:
    """Insert new records (and the works they found); returns the work id of each record."""
    if not new:
        return []
    keys_of = [identity_keys(record.data) for record in new]
    known = lookup_identifiers(conn, {key for keys in keys_of for key in keys})
    work_of: list[int] = []
    pending: dict[int, Record] = {}  # placeholder (negative) -> record that founds a new work
    several: list[tuple[list[int], Record]] = []  # a record whose ids name several works
    for record, keys in zip(new, keys_of, strict=True):
        matches = sorted({known[key] for key in keys if key in known})
        if len(matches) > 1:
            several.append((matches, record))
        work_id = matches[0] if matches else -(len(pending) + 1)
        if work_id < 0:
            pending[work_id] = record
        for key in keys:
            known.setdefault(key, work_id)
        work_of.append(work_id)
    real = _create_works(conn, pending, now)
    work_ids = [real.get(w, w) for w in work_of]
    record_ids = _insert_source_records(conn, new, work_ids, now)
    _add_identifiers(conn, zip(work_ids, keys_of, strict=True))
    _add_links(conn, zip(new, work_ids, record_ids, strict=True))
    _add_events(
        conn,
        [(real[p], record, events_for_new(record.data)) for p, record in pending.items()],
        now,
    )
    for matches, record in several:
        _merge_named(conn, [real.get(w, w) for w in matches], record, now)
    _match_titles(conn, list(real.values()), now)
    return work_ids


def _merge_named(conn: Connection, work_ids: list[int], record: Record, now: datetime) -> None:
    """One record names several works: they are one study, unless their own ids say otherwise."""
    kept, *others = sorted(set(work_ids))
    for other in others:
        reason = conflicting(conn, kept, other)
        if reason:
            log.warning("%s %s names works %d and %d, not merged: %s",
                        record.source, record.source_id, kept, other, reason)  # fmt: skip
            continue
        evidence = {"record": f"{record.source}:{record.source_id}"}
        merge_works(conn, kept, other, "identifier", evidence, now)


def _match_titles(conn: Connection, new_works: list[int], now: datetime) -> None:
    """New works that share no identifier but a near-identical title (same year, first author)
    with an existing work join it; the merge is marked probable so an editor can split it.

    The blocks of the whole batch are read in one query per chunk (not one per new work: on
    PostgreSQL each is a round trip), and kept current here as works merge."""
    if not new_works:
        return
    rows = conn.execute(
        select(works.c.id, works.c.block_key, works.c.title_key)
        .where(works.c.id.in_(new_works), works.c.block_key.is_not(None))
        .where(works.c.merged_into.is_(None))
        .order_by(works.c.id)
    ).all()
    blocks = _blocks(conn, {row.block_key for row in rows})
    for work_id, block, key in rows:
        members = blocks[block]
        if work_id not in members:  # already folded into an older work of this batch
            continue
        candidates = [(other, title) for other, title in members.items() if other != work_id]
        found = best_match(key, candidates)
        # Two PMIDs may be one paper cited twice; two trial ids are two trials.
        if found and not conflicting(conn, found[0], work_id, schemes=("nct",)):
            # The older work stays: works are taken oldest first, so a work that has absorbed
            # another is never merged itself, and no merge points at a merged work.
            kept, merged = sorted((found[0], work_id))
            evidence = {"score": round(found[1], 1), "block": block}
            merge_works(conn, kept, merged, "title", evidence, now, probable=True)
            del members[merged]


def _blocks(conn: Connection, keys: set[str]) -> dict[str, dict[int, str]]:
    """The live works of these title blocks: block -> {work id: title key}."""
    found: dict[str, dict[int, str]] = {key: {} for key in keys}
    for chunk in _chunks(sorted(keys)):
        query = select(works.c.id, works.c.block_key, works.c.title_key).where(
            works.c.block_key.in_(chunk),
            works.c.merged_into.is_(None),
            works.c.deleted_at.is_(None),
        )
        for work_id, block, key in conn.execute(query):
            found[block][work_id] = key or ""
    return found


def _create_works(conn: Connection, pending: dict[int, Record], now: datetime) -> dict[int, int]:
    if not pending:
        return {}
    rows = [{**work_fields(r.data), "created_at": now, "updated_at": now} for r in pending.values()]
    statement = works.insert().returning(works.c.id, sort_by_parameter_order=True)
    ids = [row.id for row in conn.execute(statement, rows)]
    return dict(zip(pending, ids, strict=True))


def _insert_source_records(
    conn: Connection, new: list[Record], work_ids: list[int], now: datetime
) -> list[int]:
    rows = [
        {
            "source": record.source,
            "source_id": record.source_id,
            "work_id": work_id,
            "kind": record.data.get("kind", "paper"),
            "content_hash": record.content_hash,
            "revised": record.data.get("revised"),
            "data": record.data,
            "raw": _pack(record.raw),
            "location": record.location,
            "first_seen_at": now,
            "fetched_at": now,
            "updated_at": now,
        }
        for record, work_id in zip(new, work_ids, strict=True)
    ]
    statement = source_records.insert().returning(source_records.c.id, sort_by_parameter_order=True)
    return [row.id for row in conn.execute(statement, rows)]


def _apply_changes(conn: Connection, changed: list[tuple[Any, Record]], now: datetime) -> int:
    if not changed:
        return 0
    old_data = _data_of(conn, [row.id for row, _ in changed])
    conn.execute(
        update(source_records).where(source_records.c.id == bindparam("b_id")),
        [
            {
                "b_id": row.id,
                "content_hash": record.content_hash,
                "revised": record.data.get("revised"),
                "data": record.data,
                "raw": _pack(record.raw),
                "location": record.location,
                "fetched_at": now,
                "updated_at": now,
                "deleted_at": None,
            }
            for row, record in changed
        ],
    )
    conn.execute(
        update(works).where(works.c.id == bindparam("b_id")),
        [
            {"b_id": row.work_id, **work_fields(record.data), "updated_at": now, "deleted_at": None}
            for row, record in changed
        ],
    )
    keys_of = [identity_keys(record.data) for _, record in changed]
    known = lookup_identifiers(conn, {key for keys in keys_of for key in keys})
    _add_identifiers(
        conn, ((row.work_id, keys) for (row, _), keys in zip(changed, keys_of, strict=True))
    )
    conn.execute(delete(links).where(links.c.source_record_id.in_([row.id for row, _ in changed])))
    _add_links(conn, ((record, row.work_id, row.id) for row, record in changed))
    _add_events(
        conn,
        [
            (row.work_id, record, events_for_change(old_data.get(row.id, {}), record.data))
            for row, record in changed
        ],
        now,
    )
    for (row, record), keys in zip(changed, keys_of, strict=True):
        named = {known[key] for key in keys if key in known} | {row.work_id}
        if len(named) > 1:  # the new version names another work too: one study
            _merge_named(conn, sorted(named), record, now)
    return len(changed)


def _apply_deletions(conn: Connection, rows: list[Any], now: datetime) -> int:
    if not rows:
        return 0
    ids = [row.id for row in rows]
    conn.execute(
        update(source_records)
        .where(source_records.c.id.in_(ids))
        .values(deleted_at=now, updated_at=now)
    )
    live = exists().where(
        source_records.c.work_id == works.c.id, source_records.c.deleted_at.is_(None)
    )
    work_ids = sorted({row.work_id for row in rows})
    conn.execute(
        update(works).where(works.c.id.in_(work_ids), ~live).values(deleted_at=now, updated_at=now)
    )
    conn.execute(
        events.insert(),
        [
            {
                "work_id": row.work_id,
                "type": EventKind.DELETED,
                "source": row.source,
                "occurred_on": now.date().isoformat(),
                "detected_at": now,
                "data": {"source_id": row.source_id},
            }
            for row in rows
        ],
    )
    return len(rows)


def lookup_identifiers(conn: Connection, keys: set[Key]) -> dict[Key, int]:
    """Which of these (scheme, value) pairs are known, and to which work."""
    by_scheme: dict[str, list[str]] = defaultdict(list)
    for scheme, value in keys:
        by_scheme[scheme].append(value)
    found: dict[Key, int] = {}
    for scheme, values in by_scheme.items():
        for chunk in _chunks(values):
            query = select(identifiers.c.value, identifiers.c.work_id).where(
                identifiers.c.scheme == scheme, identifiers.c.value.in_(chunk)
            )
            for value, work_id in conn.execute(query):
                found[(scheme, value)] = work_id
    return found


def _add_identifiers(conn: Connection, pairs: Iterable[tuple[int, list[Key]]]) -> None:
    rows = {
        (scheme, value): {"work_id": work_id, "scheme": scheme, "value": value}
        for work_id, keys in pairs
        for scheme, value in keys
    }
    insert_ignore(conn, identifiers, list(rows.values()))


def _add_links(conn: Connection, items: Iterable[tuple[Record, int, int]]) -> None:
    rows = [
        {
            "work_id": work_id,
            "source_record_id": record_id,
            "type": link_type,
            "target_scheme": scheme,
            "target_value": value,
            "evidence": evidence,
        }
        for record, work_id, record_id in items
        for link_type, scheme, value, evidence in link_targets(record.data)
    ]
    insert_ignore(conn, links, rows)


def _add_events(
    conn: Connection, items: list[tuple[int, Record, list[Any]]], now: datetime
) -> None:
    rows = [
        {
            "work_id": work_id,
            "type": kind,
            "source": record.source,
            "occurred_on": occurred_on,
            "detected_at": now,
            "data": data,
        }
        for work_id, record, specs in items
        for kind, occurred_on, data in specs
    ]
    if rows:
        conn.execute(events.insert(), rows)


def _data_of(conn: Connection, record_ids: list[int]) -> dict[int, dict[str, Any]]:
    found = {}
    for chunk in _chunks(record_ids):
        query = select(source_records.c.id, source_records.c.data).where(
            source_records.c.id.in_(chunk)
        )
        found.update({row.id: row.data for row in conn.execute(query)})
    return found


def store_quarantine(
    conn: Connection, items: Sequence[Quarantined], run_id: int | None, now: datetime
) -> None:
    """Keep each broken record once, however often the same file is loaded."""
    rows = [
        {
            "source": item.source,
            "location": item.location,
            "record_key": item.record_key,
            "reason": item.reason,
            "raw": item.raw,
            "raw_hash": hashlib.sha256(item.raw or item.reason.encode()).hexdigest(),
            "run_id": run_id,
            "created_at": now,
        }
        for item in items
    ]
    insert_ignore(conn, quarantine, rows)


def insert_ignore(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING, for the two dialects we run on."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(), rows)


def load_cursor(conn: Connection, source: str) -> dict[str, Any] | None:
    return conn.execute(select(cursors.c.cursor).where(cursors.c.source == source)).scalar()


def save_cursor(conn: Connection, source: str, cursor: dict[str, Any], now: datetime) -> None:
    done = conn.execute(
        update(cursors).where(cursors.c.source == source).values(cursor=cursor, updated_at=now)
    )
    if done.rowcount == 0:
        conn.execute(cursors.insert().values(source=source, cursor=cursor, updated_at=now))


def start_run(
    conn: Connection, source: str, mode: str, now: datetime, detail: dict[str, Any]
) -> int:
    statement = crawl_runs.insert().values(
        source=source, mode=mode, started_at=now, outcome=Outcome.RUNNING, detail=detail
    )
    run_id: int = conn.execute(statement.returning(crawl_runs.c.id)).scalar_one()
    return run_id


def close_abandoned_runs(conn: Connection, source: str, now: datetime) -> int:
    """Runs of `source` still `running` while the caller holds its crawl lock were left by a
    process that died: they become `interrupted`, so status does not show them running."""
    statement = (
        update(crawl_runs)
        .where(
            crawl_runs.c.source == source,
            crawl_runs.c.mode == "crawl",
            crawl_runs.c.outcome == Outcome.RUNNING,
        )
        .values(outcome="interrupted", finished_at=now, error="its process stopped mid-run")
    )
    return conn.execute(statement).rowcount


def finish_run(
    conn: Connection,
    run_id: int,
    counts: Counts,
    outcome: str,
    now: datetime,
    error: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    values: dict[str, Any] = {
        **counts.as_dict(),
        "outcome": outcome,
        "finished_at": now,
        "error": error,
    }
    if detail is not None:
        values["detail"] = detail
    conn.execute(update(crawl_runs).where(crawl_runs.c.id == run_id).values(**values))


def unpack(raw: bytes | None) -> bytes:
    """Raw payloads are stored zlib-compressed; this gives the original bytes back."""
    return zlib.decompress(raw) if raw else b""


def _pack(raw: bytes) -> bytes:
    return zlib.compress(raw, 1) if raw else b""


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# Which source speaks for a work when several hold it: the registry for a trial, PubMed for a
# paper, then the others.
SOURCE_PREFERENCE = {"ctgov": 0, "pubmed": 1, "ictrp": 2, "europepmc": 3, "feed": 4}
SPEAKER_CHUNK = 500


def work_data(conn: Connection, work_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The record that speaks for each work: its registry's for a trial, PubMed's for a paper,
    else the newest."""
    ids = sorted(set(work_ids))
    best: dict[int, tuple[tuple[int, float], dict[str, Any]]] = {}
    for start in range(0, len(ids), SPEAKER_CHUNK):
        r = source_records.c
        query = select(r.work_id, r.source, r.updated_at, r.data).where(
            r.work_id.in_(ids[start : start + SPEAKER_CHUNK]), r.deleted_at.is_(None)
        )
        for row in conn.execute(query):
            key = (SOURCE_PREFERENCE.get(row.source, 9), -row.updated_at.timestamp())
            if row.work_id not in best or key < best[row.work_id][0]:
                best[row.work_id] = (key, row.data)
    return {work_id: data for work_id, (_, data) in best.items()}
