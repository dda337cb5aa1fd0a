"""The batched store on SQLite and PostgreSQL: idempotent upserts, identity, links, events,
deletions, stale versions and quarantine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select

from etl.db.engine import current_revision, head_revision, require_current, upgrade
from etl.errors import DatabaseError
from etl.pipeline.ingest import ingest_files
from etl.records import Quarantined, SourceRecord
from etl.replay import synthetic_article
from etl.sources.pubmed.parse import parse_efetch
from etl.works import store
from tests.conftest import SAMPLES

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
EFETCH = SAMPLES / "pubmed-efetch"


def parsed(xml: bytes) -> list[SourceRecord]:
    return [r for r in parse_efetch(b"<PubmedArticleSet>" + xml + b"</PubmedArticleSet>")]


def count(engine: Engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def put(engine: Engine, records, now=NOW):  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return store.store_records(conn, records, now)


def test_migrations_are_idempotent_and_required(db_url: str) -> None:
    from etl.db.engine import make_engine

    engine = make_engine(db_url)
    with pytest.raises(DatabaseError, match="has no tables yet") as refused:
        require_current(engine)
    assert refused.value.hint == "run: mscwatch db upgrade"
    assert upgrade(engine) == (None, head_revision(engine))
    assert upgrade(engine) == (head_revision(engine), head_revision(engine))
    require_current(engine)
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()


def test_the_migrations_build_exactly_the_models(engine: Engine) -> None:
    """A model changed without a migration (or the other way round) shows up here, not in
    production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from etl.db.models import Base, declared_here

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": declared_here})
        assert compare_metadata(context, Base.metadata) == []


@pytest.mark.usefixtures("samples")  # the recorded corpus
def test_ingesting_the_same_files_twice_changes_nothing(engine: Engine) -> None:
    files = sorted(p for p in EFETCH.glob("*.xml"))
    first = ingest_files(engine, "pubmed", files, NOW)
    assert first.counts.new == 260 and first.counts.quarantined == 1
    snapshot = {
        t.name: count(engine, t)
        for t in (store.works, store.identifiers, store.links, store.events, store.quarantine)
    }
    second = ingest_files(engine, "pubmed", files, LATER)
    assert (second.counts.new, second.counts.updated, second.counts.deleted) == (0, 0, 0)
    assert second.counts.unchanged == 262
    assert snapshot == {
        t.name: count(engine, t)
        for t in (store.works, store.identifiers, store.links, store.events, store.quarantine)
    }
    assert snapshot["quarantine"] == 1


def test_identifiers_are_unique_and_records_join_by_doi(engine: Engine) -> None:
    a = synthetic_article("40000001", NOW.date(), title="MSC exosomes in glioma")
    b = synthetic_article("40000002", NOW.date(), title="MSC exosomes in glioma (duplicate entry)")
    first, second = parsed(a), parsed(b)
    # the second PubMed record carries the first one's DOI (a duplicate citation)
    second[0].data["identifiers"]["doi"] = first[0].data["identifiers"]["doi"]
    counts = put(engine, first + second)
    assert counts.new == 2
    with engine.connect() as conn:
        works = conn.execute(select(store.source_records.c.work_id)).scalars().all()
        keys = conn.execute(select(store.identifiers.c.scheme, store.identifiers.c.value)).all()
    assert len(set(works)) == 1
    assert len(keys) == len(set(keys)) == 3  # two PMIDs, one DOI


def test_new_work_event_carries_the_upstream_create_date(engine: Engine) -> None:
    put(engine, parsed(synthetic_article("40000010", datetime(2026, 3, 2).date())))
    with engine.connect() as conn:
        event = conn.execute(select(store.events)).one()
    assert (event.type, event.occurred_on, event.detected_at) == ("new", "2026-03-02", NOW)


def test_retraction_arriving_later_is_an_event_and_a_link(engine: Engine) -> None:
    created = datetime(2026, 9, 1).date()
    put(engine, parsed(synthetic_article("40000020", created)))
    retracted = synthetic_article(
        "40000020",
        created,
        mdat=datetime(2026, 11, 20).date(),
        publication_types=("Journal Article", "Retracted Publication"),
        comments=(("RetractionIn", "40000099"),),
    )
    counts = put(engine, parsed(retracted), LATER)
    assert counts.updated == 1
    with engine.connect() as conn:
        types = (
            conn.execute(select(store.events.c.type).order_by(store.events.c.id)).scalars().all()
        )
        link = conn.execute(select(store.links)).one()
        work = conn.execute(select(store.works)).one()
    assert types == ["new", "retracted"]
    assert (link.type, link.target_scheme, link.target_value) == (
        "retracted_by",
        "pmid",
        "40000099",
    )
    assert work.retracted is True


