"""Search over the relevant works, on SQLite (FTS5) and PostgreSQL (GIN-indexed text search):
Chinese words found inside unspaced text and through the labels' Chinese names, English words,
trial ids, PMIDs and DOIs; filters by label; the index following storing, merging and
reclassifying."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select, text, update
from typer.testing import CliRunner

from etl.classify.service import Classifier, classify_works, reindex_search
from etl.cli import app
from etl.db.models import Classification, SearchDocument
from etl.records import SourceRecord
from etl.replay import synthetic_article
from etl.search.query import search
from etl.search.tokens import document_tokens, query_terms
from etl.sources.pubmed.parse import parse_efetch
from etl.works import store
from tests.conftest import make_settings

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
MYELOMA = (
    "Umbilical cord mesenchymal stem cells loaded with bortezomib in multiple myeloma: a "
    "phase 1 trial (NCT01234567)."
)
GLIOMA = "Mesenchymal stem cells engineered to secrete TRAIL kill glioma cells in mice."
CHINESE = "脐带间充质干细胞治疗多发性骨髓瘤的临床研究"


def store_articles(engine: Engine, *articles: bytes) -> set[int]:
    records = list(
        parse_efetch(b"<PubmedArticleSet>" + b"".join(articles) + b"</PubmedArticleSet>")
    )
    touched: set[int] = set()
    with engine.begin() as conn:
        store.store_records(conn, records, NOW, touched)
    return touched


@pytest.fixture
def classifier() -> Classifier:
    return Classifier.from_settings(make_settings())


@pytest.fixture
def indexed(engine: Engine, classifier: Classifier) -> Engine:
    touched = store_articles(
        engine,
        synthetic_article(
            "41000001",
            NOW.date(),
            title=MYELOMA,
            abstract="Bone marrow stromal cells and cancer. " + MYELOMA,
        ),
        synthetic_article("41000002", NOW.date(), title=GLIOMA, abstract=GLIOMA + " " + GLIOMA),
        synthetic_article(
            "41000003",
            NOW.date(),
            title=f"[{CHINESE}]",
            abstract=f"{CHINESE}。间充质干细胞与肿瘤。结果显示安全。",
        ),
    )
    with engine.begin() as conn:
        classify_works(conn, touched, classifier, NOW)
    return engine


def pmids(engine: Engine, query: str, **filters: str) -> list[str]:
    with engine.connect() as conn:
        found = search(conn, query, filters)
    return sorted(
        ident.split()[1] for hit in found.hits for ident in hit.identifiers
        if ident.startswith("pmid ")
    )  # fmt: skip


def test_chinese_is_indexed_as_bigrams() -> None:
    assert document_tokens("骨髓瘤 MSC-EV") == ["骨髓", "髓瘤", "瘤", "msc", "ev"]
    (term,) = query_terms("骨髓瘤")
    assert term.tokens == ("骨髓", "髓瘤") and not term.prefix
    (doi,) = query_terms("10.99999/jsso.41000001")
    assert doi.tokens == ("10", "99999", "jsso", "41000001")


def test_search_finds_words_ids_and_chinese(indexed: Engine) -> None:
    # Chinese words inside unspaced Chinese text, and through the labels' Chinese names.
    assert pmids(indexed, "骨髓瘤") == ["41000001", "41000003"]
    assert pmids(indexed, "脐带") == ["41000001", "41000003"]
    assert pmids(indexed, "临床研究") == ["41000003"]
    assert "41000002" in pmids(indexed, "胶质瘤")  # glioma's Chinese name
    assert pmids(indexed, "髓瘤骨") == []  # the characters, not in this order
    # English words, with their longer forms; every word must be there.
    assert pmids(indexed, "myeloma") == ["41000001", "41000003"]
    assert pmids(indexed, "TRAIL glioma") == ["41000002"]
    assert pmids(indexed, "TRAIL myeloma") == []
    assert pmids(indexed, "bortezomib") == ["41000001"]
    # Identifiers: a trial id, a PMID, a DOI.
    assert pmids(indexed, "NCT01234567") == ["41000001"]
    assert pmids(indexed, "41000002") == ["41000002"]
    assert pmids(indexed, "10.99999/jsso.41000003") == ["41000003"]
    # Characters a query language would read as syntax are only words here.
    assert pmids(indexed, '"myeloma* OR (glioma) NEAR -') == []


def test_filters_narrow_words_and_stand_alone(indexed: Engine) -> None:
    # 41000001's keyword is a glioblastoma (synthetic records name one cancer each).
    assert pmids(indexed, "", cancer="glioma") == ["41000001", "41000002"]
    assert pmids(indexed, "myeloma", cancer="myeloma", source="umbilical_cord") == [
        "41000001",
        "41000003",
    ]
    assert pmids(indexed, "myeloma", cancer="glioma") == ["41000001"]
    assert pmids(indexed, "临床研究", cancer="glioma") == []
    assert pmids(indexed, "", kind="paper", year=str(NOW.year)) == [
        "41000001",
        "41000002",
        "41000003",
    ]
    assert pmids(indexed, "", kind="trial") == []
    with indexed.connect() as conn:
        nothing = search(conn, "", {"unknown": "x"})
    assert not nothing.asked and nothing.total == 0


def test_pages(indexed: Engine) -> None:
    with indexed.connect() as conn:
        first = search(conn, "", {"kind": "paper"}, page=1, per_page=2)
        second = search(conn, "", {"kind": "paper"}, page=2, per_page=2)
    assert first.total == second.total == 3 and first.pages == 2
    assert len(first.hits) == 2 and len(second.hits) == 1
    assert not {h.work_id for h in first.hits} & {h.work_id for h in second.hits}


def test_the_index_follows_reclassifying_and_new_versions(
    indexed: Engine, classifier: Classifier
) -> None:
    with indexed.begin() as conn:
        glioma = search(conn, "TRAIL").hits[0].work_id
        # An editor's view or a new taxonomy makes it irrelevant: it leaves the index...
        labels = conn.execute(
            select(Classification.__table__.c.labels).where(
                Classification.__table__.c.work_id == glioma
            )
        ).scalar_one()
        conn.execute(
            update(Classification.__table__)
            .where(Classification.__table__.c.work_id == glioma)
            .values(relevant=False, labels={**labels, "relevant": False})
        )
        reindex_search(conn, classifier.taxonomy, NOW)
    assert pmids(indexed, "TRAIL") == []
    # ...and a rerun of the classifier brings it back.
    with indexed.begin() as conn:
        classify_works(conn, [glioma], classifier, NOW)
    assert pmids(indexed, "TRAIL") == ["41000002"]
    # A later version of the record with another title: the index holds the new words.
    touched = store_articles(
        indexed,
        synthetic_article(
            "41000002",
            NOW.date(),
            mdat=datetime(2026, 11, 30).date(),
            title=GLIOMA.replace("TRAIL", "interferon beta"),
            abstract=(GLIOMA + " " + GLIOMA).replace("TRAIL", "interferon beta"),
        ),
    )
    with indexed.begin() as conn:
        classify_works(conn, touched, classifier, NOW)
    assert pmids(indexed, "TRAIL") == []
    assert pmids(indexed, "interferon glioma") == ["41000002"]
    with indexed.connect() as conn:
        count = conn.execute(
            select(func.count()).select_from(SearchDocument.__table__)
        ).scalar_one()
    assert count == 3


def trial_record(source: str, source_id: str, registry_ids: list[str]) -> SourceRecord:
    data = {"source": source, "source_id": source_id, "kind": "trial", "deleted": False,
            "identifiers": {"registry_ids": registry_ids},
            "title": "Umbilical cord mesenchymal stem cells for multiple myeloma",
            "abstract": "Mesenchymal stem cells infused in patients with multiple myeloma. "
                        "Mesenchymal stem cells safety in myeloma.",
            "conditions": ["Multiple Myeloma"], "first_posted": "2025-01-01"}  # fmt: skip
    return SourceRecord(data)


def test_a_merge_leaves_one_document(engine: Engine, classifier: Classifier) -> None:
    def put(*records: SourceRecord) -> None:
        touched: set[int] = set()
        with engine.begin() as conn:
            store.store_records(conn, list(records), NOW, touched)
            classify_works(conn, touched, classifier, NOW)

    put(trial_record("ctgov", "NCT05000001", ["NCT05000001"]))
    put(trial_record("ictrp", "ChiCTR2400012345", ["ChiCTR2400012345"]))
    with engine.connect() as conn:
        assert search(conn, "myeloma", {"kind": "trial"}).total == 2
    # The ChiCTR record names the NCT id: one study, one work, one document.
    put(trial_record("ictrp", "ChiCTR2400012345", ["ChiCTR2400012345", "NCT05000001"]))
    with engine.connect() as conn:
        found = search(conn, "myeloma", {"kind": "trial"})
        assert found.total == 1
        assert search(conn, "ChiCTR2400012345").hits[0].work_id == found.hits[0].work_id
        assert search(conn, "NCT05000001").hits[0].work_id == found.hits[0].work_id


def test_counts_stop_at_the_cap(indexed: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past COUNT_CAP matches the count stops (the page says "more than"), whichever way the
    words or filters were counted; pages still lead on."""
    import etl.search.query as query

    monkeypatch.setattr(query, "COUNT_CAP", 2)
    with indexed.connect() as conn:
        for words, filters in (("mesenchymal", {}), ("", {"kind": "paper"})):
            found = search(conn, words, filters, per_page=2)
            assert found.total == 3 and found.capped and found.pages == 2
        exact = search(conn, "TRAIL")
    assert exact.total == 1 and not exact.capped


