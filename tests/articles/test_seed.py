"""The seed article checked end to end: its citations resolved through the database and the
replay servers (PubMed E-utilities and ClinicalTrials.gov API v2) holding records written for
some of them, each with one deliberate difference, and none for the others."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from etl.articles.check import ArticleReport, check_article
from etl.articles.resolve import DatabaseResolver
from etl.settings import Settings
from tests.conftest import make_settings
from tests.support.searches import SearchReplay

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[SearchReplay]:
    replay = SearchReplay.from_files(
        [DATA / "efetch-seed.xml"], [DATA / "studies-seed.json"], DATA / "esearch-seed.json"
    )
    with replay as srv:
        yield srv


def settings_for(server: SearchReplay, url: str) -> Settings:
    values: dict[str, Any] = {
        "sources.pubmed.base_url": server.url, "sources.pubmed.requests_per_second": 1000,
        "sources.ctgov.base_url": server.ctgov_url, "sources.ctgov.requests_per_second": 10,
        "http.backoff": 0.01, "http.backoff_max": 0.02, "http.timeout": 2.0,
    }  # fmt: skip
    return make_settings(url, **values)


def run(engine: Engine, settings: Settings, text: str, online: bool = True) -> ArticleReport:
    return check_article(text, resolver=DatabaseResolver(engine, settings, NOW, online=online))


# (cited id, verdict, what differs) in the seed's order; the figures follow.
EXPECTED = [
    ("doi:10.1200/jco.24.02356", "found", []),
    ("doi:10.1016/j.leukres.2023.106872", "found", []),
    ("doi:10.1038/s41409-024-02232-5", "mismatch", ["year: the record says 2023"]),
    ("doi:10.1158/1078-0432.ccr-23-3456", "wrong_study", None),
    ("nct:NCT05432187", "trial_disagrees", [
        "phase: the passage says 1/2, the record 3",
        "enrolment: the passage says 10 patients, the record 24 (estimated)",
    ]),
    ("doi:10.1111/bjh.18876", "retracted", ["retracted (pmid:39100007)"]),
    ("doi:10.1182/blood.2023019876", "not_found", []),
    ("doi:10.1016/s2352-3026(24)00089-1", "not_found", []),
]  # fmt: skip


def verdicts(report: ArticleReport) -> list[tuple[str, str]]:
    return [
        (",".join(f"{k}:{v}" for k, v in item.citation.ids.items()), str(item.verdict))
        for item in report.citations
    ]


def figures(report: ArticleReport, number: int) -> list[tuple[str, str, str | None]]:
    item = report.citations[number]
    return [(f.text, str(f.verdict), f.source_says) for f in item.figures]


def test_each_seed_citation_gets_its_verdict(
    engine: Engine, db_url: str, server: SearchReplay, seed_text: str
) -> None:
    report = run(engine, settings_for(server, db_url), seed_text)
    assert verdicts(report) == [(ids, verdict) for ids, verdict, _ in EXPECTED]
    for item, (_, _, differences) in zip(report.citations, EXPECTED, strict=True):
        if differences is not None:
            assert item.resolution.differences == differences, item.citation.ids
    wrong = report.citations[3].resolution
    assert wrong.record["title"].startswith("Mesenchymal stem cell-derived exosomes promote")
    assert wrong.other_work is not None
    assert wrong.other_work["identifiers"]["pmid"] == "39100005"
    assert report.citations[2].resolution.record["year"] == 2023
    # the passage of the 28-patient record: 30 contradicted, the percentages it gives supported
    assert figures(report, 0) == [
        ("30 例", "contradicted", "28 patients"),
        ("65%", "supported", None),
        ("33%", "supported", None),
        ("10%", "supported", None),
        ("25%", "not_in_source", None),
    ]
    # the record that holds every figure of its passage
    assert figures(report, 1) == [
        ("12 例", "supported", None),
        ("6例", "supported", None),
        ("3 个月", "supported", None),
        ("2 例", "supported", None),
    ]
    assert figures(report, 4)[0] == ("10例", "contradicted", "24 patients")
    # a citation whose id is another study vouches for nothing: its figures are unchecked
    assert {verdict for _, verdict, _ in figures(report, 3)} == {"not_in_source"}
    summary = report.summary()
    assert summary["verdicts"] == {
        "found": 2, "not_found": 2, "mismatch": 1, "wrong_study": 1, "retracted": 1,
        "corrected": 0, "trial_disagrees": 1,
    }  # fmt: skip
    assert summary["blocking"] is True
    assert summary["blocking_reasons"] == [
        "citation 1 (DOI 10.1200/jco.24.02356): 30 例 contradicted (the record says 28 patients)",
        "citation 5 (NCT NCT05432187): 10例 contradicted (the record says 24 patients)",
        "citation 7 (DOI 10.1182/blood.2023019876): not found",
        "citation 8 (DOI 10.1016/s2352-3026(24)00089-1): not found",
    ]


def test_spans_point_at_the_citations_and_figures_in_the_text(
    sqlite_engine: Engine, sqlite_url: str, server: SearchReplay, seed_text: str
) -> None:
    report = run(sqlite_engine, settings_for(server, sqlite_url), seed_text)
    first = report.citations[0]
    start, end = first.citation.span
    assert seed_text[start:end].startswith("参考论文:《Umbilical cord mesenchymal")
    assert seed_text[start:end].endswith("DOI:10.1200/JCO.24.02356)")
    lancet = report.citations[7].citation
    assert seed_text[lancet.span[0] : lancet.span[1]].endswith("00089-1)")
    for item in report.citations:
        for figure in item.figures:
            assert figure.span is not None
            assert seed_text[figure.span[0] : figure.span[1]] == figure.text
            low, high = item.citation.passage_span
            assert low <= figure.span[0] < figure.span[1] <= high


def test_what_was_fetched_is_found_at_home_the_second_time(
    sqlite_engine: Engine, sqlite_url: str, server: SearchReplay, seed_text: str
) -> None:
    settings = settings_for(server, sqlite_url)
    first = run(sqlite_engine, settings, seed_text)
    server.requests.clear()
    again = run(sqlite_engine, settings, seed_text, online=False)
    assert verdicts(again) == verdicts(first)
    assert [item.work_id for item in again.citations] == [item.work_id for item in first.citations]
    assert server.requests == []
    offline_fresh = make_settings(sqlite_url)
    assert verdicts(run(sqlite_engine, offline_fresh, seed_text, online=False)) == verdicts(first)


def test_the_report_is_json(sqlite_engine: Engine, sqlite_url: str, server: SearchReplay,
                            seed_text: str) -> None:  # fmt: skip
    report = run(sqlite_engine, settings_for(server, sqlite_url), seed_text)
    data = json.loads(json.dumps(report.to_json()))
    item = data["citations"][0]
    assert {"kind", "ids", "title", "journal", "year", "span", "verdict", "record", "work_id",
            "figures", "differences", "passage_span"} <= set(item)  # fmt: skip
    assert (item["kind"], item["journal"], item["year"]) == (
        "paper",
        "Journal of Clinical Oncology",
        2025,
    )
    assert item["figures"][0] == {
        "text": "30 例", "kind": "patients", "value": "30", "unit": "count",
        "span": item["figures"][0]["span"], "verdict": "contradicted",
        "source_says": "28 patients",
    }  # fmt: skip
    assert data["summary"]["blocking"] is True


def test_a_source_that_is_down_is_named_and_the_check_goes_on(
    sqlite_engine: Engine, sqlite_url: str, server: SearchReplay, seed_text: str
) -> None:
    settings = settings_for(server, sqlite_url)
    settings = settings.model_copy(
        update={"http": settings.http.model_copy(update={"attempts": 1})}
    )
    server.faults.queue("503", times=1000)
    report = run(sqlite_engine, settings, seed_text)
    assert {str(item.verdict) for item in report.citations} == {"not_found"}
    assert report.errors and all("answered HTTP 503" in error for error in report.errors)
    assert report.errors[0].startswith("doi:10.1200/jco.24.02356: pubmed")
    assert report.to_json()["errors"] == list(report.errors)
    note = report.citations[0].resolution.note
    assert note.startswith("doi:10.1200/jco.24.02356: not in the database; a source could not")