def test_an_older_version_never_replaces_a_newer_one(engine: Engine) -> None:
    created = datetime(2026, 9, 1).date()
    new = parsed(
        synthetic_article(
            "40000030", created, mdat=datetime(2026, 10, 1).date(), title="Revised title"
        )
    )
    old = parsed(
        synthetic_article(
            "40000030", created, mdat=datetime(2026, 9, 2).date(), title="First title"
        )
    )
    put(engine, new)
    assert put(engine, old, LATER).unchanged == 1
    with engine.connect() as conn:
        assert conn.execute(select(store.works.c.title)).scalar_one() == "Revised title"


def test_delete_citation_marks_record_and_work_deleted(engine: Engine) -> None:
    created = datetime(2026, 9, 1).date()
    put(engine, parsed(synthetic_article("40000040", created)))
    deletion = list(
        parse_efetch(
            b"<PubmedArticleSet><DeleteCitation><PMID Version='1'>40000040</PMID>"
            b"<PMID Version='1'>1</PMID></DeleteCitation></PubmedArticleSet>"
        )
    )
    counts = put(engine, deletion, LATER)
    assert (counts.deleted, counts.unchanged) == (1, 0)
    with engine.connect() as conn:
        assert conn.execute(select(store.works.c.deleted_at)).scalar_one() == LATER
        assert "deleted" in conn.execute(select(store.events.c.type)).scalars().all()
    assert put(engine, deletion, LATER).deleted == 0  # already deleted: nothing to do


def test_raw_payload_is_kept_and_restorable(engine: Engine) -> None:
    (record,) = parsed(synthetic_article("40000050", NOW.date()))
    put(engine, [record])
    with engine.connect() as conn:
        raw = conn.execute(select(store.source_records.c.raw)).scalar_one()
    assert store.unpack(raw) == record.raw
    assert [
        r.data
        for r in parse_efetch(b"<PubmedArticleSet>" + store.unpack(raw) + b"</PubmedArticleSet>")
    ] == [record.data]


@pytest.mark.usefixtures("samples")  # the recorded corpus
def test_quarantine_keeps_reason_and_raw_bytes_once(engine: Engine) -> None:
    (bad,) = parse_efetch(EFETCH / "reciter-special_characters-MALFORMED.xml")
    assert isinstance(bad, Quarantined)
    for _ in range(2):
        with engine.begin() as conn:
            store.store_quarantine(conn, [bad], None, NOW)
    with engine.connect() as conn:
        row = conn.execute(select(store.quarantine)).one()
    assert (row.record_key, row.location) == (
        "24694772",
        "reciter-special_characters-MALFORMED.xml",
    )
    assert "xmlParseEntityRef" in row.reason and b"&&&&" in row.raw


@pytest.mark.usefixtures("samples")  # the recorded corpus
def test_paper_links_to_the_trial_it_reports(engine: Engine) -> None:
    records = list(parse_efetch(EFETCH / "biomcp-efetch_citation_22663011.xml"))
    put(engine, records)
    with engine.connect() as conn:
        links = conn.execute(select(store.links.c.type, store.links.c.target_value)).all()
    assert ("reports_trial", "NCT01245062") in links


def test_a_deleted_record_stays_deleted_when_an_older_copy_is_loaded_again(
    engine: Engine,
) -> None:
    created = datetime(2026, 9, 1).date()
    copy = parsed(synthetic_article("40000041", created, mdat=datetime(2026, 9, 2).date()))
    put(engine, copy)
    deletion = list(
        parse_efetch(
            b"<PubmedArticleSet><DeleteCitation><PMID Version='1'>40000041</PMID>"
            b"</DeleteCitation></PubmedArticleSet>"
        )
    )
    assert put(engine, deletion, LATER).deleted == 1
    again = put(engine, copy, LATER)  # the earlier file, loaded once more
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    with engine.connect() as conn:
        assert conn.execute(select(store.works.c.deleted_at)).scalar_one() == LATER
        assert conn.execute(select(store.source_records.c.deleted_at)).scalar_one() == LATER
    revived = parsed(synthetic_article("40000041", created, mdat=datetime(2026, 10, 1).date()))
    assert put(engine, revived, LATER).updated == 1  # revised after the deletion: back
    with engine.connect() as conn:
        assert conn.execute(select(store.works.c.deleted_at)).scalar_one() is None
