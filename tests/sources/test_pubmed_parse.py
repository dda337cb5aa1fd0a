"""The efetch parser against every real sample: fields, markup, dates, deletions, bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from etl.records import Quarantined, SourceRecord
from etl.sources.pubmed.parse import parse_efetch
from tests.conftest import SAMPLES, sample_files

EFETCH = SAMPLES / "pubmed-efetch"
MALFORMED = "reciter-special_characters-MALFORMED.xml"
REQUIRED = {
    "source",
    "source_id",
    "kind",
    "identifiers",
    "title",
    "abstract",
    "journal",
    "published",
    "language",
    "publication_types",
    "mesh_terms",
    "keywords",
    "authors",
    "retracted",
    "corrections",
}


def records(name: str) -> list[SourceRecord]:
    items = list(parse_efetch(EFETCH / name))
    assert not [i for i in items if isinstance(i, Quarantined)], name
    return items  # type: ignore[return-value]


def one(name: str, pmid: str | None = None) -> dict:
    found = [r.data for r in records(name) if not r.deleted]
    return next(d for d in found if pmid is None or d["source_id"] == pmid)


@pytest.mark.usefixtures("samples")  # the recorded corpus
@pytest.mark.parametrize(
    "path",
    [p for p in sample_files("pubmed-efetch", "*.xml") if p.name != MALFORMED],
    ids=lambda p: p.name,
)
def test_every_sample_parses_into_complete_records(path: Path) -> None:
    items = list(parse_efetch(path))
    assert all(isinstance(i, SourceRecord) for i in items)
    for item in items:
        data = item.data
        assert data["source"] == "pubmed" and data["source_id"].isdigit()
        if data["deleted"]:
            continue
        assert set(data) >= REQUIRED, set(REQUIRED) - set(data)
        assert data["kind"] == "paper"
        assert set(data["identifiers"]) == {"pmid", "doi", "pmcid", "pii", "registry_ids"}
        assert data["identifiers"]["pmid"] == data["source_id"]
        assert "<" not in data["title"] and "&#" not in data["title"]
        assert data["published"] is None or data["published"][:4].isdigit()
        assert item.raw.startswith(b"<Pubmed")


def test_sample_sets_yield_their_article_counts() -> None:
    counts = {
        name: len(records(name))
        for name in (
            "mokztk-pubmed_result.xml",
            "pubMR-pubmed_result.xml",
            "qi29-pubmed_result.xml",
            "ncbiutils-pubmed.xml",
            "metapub-37909814-empty.xml",
        )
    }
    assert counts == {
        "mokztk-pubmed_result.xml": 15,
        "pubMR-pubmed_result.xml": 93,
        "qi29-pubmed_result.xml": 121,
        "ncbiutils-pubmed.xml": 5,
        "metapub-37909814-empty.xml": 0,
    }


def test_structured_abstract_keeps_labels_and_inline_markup_is_removed() -> None:
    data = one("pubmed-29768149.xml")
    paragraphs = data["abstract"].split("\n\n")
    assert [p.split(":")[0] for p in paragraphs] == [
        "BACKGROUND",
        "METHODS",
        "RESULTS",
        "CONCLUSIONS",
    ]
    # β<sub>2</sub> on its own pretty-printed line still reads as one word, subscript kept
    assert "fast-acting β₂-agonist" in data["abstract"]
    assert data["identifiers"]["registry_ids"] == ["NCT02149199"]
    assert data["identifiers"]["doi"] == "10.1056/nejmoa1715274"


def test_nested_markup_and_entities_in_titles() -> None:
    assert one("reciter-32025781.xml")["title"].startswith(
        "Propionibacterium acnes Host Inflammatory Response"
    )
    assert "Na⁺ transporters" in one("reciter-28356292-markup-edited.xml")["title"]
    assert "IL-1⍺-driven" in one("metapub-39236155.xml")["title"]


def test_databank_trial_ids_and_trial_publication_types() -> None:
    data = one("biomcp-efetch_citation_22663011.xml")
    assert data["identifiers"]["registry_ids"] == ["NCT01245062"]
    assert "Clinical Trial, Phase III" in data["publication_types"]
    assert "Melanoma" in data["mesh_terms"]
    assert data["published"] == "2012-07-12"


def test_retracted_paper_and_its_retraction_link() -> None:
    data = one("neilfws-retracted-example.xml")
    assert data["retracted"] is True
    assert {k: data["corrections"][0][k] for k in ("type", "pmid")} == {
        "type": "RetractionIn",
        "pmid": "195582",
    }
    assert all(c["type"] != "Cites" for c in data["corrections"])


def test_erratum_link_does_not_mark_a_paper_retracted() -> None:
    data = one("metapub-35649368.xml")
    assert data["retracted"] is False
    assert [(c["type"], c["pmid"]) for c in data["corrections"]] == [("ErratumIn", "35767954")]


def test_non_english_titles_languages_and_vernacular() -> None:
    norwegian = one("metapub-36987902.xml")
    assert norwegian["languages"] == ["eng", "nor"] and norwegian["language"] == "eng"
    assert "Haukeland universitetssjukehus" in norwegian["vernacular_title"]
    german = one("metapub-38048813.xml")
    assert german["language"] == "ger"
    assert not german["title"].startswith("[")
    assert one("mokztk-pubmed_result.xml", "22441635")["language"] == "eng"  # upper-case ENG


def test_partial_and_free_text_dates() -> None:
    assert one("ncbiutils-pubmed.xml", "151222")["published"] == "1978-07"  # "1978 Jul-Sep"
    assert one("mokztk-pubmed_result.xml", "23064571")["published"] == "2012"
    assert one("metapub-35649368.xml")["created"] == "2022-06-01"
    assert one("metapub-35649368.xml")["revised"] == "2025-07-28"


def test_empty_title_falls_back_to_the_vernacular_title() -> None:
    data = one("ncbiutils-no_title_abstract.xml")
    assert data["title"] == data["vernacular_title"] == "Pere Barceló."
    assert data["abstract"] == ""
    assert data["identifiers"]["pii"] == "S1699-258X(20)30268-0"


def test_book_articles_yield_records() -> None:
    book = one("metapub-sample_article_20301577.xml")
    assert book["source_id"] == "20301577"
    assert book["title"] == "CACNA1C-Related Disorders"
    assert book["publication_types"] == ["Review"]
    mixed = records("klortho-efetch.pubmedexample.xml")
    assert [r.source_id for r in mixed] == ["17284678", "20301295"]


def test_delete_citation_yields_deletion_records() -> None:
    items = records("ncbiutils-pubmed22n1313.xml")
    deleted = [r for r in items if r.deleted]
    assert len(deleted) == 559 and len(items) - len(deleted) == 4
    assert deleted[0].data == {
        "source": "pubmed",
        "source_id": "21334990",
        "kind": "paper",
        "deleted": True,
        "identifiers": {"pmid": "21334990"},
    }


def test_gzipped_baseline_files_are_read(tmp_path: Path) -> None:
    packed = tmp_path / "pubmed26n0001.xml.gz"
    packed.write_bytes(gzip.compress((EFETCH / "ncbiutils-pubmed22n1313.xml").read_bytes()))
    assert [r.data for r in parse_efetch(packed)] == [
        r.data for r in records("ncbiutils-pubmed22n1313.xml")
    ]


@pytest.mark.usefixtures("samples")  # the recorded corpus
def test_malformed_record_is_quarantined_with_file_pmid_and_reason() -> None:
    items = list(parse_efetch(EFETCH / MALFORMED))
    assert len(items) == 1 and isinstance(items[0], Quarantined)
    bad = items[0]
    assert bad.record_key == "24694772"
    assert bad.describe() == (
        f"{MALFORMED}: record 24694772: not well-formed XML at line 30, column 66: "
        "xmlParseEntityRef: no name"
    )
    assert b"&&&&" in bad.raw


def test_one_broken_record_does_not_stop_the_others() -> None:
    good = (EFETCH / "metapub-35649368.xml").read_bytes()
    article = good[good.index(b"<PubmedArticle>") : good.rindex(b"</PubmedArticleSet>")]
    broken = (EFETCH / MALFORMED).read_bytes()
    bad_article = broken[broken.index(b"<PubmedArticle>") : broken.rindex(b"</PubmedArticleSet>")]
    body = (
        b"<PubmedArticleSet>\n"
        + article
        + bad_article
        + article.replace(b"35649368", b"35649369")
        + b"</PubmedArticleSet>\n"
    )
    items = list(parse_efetch(body, location="efetch batch 1"))
    assert [type(i).__name__ for i in items] == ["SourceRecord", "Quarantined", "SourceRecord"]
    assert items[2].source_id == "35649369"
    assert items[1].describe().startswith("efetch batch 1: record 24694772: not well-formed XML")


def test_truncated_file_keeps_complete_records_and_reports_the_break() -> None:
    data = (EFETCH / "mokztk-pubmed_result.xml").read_bytes()
    items = list(parse_efetch(data[: len(data) // 2]))
    assert all(isinstance(i, SourceRecord) for i in items[:-1]) and len(items) > 2
    assert isinstance(items[-1], Quarantined)
    # the record cut in two is named by its PMID, with where it starts and where the file breaks
    assert items[-1].record_key == "23117106"
    assert items[-1].reason.startswith("unterminated <PubmedArticle> starting at line 1470 ")
    assert "the file breaks at line 1498" in items[-1].reason


def test_entities_are_not_resolved_and_nothing_is_fetched() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        b"<ArticleTitle>&x;</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
        b"</PubmedArticleSet>"
    )
    items = list(parse_efetch(hostile))
    assert "root:" not in repr([getattr(i, "data", None) for i in items])


def test_record_without_pmid_is_quarantined() -> None:
    body = (
        b"<PubmedArticleSet><PubmedArticle><MedlineCitation><Article><ArticleTitle>x"
        b"</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"
    )
    (item,) = parse_efetch(body, location="f.xml")
    assert isinstance(item, Quarantined)
    assert item.describe() == "f.xml: missing or malformed PMID: None"


def test_unreadable_gzip_is_one_clear_line(tmp_path: Path) -> None:
    packed = gzip.compress((EFETCH / "mokztk-pubmed_result.xml").read_bytes())
    cut = tmp_path / "pubmed26n0002.xml.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    items = list(parse_efetch(cut))
    assert isinstance(items[-1], Quarantined)
    assert items[-1].describe().startswith("pubmed26n0002.xml.gz: cannot read the file after")
    assert all(isinstance(i, SourceRecord) for i in items[:-1])
    not_gzip = tmp_path / "plain.xml.gz"
    not_gzip.write_bytes(b"<PubmedArticleSet/>")
    (item,) = parse_efetch(not_gzip)
    assert "cannot read the file after 0 records: Not a gzipped file" in item.reason


def test_damage_between_records_is_reported_not_dropped() -> None:
    good = (EFETCH / "metapub-35649368.xml").read_bytes()
    article = good[good.index(b"<PubmedArticle>") : good.rindex(b"</PubmedArticleSet>")]
    body = (
        b"<PubmedArticleSet>"
        + article
        + b"&oops;"
        + article.replace(b"35649368", b"35649369")
        + b"</PubmedArticleSet>"
    )
    items = list(parse_efetch(body, location="f.xml"))
    assert [getattr(i, "source_id", None) for i in items[:2]] == ["35649368", "35649369"]
    assert isinstance(items[-1], Quarantined)
    assert "between records" in items[-1].reason
    assert "line 1, column" in items[-1].reason and "Entity 'oops' not defined" in items[-1].reason
