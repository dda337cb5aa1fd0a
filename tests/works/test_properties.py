"""Properties of deduplication: the same works whatever the order, and idempotent loading.

Records come from a small world of studies, each with its own identifiers; a record reveals a
random non-empty subset of its study's identifiers. The works must then be exactly the groups of
records connected by shared identifiers, however the records arrive.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from etl.records import SourceRecord
from etl.works import store

NOW = datetime(2026, 11, 24, tzinfo=UTC)
SOURCES = ("pubmed", "europepmc", "feed", "crossref")


def study_ids(n: int) -> dict[str, str]:
    return {"pmid": str(41_500_000 + n), "doi": f"10.5555/study.{n}"}


@st.composite
def worlds(draw: st.DrawFn) -> list[SourceRecord]:
    studies = draw(st.integers(1, 4))
    records = []
    for n in range(draw(st.integers(1, 9))):
        study = draw(st.integers(0, studies - 1))
        ids = study_ids(study)
        shown = draw(st.sets(st.sampled_from(sorted(ids)), min_size=1))
        data = {"source": SOURCES[n % len(SOURCES)], "source_id": f"r{n}", "kind": "paper",
                "deleted": False, "title": f"Study {study} record {n} {draw(st.uuids())}",
                "identifiers": {k: ids[k] for k in shown}}  # fmt: skip
        records.append(SourceRecord(data))
    return records


def expected_groups(records: list[SourceRecord]) -> set[frozenset[str]]:
    groups: list[tuple[set[str], set[tuple[str, str]]]] = []
    for record in records:
        keys = set(record.data["identifiers"].items())
        members = {record.source_id}
        for group in [g for g in groups if g[1] & keys]:
            groups.remove(group)
            members |= group[0]
            keys |= group[1]
        groups.append((members, keys))
    return {frozenset(members) for members, _ in groups}


def stored_groups(engine: Engine) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(store.source_records.c.work_id, store.source_records.c.source_id)
        )
        for work_id, source_id in rows:
            groups.setdefault(work_id, set()).add(source_id)
    return {frozenset(group) for group in groups.values()}


def clear(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in (
            store.merges,
            store.events,
            store.links,
            store.identifiers,
            store.source_records,
        ):
            conn.execute(table.delete())
        conn.execute(store.works.update().values(merged_into=None))
        conn.execute(store.works.delete())


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=worlds(), data=st.data())
def test_any_order_gives_the_same_works(engine: Engine, records: list, data: st.DataObject) -> None:
    order = data.draw(st.permutations(records))
    clear(engine)
    for record in order:  # one record per batch: the hardest case for the merge logic
        with engine.begin() as conn:
            store.store_records(conn, [record], NOW)
    assert stored_groups(engine) == expected_groups(records)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=worlds())
def test_loading_twice_changes_nothing(engine: Engine, records: list) -> None:
    clear(engine)
    with engine.begin() as conn:
        store.store_records(conn, records, NOW)
    with engine.connect() as conn:
        tables = (store.works, store.identifiers, store.events, store.merges)
        before = [conn.execute(select(func.count()).select_from(t)).scalar() for t in tables]
    with engine.begin() as conn:
        again = store.store_records(conn, records, NOW)
    assert (again.new, again.updated, again.unchanged) == (0, 0, len(records))
    with engine.connect() as conn:
        after = [conn.execute(select(func.count()).select_from(t)).scalar()
                 for t in (store.works, store.identifiers, store.events, store.merges)]  # fmt: skip
    assert after == before
