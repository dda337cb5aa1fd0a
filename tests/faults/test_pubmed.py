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

from etl.replay import FAULT_KINDS, Corpus, ReplayServer
from etl.settings import Settings
from tests.conftest import make_settings
from tests.faults.conftest import (
    FAST_HTTP,
    RATE,
    RETRY_AFTER,
    SLOW,
    Upstream,
    crawl_under_faults,
    load_cursor,
    status,
)

START, END = date(2026, 8, 1), date(2026, 11, 20)
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
RECORDS = 400
CAP = 60  # esearch's window here: 400 records need about eight windows


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


@pytest.mark.slow
def test_faults_at_a_high_rate_lose_nothing_and_store_nothing_twice(
    engine: Engine, db_url: str
) -> None:
    corpus = Corpus.synthetic(RECORDS, START, END)
    with ReplayServer(corpus, cap=CAP) as server:
        server.faults.slow_seconds, server.faults.retry_after = SLOW, RETRY_AFTER
        server.faults.random(RATE, FAULT_KINDS, seed=11)
        crawl_under_faults(
            engine,
            db_url,
            server,
            Upstream.pubmed(corpus),
            "pubmed",
            lambda attempts: settings_for(server, db_url, attempts),
            NOW,
        )
    assert load_cursor(engine, "pubmed") == {"crdt": "2026-11-24", "mdat": "2026-11-24"}
    assert status(db_url).rows["pubmed"]["watermark"] == "crdt 2026-11-24, mdat 2026-11-24"
