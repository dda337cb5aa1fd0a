"""The ClinicalTrials.gov crawl against the replay server: paging, the watermark, trial changes as
events, the last-page token quirk, faults, and links to the papers that report the trials."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from etl.demo import DATA
from etl.pipeline.crawl import RunResult, run_crawl
from etl.pipeline.ingest import ingest_files
from etl.replay import ReplayServer
from etl.replay.ctgov import StudyCorpus
from etl.works import store
from etl.works.export import export_works
from tests.conftest import make_settings

STUDIES = DATA / "ctgov" / "studies-2026-autumn.json"
UPDATE = DATA / "ctgov" / "studies-2026-autumn-update.json"
NOW = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


@pytest.fixture
def studies() -> StudyCorpus:
    return StudyCorpus.from_paths([STUDIES])


@pytest.fixture
def server(studies: StudyCorpus) -> Iterator[ReplayServer]:
    with ReplayServer(None, studies=studies) as srv:
        yield srv


def crawl(
    engine: Engine, server: ReplayServer, url: str, now: datetime = NOW, **kw: Any
) -> RunResult:
    settings = make_settings(url, **{
        "sources.ctgov.base_url": server.url + "api/v2/", "sources.ctgov.page_size": 4,
        "sources.ctgov.requests_per_second": 10, "sources.ctgov.start_date": "2026-09-01",
        "http.backoff": 0.01, "http.backoff_max": 0.02, "http.timeout": 2.0, **kw,
    })  # fmt: skip
    (result,) = run_crawl(engine, settings, ["ctgov"], now)
    return result


def test_first_crawl_pages_through_every_study(
    engine: Engine, db_url: str, server: ReplayServer, studies: StudyCorpus
) -> None:
    result = crawl(engine, server, db_url)
    assert result.outcome == "ok", result.error
    assert result.counts.new == len(studies) == 15
    pages = [r.params for r in server.requests if r.path.endswith("/studies")]
    assert (
        len(pages) == 4 and "pageToken" not in pages[0] and all("pageToken" in p for p in pages[1:])
    )
    assert pages[0]["filter.advanced"] == "AREA[LastUpdatePostDate]RANGE[2026-09-01,MAX]"
    assert pages[0]["sort"] == "LastUpdatePostDate:asc"
    with engine.connect() as conn:
        cursor = store.load_cursor(conn, "ctgov")
        news = conn.execute(select(store.events.c.occurred_on).where(store.events.c.type == "new"))
        first_posted = {row[0] for row in news}
    newest = max(s["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]
                 for s in studies.studies())  # fmt: skip
    assert cursor == {"last_update": newest}
    assert all(day < "2026-09-01" or day >= "2026" for day in first_posted)  # registration dates


def test_changed_trials_are_events_and_the_window_overlaps(
    engine: Engine, db_url: str, server: ReplayServer, studies: StudyCorpus
) -> None:
    crawl(engine, server, db_url)
    for study in json.loads(UPDATE.read_text())["studies"]:
        studies.replace(study)
    server.requests.clear()
    later = NOW + timedelta(days=4)
    result = crawl(engine, server, db_url, later)
    assert result.counts.updated == 3 and result.counts.new == 0
    first = server.requests[0].params["filter.advanced"]
    with engine.connect() as conn:
        cursor = store.load_cursor(conn, "ctgov")
        rows = conn.execute(select(store.events).where(store.events.c.type != "new")).all()
    assert (
        first.startswith("AREA[LastUpdatePostDate]RANGE[") and cursor["last_update"] >= "2026-11-22"
    )
    kinds = {row.type for row in rows}
    assert {"status_changed", "results_posted", "stopped"} <= kinds
    status = next(row for row in rows if row.type == "status_changed")
    assert status.data["old"] != status.data["new"] and status.occurred_on >= "2026-11-22"


def test_a_token_on_the_empty_last_page_ends_the_crawl(
    engine: Engine, db_url: str, server: ReplayServer
) -> None:
    server.ctgov_token_on_last_page = True
    result = crawl(engine, server, db_url)
    assert result.outcome == "ok" and result.counts.new == 15
    assert len([r for r in server.requests if r.path.endswith("/studies")]) <= 5 + 3


@pytest.mark.parametrize("kind", ["429", "503", "drop", "truncate", "html"])
def test_faults_on_pages_are_retried(
    kind: str, sqlite_engine: Engine, sqlite_url: str, server: ReplayServer
) -> None:
    server.faults.retry_after = "0"
    server.faults.queue(kind, times=2, path="studies")
    result = crawl(sqlite_engine, server, sqlite_url)
    assert result.outcome == "ok", result.error
    assert result.counts.new == 15 and server.faults.injected[kind] == 2


def test_trials_link_to_the_papers_that_report_them(
    sqlite_engine: Engine, sqlite_url: str, server: ReplayServer
) -> None:
    ingest_files(sqlite_engine, "pubmed", [DATA / "pubmed" / "efetch-2026-autumn.xml"], NOW)
    crawl(sqlite_engine, server, sqlite_url)
    with sqlite_engine.connect() as conn:
        works = list(export_works(conn))
    resolved = [
        link for work in works if work["kind"] == "paper"
        for link in work["links"] if link["type"] == "reports_trial" and link["resolved"]
    ]  # fmt: skip
    assert len(resolved) >= 8


def test_links_read_both_ways(sqlite_engine: Engine, sqlite_url: str, server: ReplayServer) -> None:
    ingest_files(sqlite_engine, "pubmed", [DATA / "pubmed" / "efetch-2026-autumn.xml"], NOW)
    crawl(sqlite_engine, server, sqlite_url)
    with sqlite_engine.connect() as conn:
        works = {w["work_id"]: w for w in export_works(conn)}
    trial = next(w for w in works.values() if w["identifiers"].get("nct") == ["NCT06218473"])
    types = {(link["type"], link.get("incoming", False)) for link in trial["links"]}
    # the trial cites its paper (outgoing), and the paper names the trial (read from this end)
    assert ("reported_by", False) in types and ("reported_by", True) in types
    evidence = {link["evidence"] for link in trial["links"] if link["type"] == "reported_by"}
    assert "trial references" in evidence  # the trial's own list
    assert evidence & {"trial id in the title or abstract", "PubMed DataBankList"}  # the paper's
    paper = next(w for w in works.values() if w["identifiers"].get("pmid") == ["41000052"])
    assert {"reports_trial"} <= {link["type"] for link in paper["links"]}
