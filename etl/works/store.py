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

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Table,
    bindparam,
    delete,
    exists,
    select,
    update,
)
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
from etl.works.merge import MOVED, MergeRecord, conflicting, merge_works, record_merges
from etl.works.titles import plan_title_joins

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
    """Insert new records (and the works they found); returns the work id of each record.

    A record that names no stored work founds one. When that work's title joins an older work
    (stored before, or founded earlier in this batch), the record's rows are written straight
    under the older work: its own work is made already merged, and the merge is recorded as a
    title join records it (probable, with the rows it holds), so an editor can confirm or split
    it. An article repeated in a batch, or one already stored, so costs one work's inserts, not
    a work and then a merge of it (an UPDATE per table, a dozen round trips)."""
    if not new:
        return []
    keys_of = [identity_keys(record.data) for record in new]
    known = lookup_identifiers(conn, {key for keys in keys_of for key in keys})
    unit_of: list[int] = []  # per record: its stored work, or a placeholder (negative)
    pending: dict[int, Record] = {}  # placeholder -> the record that founds a new work
    several: list[tuple[list[int], Record]] = []  # a record whose ids name several works
    for record, keys in zip(new, keys_of, strict=True):
        matches = sorted({known[key] for key in keys if key in known})
        if len(matches) > 1:
            several.append((matches, record))
        unit = matches[0] if matches else -(len(pending) + 1)
        if not matches:  # the first record founds the work; one joining it by id does not
            pending[unit] = record
        for key in keys:
            known.setdefault(key, unit)
        unit_of.append(unit)
    fields = {placeholder: work_fields(record.data) for placeholder, record in pending.items()}
    if several:  # rare: the named merges first, then title joins over the works they leave
        return _insert_then_merge(conn, new, keys_of, unit_of, fields, several, now)
    joins = _plan_joins(conn, fields, _ncts(unit_of, keys_of))
    real = _create_works(conn, {p: f for p, f in fields.items() if p not in joins}, now)
    merged_into = {placeholder: _real(kept, real) for placeholder, (kept, _) in joins.items()}
    real |= _create_works(conn, {p: fields[p] for p in joins}, now, merged_into)
    own = [_real(unit, real) for unit in unit_of]  # the work each record founded or joined
    work_ids = [merged_into.get(unit, own_id) for unit, own_id in zip(unit_of, own, strict=True)]
    record_ids = _insert_source_records(conn, new, work_ids, now)
    identifier_ids = _add_identifiers(conn, zip(work_ids, keys_of, strict=True))
    link_rows = _add_links(conn, zip(new, work_ids, record_ids, strict=True))
    founded = [
        (merged_into.get(placeholder, real[placeholder]), record, events_for_new(record.data))
        for placeholder, record in pending.items()
    ]
    # A title join's own "new" event is not news (the kept work announced the study): it is
    # kept in the merge's record, for a split to restore.
    dropped = {
        placeholder: [spec for spec in specs if spec[0] == EventKind.NEW]
        for placeholder, (_, _, specs) in zip(pending, founded, strict=True)
        if placeholder in joins
    }
    event_ids = _add_events(
        conn,
        [
            (work_id, record, [s for s in specs if s[0] != EventKind.NEW or p not in joins])
            for p, (work_id, record, specs) in zip(pending, founded, strict=True)
        ],
        now,
    )
    if joins:
        moved: dict[int, dict[str, list[int]]] = {p: {t.name: [] for t in MOVED} for p in joins}
        record_unit = dict(zip(record_ids, unit_of, strict=True))
        for record_id, unit in record_unit.items():
            if unit in moved:
                moved[unit]["source_records"].append(record_id)
        for key, identifier_id in identifier_ids.items():
            if (unit := known.get(key, 0)) in moved:
                moved[unit]["identifiers"].append(identifier_id)
        for link_id, record_id in link_rows:
            if (unit := record_unit[record_id]) in moved:
                moved[unit]["links"].append(link_id)
        for event_id, unit in zip(event_ids, _event_units(pending, founded, joins), strict=True):
            if unit in moved:
                moved[unit]["events"].append(event_id)
        record_merges(
            conn,
            [
                MergeRecord(
                    kept=merged_into[p],
                    merged=real[p],
                    evidence={"score": round(score, 1), "block": fields[p]["block_key"]},
                    moved=moved[p],
                    dropped_events=[
                        {
                            "work_id": real[p],
                            "type": kind,
                            "source": pending[p].source,
                            "occurred_on": when,
                            "detected_at": now,
                            "data": data,
                        }
                        for kind, when, data in dropped[p]
                    ],  # fmt: skip
                )
                for p, (_, score) in joins.items()
            ],
            now,
        )
    return own


