"""The PubMed crawl against the replay server: windows, overlap, the esearch cap, history, faults,
and a watermark that is never ahead of what was committed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from etl.pipeline.crawl import RunResult, run_crawl
from etl.replay import Corpus, ReplayServer, synthetic_article
from etl.settings import Settings
from etl.works import store
from tests.conftest import make_settings

START = date(2026, 9, 1)
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def settings_for(server: ReplayServer, db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "sources.pubmed.base_url": server.url,
        "sources.pubmed.requests_per_second": 1000,
        "sources.pubmed.start_date": START.isoformat(),
        "sources.pubmed.batch_size": 50,
        "http.backoff": 0.01,
        "http.backoff_max": 0.05,
        "http.timeout": 2.0,
    }
    values.update(overrides)
    return make_settings(db_url, **values)


def crawl(engine: Engine, settings: Settings, now: datetime = NOW, **kw: Any) -> RunResult:
    (result,) = run_crawl(engine, settings, ["pubmed"], now, **kw)
    return result


def stored_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(store.source_records.c.source_id)).scalars())


def cursor(engine: Engine) -> dict | None:
    with engine.connect() as conn:
        return store.load_cursor(conn, "pubmed")


def params_of(server: ReplayServer, path: str) -> list[dict[str, str]]:
    return [r.params for r in server.requests if r.path.endswith(path)]


@pytest.fixture
def corpus() -> Corpus:
    return Corpus.synthetic(230, START, date(2026, 11, 20))


@pytest.fixture
def server(corpus: Corpus) -> Iterator[ReplayServer]:
    with ReplayServer(corpus) as srv:
        yield srv


def test_first_crawl_fetches_every_record_once(
    engine: Engine, db_url: str, server: ReplayServer, corpus: Corpus
) -> None:
    result = crawl(engine, settings_for(server, db_url))
    assert result.outcome == "ok", result.error
    assert (result.counts.fetched, result.counts.new, result.counts.failed) == (230, 230, 0)
    assert stored_ids(engine) == set(corpus.pmids())
    assert cursor(engine) == {"crdt": "2026-11-24", "mdat": "2026-11-24"}
    (search,) = params_of(server, "esearch.fcgi")
    assert '("2026/09/01"[crdt] : "2026/11/24"[crdt])' in search["term"]
    assert search["usehistory"] == "y"
    assert (search["tool"], search["email"]) == ("mscwatch", "mscwatch-operators@example.org")
    fetches = params_of(server, "efetch.fcgi")
    assert len(fetches) == 5 and all(f["WebEnv"] for f in fetches)
    assert [int(f["retstart"]) for f in fetches] == [0, 50, 100, 150, 200]
    with engine.connect() as conn:
        run = conn.execute(select(store.crawl_runs)).one()
    assert (run.outcome, run.new, run.fetched) == ("ok", 230, 230)


def test_next_crawl_overlaps_and_catches_late_records(
    sqlite_engine: Engine, sqlite_url: str, server: ReplayServer, corpus: Corpus
) -> None:
    settings = settings_for(server, sqlite_url)
    crawl(sqlite_engine, settings)
    # indexed late: created inside the overlap, before the watermark
    corpus.add_raw(
        "41999999", synthetic_article("41999999", date(2026, 11, 20)), date(2026, 11, 20)
    )
    server.requests.clear()
    result = crawl(sqlite_engine, settings, NOW + timedelta(days=2))
    assert (result.counts.new, result.counts.updated) == (1, 0)
    assert result.counts.unchanged == result.counts.fetched - 1
    searches = params_of(server, "esearch.fcgi")
    assert '("2026/11/14"[crdt] : "2026/11/26"[crdt])' in searches[0]["term"]
    assert '("2026/11/14"[mdat] : "2026/11/26"[mdat])' in searches[1]["term"]
    assert cursor(sqlite_engine) == {"crdt": "2026-11-26", "mdat": "2026-11-26"}


def test_window_at_the_cap_is_split_until_each_part_is_under_it(
    engine: Engine, db_url: str, server: ReplayServer, corpus: Corpus
) -> None:
    server.cap = 40
    result = crawl(engine, settings_for(server, db_url, **{"sources.pubmed.search_cap": 40}))
    assert result.outcome == "ok"
    assert stored_ids(engine) == set(corpus.pmids())
    counts = [
        len(corpus.search(crdt=_window(p["term"]))) for p in params_of(server, "esearch.fcgi")
    ]
    leaves = [c for c in counts if c < 40]
    assert sum(leaves) == 230 and len(leaves) >= 6
    assert max(counts) >= 40  # the first, whole window was refused and split


def test_modified_records_are_refetched_so_retractions_arrive(
    sqlite_engine: Engine, sqlite_url: str, server: ReplayServer, corpus: Corpus
) -> None:
    settings = settings_for(server, sqlite_url)
    crawl(sqlite_engine, settings)
    target = corpus.pmids()[-1]  # among the oldest: far outside the create-date overlap
    created = corpus.record(target).crdt
    corpus.replace(
        target,
        synthetic_article(
            target,
            created,
            mdat=date(2026, 11, 25),
            publication_types=("Journal Article", "Retracted Publication"),
            comments=(("RetractionIn", "41999998"),),
        ),
        date(2026, 11, 25),
    )
    server.requests.clear()
    result = crawl(sqlite_engine, settings, NOW + timedelta(days=2))
    assert result.counts.updated == 1 and result.counts.new == 0
    by_id = [p for p in params_of(server, "efetch.fcgi") if "id" in p]
    assert by_id and target in by_id[0]["id"].split(",")
    with sqlite_engine.connect() as conn:
        events = conn.execute(select(store.events.c.type).where(store.events.c.type != "new")).all()
    assert events == [("retracted",)]


def test_expired_history_falls_back_to_post_by_id(
    sqlite_engine: Engine, sqlite_url: str, server: ReplayServer, corpus: Corpus
) -> None:
    server.faults.queue("error_xml", times=1, path="efetch")  # "Unable to obtain query #1"
    settings = settings_for(server, sqlite_url, **{"sources.pubmed.batch_size": 250})
    result = crawl(sqlite_engine, settings)
    assert result.outcome == "ok" and result.counts.new == 230
    posts = [r for r in server.requests if r.method == "POST" and r.path.endswith("efetch.fcgi")]
    assert len(posts) == 1 and len(posts[0].params["id"].split(",")) == 230


def test_ids_not_returned_are_retried_then_reported(
    sqlite_engine: Engine,
    sqlite_url: str,
    server: ReplayServer,
    corpus: Corpus,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ghost = corpus.pmids()[3]
    real_get = corpus.get
    monkeypatch.setattr(corpus, "get", lambda pmid: None if str(pmid) == ghost else real_get(pmid))
    result = crawl(sqlite_engine, settings_for(server, sqlite_url))
    assert result.outcome == "partial"
    assert result.failed_ids == [ghost] and result.counts.failed == 1
    assert result.counts.new == 229
    retries = [p for p in params_of(server, "efetch.fcgi") if p.get("id") == ghost]
    assert len(retries) == 2


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "drop", "truncate", "html", "slow"])
def test_transient_faults_are_retried(
    kind: str, sqlite_engine: Engine, sqlite_url: str, server: ReplayServer
) -> None:
    server.faults.slow_seconds = 1.0
    server.faults.retry_after = "0"
    server.faults.queue(kind, times=2, path="efetch")
    server.faults.queue(kind, times=1, path="esearch")
    result = crawl(sqlite_engine, settings_for(server, sqlite_url, **{"http.timeout": 0.5}))
    assert result.outcome == "ok", result.error
    assert result.counts.new == 230
    assert server.faults.injected[kind] == 3


def test_error_element_in_esearch_is_retried_not_taken_as_empty(
    sqlite_engine: Engine, sqlite_url: str, server: ReplayServer
) -> None:
    server.faults.queue("error_xml", times=1, path="esearch")
    result = crawl(sqlite_engine, settings_for(server, sqlite_url))
    assert result.outcome == "ok" and result.counts.new == 230


def test_retry_after_is_honoured(
    sqlite_engine: Engine, sqlite_url: str, server: ReplayServer
) -> None:
    server.faults.retry_after = "1"
    server.faults.queue("429", times=1, path="esearch")
    crawl(sqlite_engine, settings_for(server, sqlite_url))
    first, second = [r.time for r in server.requests if r.path.endswith("esearch.fcgi")][:2]
    assert second - first >= 0.95


def test_persistent_failure_leaves_the_watermark_and_says_why(
    sqlite_engine: Engine,
    sqlite_url: str,
    server: ReplayServer,
    corpus: Corpus,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings_for(server, sqlite_url, **{"http.attempts": 3})
    crawl(sqlite_engine, settings)
    before = cursor(sqlite_engine)
    corpus.add_raw(
        "41999990", synthetic_article("41999990", date(2026, 11, 25)), date(2026, 11, 25)
    )
    server.faults.queue("503", times=1000)
    with caplog.at_level("WARNING", logger="etl.http"):
        failed = crawl(sqlite_engine, settings, NOW + timedelta(days=2))
    assert failed.outcome == "failed"
    assert "failed after 3 tries; last: answered HTTP 503" in failed.error
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert [m[-7:] for m in retries] == ["(try 1)", "(try 2)"]  # the third try gives up
    assert cursor(sqlite_engine) == before
    with sqlite_engine.connect() as conn:
        run = conn.execute(select(store.crawl_runs).order_by(store.crawl_runs.c.id.desc())).first()
    assert (run.outcome, run.error) == ("failed", failed.error)
    server.faults.clear()
    recovered = crawl(sqlite_engine, settings, NOW + timedelta(days=2))
    assert recovered.outcome == "ok" and recovered.counts.new == 1


def test_failure_midway_keeps_completed_windows_and_a_safe_watermark(
    engine: Engine, db_url: str, server: ReplayServer, corpus: Corpus
) -> None:
    server.cap = 40
    settings = settings_for(server, db_url, **{"sources.pubmed.search_cap": 40, "http.attempts": 2})
    windows: list[str] = []

    def progress(name: str, text: str, total: int | None, counts: Any) -> None:
        if text:
            windows.append(text)
            if len(windows) == 3:
                server.faults.queue("500", times=1000)

    result = crawl(engine, settings, progress=progress)
    assert result.outcome == "failed"
    mark = date.fromisoformat(cursor(engine)["crdt"])
    committed = stored_ids(engine)
    expected = {p for p in corpus.pmids() if corpus.record(p).crdt <= mark}
    assert expected and expected <= committed  # everything up to the watermark is stored
    assert len(committed) < 230
    server.faults.clear()
    assert crawl(engine, settings).outcome == "ok"
    assert stored_ids(engine) == set(corpus.pmids())


def test_query_pubmed_does_not_understand_is_a_failure_not_quiet_news(
    sqlite_engine: Engine, sqlite_url: str, server: ReplayServer
) -> None:
    server.phrase_not_found = {"MSCs[tiab]"}
    result = crawl(sqlite_engine, settings_for(server, sqlite_url))
    assert result.outcome == "failed"
    assert "did not understand the query: PhraseNotFound 'MSCs[tiab]'" in result.error
    assert cursor(sqlite_engine) is None


def test_dry_run_counts_but_writes_nothing(
    sqlite_engine: Engine, sqlite_url: str, server: ReplayServer
) -> None:
    result = crawl(sqlite_engine, settings_for(server, sqlite_url), dry_run=True)
    assert result.counts.new == 230
    assert stored_ids(sqlite_engine) == set() and cursor(sqlite_engine) is None
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(store.crawl_runs)).scalar() == 0


def test_since_recrawls_an_older_range(
    sqlite_engine: Engine, sqlite_url: str, server: ReplayServer
) -> None:
    settings = settings_for(server, sqlite_url, **{"sources.pubmed.start_date": "2026-11-01"})
    first = crawl(sqlite_engine, settings)
    again = crawl(sqlite_engine, settings, since=START)
    assert first.counts.new + again.counts.new == 230
    assert '("2026/09/01"[crdt]' in params_of(server, "esearch.fcgi")[-2]["term"]


def test_rate_limit_without_a_key_is_three_per_second(
    sqlite_engine: Engine, sqlite_url: str, server: ReplayServer
) -> None:
    settings = settings_for(server, sqlite_url, **{"sources.pubmed.requests_per_second": None})
    assert settings.pubmed_rate() == 3.0
    crawl(sqlite_engine, settings)
    times = [r.time for r in server.requests]
    assert len(times) >= 6
    assert_at_most_per_second(times, 3)


def test_api_key_is_sent_and_raises_the_rate(
    sqlite_engine: Engine, sqlite_url: str, server: ReplayServer
) -> None:
    settings = settings_for(
        server, sqlite_url, NCBI_API_KEY="k3y", **{"sources.pubmed.requests_per_second": None}
    )
    assert settings.pubmed_rate() == 10.0
    crawl(sqlite_engine, settings)
    assert all(r.params.get("api_key") == "k3y" for r in server.requests)
    times = [r.time for r in server.requests]
    assert_at_most_per_second(times, 10)
    assert times[-1] - times[0] < (len(times) - 1) / 3  # faster than the keyless limit


def assert_at_most_per_second(times: list[float], limit: int) -> None:
    """The limiter's spacing, as the server saw it, over the whole crawl. (The gap between two
    arrivals jitters with the machine's load; the span of many does not.)"""
    assert len(times) >= 5
    assert times[-1] - times[0] >= 0.95 * (len(times) - 1) / limit


def _window(term: str) -> tuple[date, date]:
    import re

    start, end = re.search(r'"(\d{4}/\d\d/\d\d)"\[crdt\] : "(\d{4}/\d\d/\d\d)"', term).groups()
    return (
        datetime.strptime(start, "%Y/%m/%d").date(),
        datetime.strptime(end, "%Y/%m/%d").date(),
    )
