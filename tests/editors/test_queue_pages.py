"""The review queue without a label filter is counted, sorted and cut by the database; it lists
the same works in the same order, page by page, as the filtered path that sorts in Python, on
SQLite and PostgreSQL, ties included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert

from etl.db.models import Classification
from etl.editors import review
from etl.records import SourceRecord
from etl.works import store

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def paper(number: int) -> SourceRecord:
    pmid = str(41_100_000 + number)
    data = {"source": "pubmed", "source_id": pmid, "kind": "paper", "deleted": False,
            "identifiers": {"pmid": pmid, "registry_ids": []},
            "title": f"MSC study {number} of a kind no other title shares {number * 7}",
            "published": "2026", "authors": [f"Author{number} Wang"],
            "created": "2026-01-02"}  # fmt: skip
    return SourceRecord(data)


@pytest.fixture
def works(engine: Engine) -> list[int]:
    """17 works seen at three times, with relevances that tie, and one without labels."""
    made: list[int] = []
    for number in range(17):
        touched: set[int] = set()
        with engine.begin() as conn:
            store.store_records(conn, [paper(number)], NOW + timedelta(hours=number % 3), touched)
        made += touched
    rows = [
        {"work_id": work_id, "relevant": True, "relevance": (0.2, 0.5, 0.8, 0.5)[n % 4],
         "section": "solid_tumors", "stage": None, "safety": False,
         "labels": {"cancer_types": ["lung"]}, "taxonomy_version": "t", "taxonomy_digest": "d",
         "model": None, "classified_at": NOW}
        for n, work_id in enumerate(made[:-1])
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(Classification.__table__), rows)
    return made


@pytest.mark.parametrize("order", review.ORDERS)
def test_the_database_pages_like_the_python_sort(
    engine: Engine, works: list[int], order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review, "PAGE", 4)

    def listed(**wanted: object) -> tuple[list[int], int]:
        wanted.setdefault("since", date(2026, 1, 1))
        ids, total = [], 0
        with engine.connect() as conn:
            for page in range(1, 7):
                found = review.queue(
                    conn,
                    review.QueueFilter(order=order, page=page, **wanted),  # type: ignore[arg-type]
                    "UTC",
                )
                ids += [row.work_id for row in found.rows]
                total = found.total
        return ids, total

    in_sql = listed(relevance="all")
    in_python = listed(relevance="all", cancer_type="lung")  # every classified work is lung
    assert in_sql[1] == 17 and in_python[1] == 16
    assert [w for w in in_sql[0] if w != works[-1]] == in_python[0]
    assert sorted(in_sql[0]) == sorted(works)  # every work once, across the pages
    relevant = listed()
    assert relevant == (in_python[0], 16)
    later = listed(relevance="all", since=date(2026, 11, 25))
    assert later[1] == 0  # nothing seen after the day asked for