def test_pages_read_from_the_counted_ids_match_the_walk_by_day(
    engine: Engine, classifier: Classifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under the cap the page is sorted from the ids the count read; past it the page walks the
    documents by day. Both give the same works in the same order (newest first, then the
    higher id), page after page, for words, one filter, several filters and both together."""
    import etl.search.query as query

    days = [date(2026, 11, d) for d in (3, 9, 9, 1, 20, 14, 9)]
    touched = store_articles(
        engine,
        *(
            synthetic_article(
                str(41000100 + n),
                day,
                title=(MYELOMA if n % 2 else GLIOMA).replace("(NCT01234567)", f"({n})"),
                abstract=(MYELOMA if n % 3 else GLIOMA + " " + MYELOMA),
            )
            for n, day in enumerate(days)
        ),
    )
    with engine.begin() as conn:
        classify_works(conn, touched, classifier, NOW)
    asked: list[tuple[str, dict[str, str]]] = [
        ("mesenchymal", {}),
        ("", {"cancer": "myeloma"}),
        ("", {"kind": "paper", "source": "umbilical_cord"}),
        ("mesenchymal", {"cancer": "myeloma", "kind": "paper"}),
        ("myeloma", {"source": "umbilical_cord", "kind": "paper", "year": "2026"}),
    ]

    def pages(words: str, filters: dict[str, str]) -> list[tuple[str, int]]:
        with engine.connect() as conn:
            found = [search(conn, words, filters, page=p, per_page=2) for p in range(1, 6)]
        return [(hit.day, hit.work_id) for result in found for hit in result.hits]

    sorted_from_ids = {str(a): pages(*a) for a in asked}
    monkeypatch.setattr(query, "COUNT_CAP", 0)  # every count capped: every page walks by day
    walked = {str(a): pages(*a) for a in asked}
    assert walked == sorted_from_ids
    for hits in walked.values():
        assert len(hits) >= 3
        assert hits == sorted(hits, reverse=True)
    assert len(walked[str(asked[0])]) == len(days)


def _tidied(engine: Engine, output: str) -> None:
    """The command said what it did to the search tables, and on PostgreSQL did it: vacuumed
    and analysed them, and only them."""
    if engine.dialect.name != "postgresql":  # no visibility map; statistics made no search faster
        assert "search tables tidied: nothing to do on SQLite" in output
        return
    assert "search tables tidied: VACUUM (ANALYZE) search_documents" in output
    with engine.connect() as conn:
        stats = conn.execute(
            text(
                "SELECT relname, last_vacuum, last_analyze FROM pg_stat_user_tables "
                "WHERE schemaname = current_schema()"
            )
        ).all()
    done = {name for name, vacuum, analyze in stats if vacuum and analyze}
    assert {"search_documents", "search_texts", "search_tags"} <= done
    assert "works" not in done


def test_reindex_leaves_the_search_tables_vacuumed_and_analysed(
    db_url: str, indexed: Engine
) -> None:
    """A rewritten index is slow on PostgreSQL until its visibility map is set again, so the
    command vacuums it at once."""
    result = CliRunner().invoke(app, ["search", "reindex"], env={"DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    assert "search index rewritten: 3 relevant works" in result.output
    assert pmids(indexed, "TRAIL") == ["41000002"]
    _tidied(indexed, result.output)


def test_db_upgrade_fills_an_empty_index_and_tidies_it(db_url: str, indexed: Engine) -> None:
    with indexed.begin() as conn:
        for table in ("search_tags", "search_texts", "search_documents"):
            conn.execute(text(f"DELETE FROM {table}"))
    assert pmids(indexed, "TRAIL") == []
    result = CliRunner().invoke(app, ["db", "upgrade"], env={"DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    assert "search index filled: 3 relevant works" in result.output
    assert pmids(indexed, "TRAIL") == ["41000002"]
    _tidied(indexed, result.output)