def _event_units(
    pending: dict[int, Record],
    founded: list[tuple[int, Record, list[Any]]],
    joins: dict[int, tuple[int, float]],
) -> Iterator[int]:
    """The placeholder of each event row `_add_events` wrote, in its order."""
    for placeholder, (_, _, specs) in zip(pending, founded, strict=True):
        for spec in specs:
            if spec[0] != EventKind.NEW or placeholder not in joins:
                yield placeholder


def _real(unit: int, real: dict[int, int]) -> int:
    return real[unit] if unit < 0 else unit


def _ncts(unit_of: list[int], keys_of: list[list[Key]]) -> dict[int, set[str]]:
    """The trial ids of each new work, from its records' keys (none are stored yet)."""
    found: dict[int, set[str]] = defaultdict(set)
    for unit, keys in zip(unit_of, keys_of, strict=True):
        if unit < 0:
            found[unit].update(value for scheme, value in keys if scheme == "nct")
    return found


# Placeholders are planned as ids above every stored id, in the order they are made, so the
# planner prefers the oldest work as the stored order would.
_AHEAD = 1 << 62


def _plan_joins(
    conn: Connection, fields: dict[int, dict[str, Any]], ncts: dict[int, set[str]]
) -> dict[int, tuple[int, float]]:
    """placeholder -> (kept work: a stored id or an earlier placeholder, score)."""
    newcomers = [
        (_AHEAD - p, f["block_key"], f["title_key"]) for p, f in fields.items() if f["block_key"]
    ]
    if not newcomers:
        return {}

    def back(work: int) -> int:
        return _AHEAD - work if work > _AHEAD else work

    def refuse(kept: int, work: int) -> bool:
        # Two PMIDs may be one paper cited twice; two trial ids are two trials.
        mine = ncts.get(back(work))
        if not mine:
            return False
        theirs = ncts.get(back(kept)) if kept > _AHEAD else _stored_ncts(conn, kept)
        return bool(theirs) and theirs != mine

    blocks = _blocks(conn, {block for _, block, _ in newcomers})
    planned = plan_title_joins(newcomers, blocks, refuse)
    return {back(work): (back(kept), score) for work, (kept, score) in planned.items()}


def _stored_ncts(conn: Connection, work_id: int) -> set[str]:
    query = select(identifiers.c.scheme, identifiers.c.value).where(
        identifiers.c.work_id == work_id
    )
    return {value for scheme, value in conn.execute(query) if scheme == "nct"}


