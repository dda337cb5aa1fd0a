"""Title joins made while a batch is written (the duplicate's rows go straight to the kept work)
leave the database as loading the same records one at a time does, and split back the same way,
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from etl.records import SourceRecord
from etl.works import store
from etl.works.merge import split
from tests.conftest import migrated, pg_schema_url

NOW = datetime(2026, 11, 24, tzinfo=UTC)
LATER = datetime(2026, 11, 25, tzinfo=UTC)
TITLE = "Umbilical cord MSCs secreting IL-12 restrain colorectal cancer liver metastasis"
OTHER = "Bone marrow MSC exosomes carry miR-21 into glioma cells"


def paper(pmid: str, title: str, **extra: Any) -> SourceRecord:
    identifiers = {"pmid": pmid, "registry_ids": [], **extra.pop("ids", {})}
    data = {"source": "pubmed", "source_id": pmid, "kind": "paper", "deleted": False,
            "identifiers": identifiers, "title": title, "published": "2026",
            "authors": ["Wei Zhang", "Li Na"], "created": "2026-01-02", **extra}  # fmt: skip
    return SourceRecord(data)


STORED = [paper("41000100", OTHER)]  # in the database before the batch
BATCH = [
    paper("41000101", TITLE),
    paper("41000102", TITLE.upper()),  # the same title key: joins 41000101
    paper("41000103", TITLE, retracted=True, ids={"doi": "10.1/dup"}),  # its retraction moves too
    paper("41000104", TITLE.replace("colorectal", "gastric")),  # another cancer: its own work
    paper("41000105", OTHER + "."),  # joins the stored work
    paper("41000106", OTHER, ids={"doi": "10.1/other"}),  # joins it too
    paper("41000108", TITLE, authors=[]),  # no block: never title-matched
]


def load(engine: Engine, batches: list[list[SourceRecord]]) -> None:
    for number, batch in enumerate(batches):
        with engine.begin() as conn:
            store.store_records(conn, batch, NOW if number == 0 else LATER)


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything about works, merges, events, identifiers and links, named by source ids
    (database ids differ between the two ways of loading)."""
    with engine.connect() as conn:
        sources = {
            r.id: (r.source_id, r.work_id) for r in conn.execute(select(store.source_records))
        }
        held: dict[int, list[str]] = {}
        for source_id, work_id in sources.values():
            held.setdefault(work_id, []).append(source_id)
        all_works = conn.execute(select(store.works)).all()
        name = {w.id: tuple(sorted(held.get(w.id, []))) for w in all_works}
        live = {w.id for w in all_works if w.merged_into is None}
        found: dict[str, Any] = {"live": sorted(name[w] for w in live)}
        found["events"] = sorted(
            (name[e.work_id], e.type, e.data.get("source_id", ""))
            for e in conn.execute(select(store.events))
        )
        found["identifiers"] = sorted(
            (name[i.work_id], i.scheme, i.value) for i in conn.execute(select(store.identifiers))
        )
        found["links"] = sorted(
            (name[link.work_id], link.type, link.target_value)
            for link in conn.execute(select(store.links))
        )
        merges = []
        for m in conn.execute(select(store.merges)):
            moved = m.evidence["moved"]
            merges.append((
                name[m.kept_work_id], m.reason, m.probable, m.evidence["score"],
                m.evidence["block"], m.undone_at is None,
                sorted(sources[i][0] for i in moved["source_records"]),
                sorted(t for t, ids in moved.items() if ids),
                sorted((e["type"], e["data"]["source_id"]) for e in m.evidence["dropped_events"]),
            ))  # fmt: skip
        found["merges"] = sorted(merges)
        found["merged_into_live"] = all(
            w.merged_into in live for w in all_works if w.merged_into is not None
        )
    return found


def split_all(engine: Engine) -> None:
    with engine.begin() as conn:
        kept = conn.execute(select(store.merges.c.kept_work_id).distinct()).scalars().all()
        for work_id in kept:
            split(conn, work_id, LATER)


@pytest.fixture
def second(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """Another migrated database of the same kind as `engine`."""
    if db_url.startswith("sqlite"):
        yield from migrated(f"sqlite:///{tmp_path / 'one-by-one.db'}")
    else:
        for url in pg_schema_url():
            yield from migrated(url)


def test_a_batch_joins_titles_as_record_by_record_loading_does(
    engine: Engine, second: Engine
) -> None:
    load(engine, [STORED, BATCH])
    batched = snapshot(engine)
    load(second, [STORED, *([record] for record in BATCH)])
    assert batched == snapshot(second)

    # what the batch made: one work per study, the joins probable and explained
    assert batched["live"] == [
        ("41000100", "41000105", "41000106"),
        ("41000101", "41000102", "41000103"),
        ("41000104",),
        ("41000108",),
    ]
    assert batched["merged_into_live"]  # no join points at a joined work
    assert [(m[0], m[6], m[7], m[8]) for m in batched["merges"]] == [
        (("41000100", "41000105", "41000106"), ["41000105"], ["identifiers", "source_records"],
         [("new", "41000105")]),
        (("41000100", "41000105", "41000106"), ["41000106"], ["identifiers", "source_records"],
         [("new", "41000106")]),
        (("41000101", "41000102", "41000103"), ["41000102"],
         ["identifiers", "source_records"], [("new", "41000102")]),
        (("41000101", "41000102", "41000103"), ["41000103"],
         ["events", "identifiers", "source_records"], [("new", "41000103")]),
    ]  # fmt: skip
    assert {m[1:6] for m in batched["merges"]} == {("title", True, 100.0, "paper|2026|zhang", True)}
    news = [(event[0][0], event[1]) for event in batched["events"]]
    assert news == [("41000100", "new"), ("41000101", "new"), ("41000101", "retracted"),
                    ("41000104", "new"), ("41000108", "new")]  # fmt: skip

    # an editor's split gives every study back its own work, records, ids and "new" event
    split_all(engine)
    split_all(second)
    assert snapshot(engine) == snapshot(second)
    after = snapshot(engine)
    assert after["live"] == [("41000100",), ("41000101",), ("41000102",),
                             ("41000103",), ("41000104",), ("41000105",),
                             ("41000106",), ("41000108",)]  # fmt: skip
    assert sorted((e[0][0], e[1]) for e in after["events"]) == sorted(
        [(w, "new") for w in ("41000100", "41000101", "41000102", "41000103", "41000104",
                              "41000105", "41000106", "41000108")] + [("41000103", "retracted")]
    )  # fmt: skip
    assert [i[0] for i in after["identifiers"] if i[2] == "10.1/dup"] == [("41000103",)]


def test_a_record_joining_a_duplicate_by_doi_in_the_batch_goes_where_it_goes(
    engine: Engine,
) -> None:
    """Two records that share a DOI are one study: in one batch the second joins the first's
    work before the title join, so the join holds both and a split gives both back together
    (loaded apart, the second would find the DOI already under the kept work)."""
    twin = paper("41000107", "An unrelated title", ids={"doi": "10.1/dup"})
    load(engine, [BATCH[:3] + [twin]])
    joined = snapshot(engine)
    assert joined["live"] == [("41000101", "41000102", "41000103", "41000107")]
    assert [m[6] for m in joined["merges"]] == [["41000102"], ["41000103", "41000107"]]
    split_all(engine)
    assert snapshot(engine)["live"] == [("41000101",), ("41000102",), ("41000103", "41000107")]
