"""A PubMed crawl while the replay server fails about a third of its requests, every way it can.

Four hundred records over many windows (a small search cap forces splitting) and batches. With
two tries per request the crawl keeps giving up part way, and each of those runs must leave the
database consistent, say why in `crawl_runs` and in `mscwatch status`, and lose nothing: a run
with enough tries, still under the same faults, then completes the set, each record once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from etl.pipeline.crawl import RunResult, run_crawl
from etl.replay import FAULT_KINDS, Corpus, ReplayServer
from etl.settings import Settings
from tests.conftest import make_settings
from tests.faults.conftest import (
    FAST_HTTP,
    RATE,
    RETRY_AFTER,
    SLOW,
    Upstream,
    check_faults_retried,
    check_retry_after,
    check_store,
    fault_share,
    load_cursor,
    runs_of,
    status,
)

START, END = date(2026, 8, 1), date(2026, 11, 20)
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
RECORDS = 400
CAP = 60  # esearch's window here: 400 records need about eight windows
FEW_TRIES = 2
ENOUGH_TRIES = 8


def settings_for(server: ReplayServer, db_url: str, attempts: int) -> Settings:
    values: dict[str, Any] = {
        "sources.pubmed.base_url": server.url,
        "sources.pubmed.requests_per_second": 1000,
        "sources.pubmed.start_date": START.isoformat(),
        "sources.pubmed.batch_size": 25,
        "sources.pubmed.search_cap": CAP,
        "http.attempts": attempts,
        **FAST_HTTP,
    }
    return make_settings(db_url, **values)


def crawl(engine: Engine, settings: Settings) -> RunResult:
    (result,) = run_crawl(engine, settings, ["pubmed"], NOW)
    return result


@pytest.mark.slow
def test_faults_at_a_high_rate_lose_nothing_and_store_nothing_twice(
    engine: Engine, db_url: str
) -> None:
    corpus = Corpus.synthetic(RECORDS, START, END)
    upstream = Upstream.pubmed(corpus)
    with ReplayServer(corpus, cap=CAP) as server:
        server.faults.slow_seconds, server.faults.retry_after = SLOW, RETRY_AFTER
        server.faults.random(RATE, FAULT_KINDS, seed=11)
        few = settings_for(server, db_url, FEW_TRIES)
        failed: list[RunResult] = []
        partway = 0  # failed runs that had committed some windows, but not all
        for _ in range(4):
            before = len(server.requests)
            result = crawl(engine, few)
            check_faults_retried(server.requests[before:], result.outcome == "failed")
            stored = check_store(engine, upstream)
            (*_, run) = runs_of(engine, "pubmed")
            assert (run.outcome, run.error) == (result.outcome, result.error)
            assert run.finished_at is not None
            # Upstream returns every record it lists: one reported missing was an error read
            # as an answer.
            assert result.outcome in ("ok", "failed") and not result.failed_ids, result.line()
            if result.outcome != "failed":
                continue
            assert f"failed after {FEW_TRIES} tries; last: " in result.error
            partway += load_cursor(engine, "pubmed") is not None and stored != upstream.ids
            if not failed:
                shown = status(db_url)
                assert shown.rows["pubmed"]["outcome"] == "failed"
                assert f"pubmed last error: {result.error}" in shown.notes
            failed.append(result)
        assert len(failed) >= 2 and partway >= 1, [r.line() for r in failed]

        # Same faults, enough tries: the rest arrives, nothing twice.
        before = len(server.requests)
        result = crawl(engine, settings_for(server, db_url, ENOUGH_TRIES))
        assert result.outcome == "ok", result.error
        check_faults_retried(server.requests[before:], gave_up=False)
        assert check_store(engine, upstream) == upstream.ids
        assert load_cursor(engine, "pubmed") == {"crdt": "2026-11-24", "mdat": "2026-11-24"}

        faulty = list(server.requests)
        server.faults.clear()
        again = crawl(engine, few)
        assert (again.outcome, again.counts.new, again.counts.updated) == ("ok", 0, 0)
        assert check_store(engine, upstream) == upstream.ids

    assert fault_share(faulty) >= 0.25, fault_share(faulty)
    assert set(server.faults.injected) == set(FAULT_KINDS), server.faults.injected
    assert check_retry_after(faulty) >= 1
    shown = status(db_url)
    assert shown.rows["pubmed"]["outcome"] == "ok"
    assert shown.rows["pubmed"]["watermark"] == "crdt 2026-11-24, mdat 2026-11-24"