def _insert_then_merge(
    conn: Connection,
    new: list[Record],
    keys_of: list[list[Key]],
    unit_of: list[int],
    fields: dict[int, dict[str, Any]],
    several: list[tuple[list[int], Record]],
    now: datetime,
) -> list[int]:
    """A batch in which a record names several works: every new record gets a work of its own,
    the works a record names are merged, then the new works that are left join by title."""
    real = _create_works(conn, fields, now)
    work_ids = [_real(unit, real) for unit in unit_of]
    record_ids = _insert_source_records(conn, new, work_ids, now)
    _add_identifiers(conn, zip(work_ids, keys_of, strict=True))
    _add_links(conn, zip(new, work_ids, record_ids, strict=True))
    founders: dict[int, Record] = {}
    for unit, record in zip(unit_of, new, strict=True):
        if unit < 0:
            founders.setdefault(unit, record)
    _add_events(
        conn,
        [(real[p], record, events_for_new(record.data)) for p, record in founders.items()],
        now,
    )
    for matches, record in several:
        _merge_named(conn, [_real(w, real) for w in matches], record, now)
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
    """New works already stored that share no identifier but a near-identical title (same year,
    first author) with an older work join it; the merge is marked probable so an editor can
    split it. The same plan as `_plan_joins`, carried out by merging rows already written."""
    if not new_works:
        return
    rows = conn.execute(
        select(works.c.id, works.c.block_key, works.c.title_key)
        .where(works.c.id.in_(new_works), works.c.block_key.is_not(None))
        .where(works.c.merged_into.is_(None))
        .order_by(works.c.id)
    ).all()
    fresh = set(new_works)
    blocks = _blocks(conn, {row.block_key for row in rows})
    for members in blocks.values():
        for work_id in fresh.intersection(members):
            del members[work_id]  # a new work is compared with what came before it

    def refuse(kept: int, work: int) -> bool:
        return conflicting(conn, kept, work, schemes=("nct",)) is not None

    planned = plan_title_joins(
        [(r.id, r.block_key, r.title_key or "") for r in rows], blocks, refuse
    )
    block_of = {row.id: row.block_key for row in rows}
    for merged, (kept, score) in planned.items():
        evidence = {"score": round(score, 1), "block": block_of[merged]}
        merge_works(conn, kept, merged, "title", evidence, now, probable=True)


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


def _create_works(
    conn: Connection,
    fields: dict[int, dict[str, Any]],
    now: datetime,
    merged_into: dict[int, int] | None = None,
) -> dict[int, int]:
    """A work for each placeholder of `fields`, made already merged into the work `merged_into`
    names for it, if any; returns placeholder -> id."""
    if not fields:
        return {}
    into = merged_into or {}
    rows = [
        {**values, "merged_into": into.get(p), "created_at": now, "updated_at": now}
        for p, values in fields.items()
    ]
    statement = works.insert().returning(works.c.id, sort_by_parameter_order=True)
    ids = [row.id for row in conn.execute(statement, rows)]
    return dict(zip(fields, ids, strict=True))


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


def _add_identifiers(conn: Connection, pairs: Iterable[tuple[int, list[Key]]]) -> dict[Key, int]:
    """Returns the id of each identifier it added (one already known is left as it is)."""
    rows = {
        (scheme, value): {"work_id": work_id, "scheme": scheme, "value": value}
        for work_id, keys in pairs
        for scheme, value in keys
    }
    c = identifiers.c
    added = insert_ignore(conn, identifiers, list(rows.values()), (c.id, c.scheme, c.value))
    return {(row.scheme, row.value): row.id for row in added}


def _add_links(conn: Connection, items: Iterable[tuple[Record, int, int]]) -> list[tuple[int, int]]:
    """Returns (link id, source record id) of each link it added."""
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
    added = insert_ignore(conn, links, rows, (links.c.id, links.c.source_record_id))
    return [(row.id, row.source_record_id) for row in added]


def _add_events(
    conn: Connection, items: list[tuple[int, Record, list[Any]]], now: datetime
) -> list[int]:
    """Returns the ids of the events, in the order of `items` and their specs."""
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
    if not rows:
        return []
    statement = events.insert().returning(events.c.id, sort_by_parameter_order=True)
    return [row.id for row in conn.execute(statement, rows)]


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


def insert_ignore(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    returning: Sequence[ColumnElement[Any]] = (),
) -> list[Row[Any]]:
    """INSERT … ON CONFLICT DO NOTHING, for the two dialects we run on; with `returning`, the
    rows it added (in no particular order: a row left out leaves no gap to align on)."""
    if not rows:
        return []
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing()
    if not returning:
        conn.execute(statement, rows)
        return []
    return list(conn.execute(statement.returning(*returning), rows))


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
