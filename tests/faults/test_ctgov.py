"""A ClinicalTrials.gov crawl while the replay server fails a large share of its requests.

Three hundred studies on twenty-five pages, several sharing each LastUpdatePostDate, so page
boundaries fall inside a day: a run that gives up after a page must not claim that day as done
while the rest of it waits on the next page. Every run is checked against the database, the
failures must show in `crawl_runs` and `mscwatch status`, and a run with enough tries under the
same faults completes the set, each study once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from etl.pipeline.crawl import run_crawl
from etl.replay import FAULT_KINDS, ReplayServer, StudyCorpus
from etl.settings import Settings
from tests.conftest import make_settings
from tests.faults.conftest import (
    FAST_HTTP,
    FEW_TRIES,
    RATE,
    RETRY_AFTER,
    SLOW,
    Upstream,
    check_store,
    crawl_under_faults,
    load_cursor,
    status,
)

START, END = date(2026, 9, 1), date(2026, 11, 20)
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
STUDIES = 300
PAGE = 12


def settings_for(server: ReplayServer, db_url: str, attempts: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "sources.ctgov.base_url": server.ctgov_url,
        "sources.ctgov.page_size": PAGE,
        "sources.ctgov.requests_per_second": 10,  # the most the settings allow
        "sources.ctgov.start_date": START.isoformat(),
        "http.attempts": attempts,
        **FAST_HTTP,
        **overrides,
    }
    return make_settings(db_url, **values)


@pytest.mark.slow
def test_faults_at_a_high_rate_lose_nothing_and_store_nothing_twice(
    engine: Engine, db_url: str
) -> None:
    studies = StudyCorpus.synthetic(STUDIES, START, END)
    with ReplayServer(None, studies=studies) as server:
        server.faults.slow_seconds, server.faults.retry_after = SLOW, RETRY_AFTER
        server.faults.random(RATE, FAULT_KINDS, seed=9)
        crawl_under_faults(
            engine,
            db_url,
            server,
            Upstream.ctgov(studies),
            "ctgov",
            lambda attempts: settings_for(server, db_url, attempts),
            NOW,
        )
    assert load_cursor(engine, "ctgov") == {"last_update": END.isoformat()}
    assert status(db_url).rows["ctgov"]["watermark"] == f"last_update {END.isoformat()}"


@pytest.mark.parametrize("token_on_last_page", [False, True])
def test_a_day_split_across_pages_is_claimed_only_once_all_of_it_is_in(
    engine: Engine, db_url: str, token_on_last_page: bool
) -> None:
    # Twenty studies over five days, three a page: page 2 ends with the first of day 1's
    # studies, and the rest of day 1 is on page 3.
    first = date(2026, 11, 1)
    studies = StudyCorpus.synthetic(20, first, date(2026, 11, 5))
    upstream = Upstream.ctgov(studies)
    with ReplayServer(None, studies=studies) as server:
        server.ctgov_token_on_last_page = token_on_last_page
        settings = settings_for(server, db_url, FEW_TRIES, **{
            "sources.ctgov.page_size": 3, "sources.ctgov.start_date": first.isoformat(),
        })  # fmt: skip
        pages = 0

        def progress(name: str, text: str, total: int | None, counts: Any) -> None:
            nonlocal pages
            if not text:
                pages += 1
                if pages == 2:
                    server.faults.queue("503", times=100)

        (failed,) = run_crawl(engine, settings, ["ctgov"], NOW, progress=progress)
        assert failed.outcome == "failed"
        assert len(check_store(engine, upstream)) == 6
        assert load_cursor(engine, "ctgov") == {"last_update": "2026-11-01"}
        server.faults.clear()
        (done,) = run_crawl(engine, settings, ["ctgov"], NOW)
        assert done.outcome == "ok"
    assert check_store(engine, upstream) == upstream.ids
    assert load_cursor(engine, "ctgov") == {"last_update": "2026-11-05"}
