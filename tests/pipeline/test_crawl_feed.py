"""The feed crawl against a loopback feed server: conditional GET, moved, gone and failing feeds,
weekly polling of a PubMed RSS search, and the cursor merge that lets each feed save on its own."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from etl.errors import ConfigError
from etl.pipeline.crawl import RunResult, merge_cursor, run_crawl
from etl.replay.feeds import FeedServer
from etl.settings import Settings
from etl.sources.feed.source import FeedSource
from etl.works import store
from tests.conftest import SAMPLES, make_settings

IJSEM = SAMPLES / "feeds" / "biorss-microbiologyresearch-ijsem.xml"
ZOOL = SAMPLES / "feeds" / "biorss-oup-zoolinnean.xml"
PUBMED_RSS = SAMPLES / "pubmed-rss"
WEEK_1 = PUBMED_RSS / "biorss-pubmed-rss-2021-12-14.xml"
WEEK_2 = PUBMED_RSS / "biorss-pubmed-rss-2021-12-21.xml"
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
MODIFIED = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
SOURCE_LOG = "etl.sources.feed.source"


@pytest.fixture
def srv() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def settings_for(db_url: str, feeds: dict[str, str], **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "sources.feed.enabled": True,
        "sources.feed.feeds": [{"name": name, "url": url} for name, url in feeds.items()],
        "sources.feed.requests_per_second": 20,
        "http.backoff": 0.01,
        "http.backoff_max": 0.02,
        "http.timeout": 2.0,
    }
    return make_settings(db_url, **{**values, **overrides})


def crawl(engine: Engine, settings: Settings, now: datetime = NOW) -> RunResult:
    (result,) = run_crawl(engine, settings, ["feed"], now)
    return result


def feed_state(engine: Engine, name: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        cursor = store.load_cursor(conn, "feed") or {}
    return cursor.get("feeds", {}).get(name)


def stored_ids(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(store.source_records.c.source_id)).scalars()
        return sorted(rows)


def test_first_crawl_stores_the_entries_and_the_validators(
    sqlite_engine: Engine, sqlite_url: str, srv: FeedServer
) -> None:
    srv.serve("ijsem.xml", IJSEM.read_bytes(), etag='"v1"', last_modified=MODIFIED)
    result = crawl(sqlite_engine, settings_for(sqlite_url, {"ijsem": srv.url + "ijsem.xml"}))
    assert result.outcome == "ok", result.error
    assert result.counts.new == result.counts.fetched == 25
    ids = stored_ids(sqlite_engine)
    assert len(ids) == 25 and all(i.startswith("ijsem:") for i in ids)
    assert "ijsem:10.1099/ijsem.0.005019" in ids  # a body with a byte-order mark
    (request,) = srv.requests
    assert "if-none-match" not in request.headers and "if-modified-since" not in request.headers
    assert feed_state(sqlite_engine, "ijsem") == {
        "config_url": srv.url + "ijsem.xml",
        "url": srv.url + "ijsem.xml",
        "etag": '"v1"',
        "last_modified": "Fri, 20 Nov 2026 08:30:00 GMT",
        "disabled": None,
    }


@pytest.mark.parametrize("validators", ["etag", "last_modified", "both"])
def test_second_crawl_sends_the_validators_and_gets_304(
    validators: str, sqlite_engine: Engine, sqlite_url: str, srv: FeedServer
) -> None:
    etag = '"v1"' if validators != "last_modified" else None
    modified = MODIFIED if validators != "etag" else None
    srv.serve("ijsem.xml", IJSEM.read_bytes(), etag=etag, last_modified=modified)
    settings = settings_for(sqlite_url, {"ijsem": srv.url + "ijsem.xml"})
    crawl(sqlite_engine, settings)
    before = feed_state(sqlite_engine, "ijsem")
    srv.requests.clear()
    result = crawl(sqlite_engine, settings, NOW + timedelta(days=1))
    (request,) = srv.requests
    assert request.headers.get("if-none-match") == etag
    expected_since = "Fri, 20 Nov 2026 08:30:00 GMT" if modified else None
    assert request.headers.get("if-modified-since") == expected_since
    assert result.outcome == "ok" and result.counts.as_dict() == dict.fromkeys(
        result.counts.as_dict(), 0
    )
    assert len(stored_ids(sqlite_engine)) == 25 and feed_state(sqlite_engine, "ijsem") == before


@pytest.mark.parametrize("status", [301, 308])
def test_a_permanent_redirect_updates_the_stored_url(
    status: int, sqlite_engine: Engine, sqlite_url: str, srv: FeedServer
) -> None:
    srv.serve("journal/toc.xml", IJSEM.read_bytes())
    srv.redirect("ijsem.xml", to="journal/toc.xml", status=status)
    settings = settings_for(sqlite_url, {"ijsem": srv.url + "ijsem.xml"})
    first = crawl(sqlite_engine, settings)
    assert first.outcome == "ok" and first.counts.new == 25
    assert [r.path for r in srv.requests] == ["/ijsem.xml", "/journal/toc.xml"]
    state = feed_state(sqlite_engine, "ijsem")
    assert state is not None and state["url"] == srv.url + "journal/toc.xml"
    assert state["config_url"] == srv.url + "ijsem.xml"
    srv.requests.clear()
    second = crawl(sqlite_engine, settings, NOW + timedelta(days=1))
    (request,) = srv.requests
    assert request.path == "/journal/toc.xml" and request.headers["if-none-match"] == state["etag"]
    assert second.outcome == "ok" and second.counts.new == 0


def test_since_asks_for_the_whole_feed_again(
    sqlite_engine: Engine, sqlite_url: str, srv: FeedServer
) -> None:
    srv.serve("ijsem.xml", IJSEM.read_bytes(), last_modified=MODIFIED)
    settings = settings_for(sqlite_url, {"ijsem": srv.url + "ijsem.xml"})
    crawl(sqlite_engine, settings)
    srv.requests.clear()
    (result,) = run_crawl(sqlite_engine, settings, ["feed"], NOW, since=NOW.date())
    (request,) = srv.requests
    assert "if-none-match" not in request.headers and "if-modified-since" not in request.headers
    assert result.counts.fetched == result.counts.unchanged == 25


def test_a_temporary_redirect_is_followed_but_not_stored(
    sqlite_engine: Engine, sqlite_url: str, srv: FeedServer
) -> None:
    srv.serve("mirror.xml", IJSEM.read_bytes())
    srv.redirect("ijsem.xml", to="mirror.xml", status=302)
    result = crawl(sqlite_engine, settings_for(sqlite_url, {"ijsem": srv.url + "ijsem.xml"}))
    assert result.outcome == "ok" and result.counts.new == 25
    state = feed_state(sqlite_engine, "ijsem")
    assert state is not None and state["url"] == srv.url + "ijsem.xml"


def test_a_gone_feed_is_disabled_and_later_skipped_while_others_run(
    sqlite_engine: Engine, sqlite_url: str, srv: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    srv.serve("ijsem.xml", IJSEM.read_bytes())
    srv.gone("old.xml")
    feeds = {"old": srv.url + "old.xml", "ijsem": srv.url + "ijsem.xml"}
    settings = settings_for(sqlite_url, feeds)
    with caplog.at_level(logging.ERROR, logger=SOURCE_LOG):
        first = crawl(sqlite_engine, settings)
    assert first.outcome == "ok" and first.counts.new == 25
    (message,) = [r.getMessage() for r in caplog.records if r.name == SOURCE_LOG]
    assert message.startswith("feed old: ") and "410 Gone" in message
    assert "config/sources.toml" in message
    state = feed_state(sqlite_engine, "old")
    assert state is not None and "410 Gone" in state["disabled"]

    srv.requests.clear()
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger=SOURCE_LOG):
        second = crawl(sqlite_engine, settings, NOW + timedelta(days=1))
    assert second.outcome == "ok"
    assert [r.path for r in srv.requests] == ["/ijsem.xml"]  # the gone feed is not asked
    (message,) = [r.getMessage() for r in caplog.records if r.name == SOURCE_LOG]
    assert "feed old: disabled" in message and "config/sources.toml" in message

    srv.serve("new-home.xml", ZOOL.read_bytes())  # the operator fixes its url: the feed runs again
    fixed = settings_for(sqlite_url, {**feeds, "old": srv.url + "new-home.xml"})
    third = crawl(sqlite_engine, fixed, NOW + timedelta(days=2))
    assert third.outcome == "ok" and third.counts.new == 14
    assert feed_state(sqlite_engine, "old")["disabled"] is None  # type: ignore[index]


def test_a_server_error_then_success_is_retried(
    sqlite_engine: Engine, sqlite_url: str, srv: FeedServer
) -> None:
    srv.serve("ijsem.xml", IJSEM.read_bytes())
    srv.fail("ijsem.xml", 500, times=1)
    result = crawl(sqlite_engine, settings_for(sqlite_url, {"ijsem": srv.url + "ijsem.xml"}))
    assert result.outcome == "ok", result.error
    assert result.counts.new == 25 and len(srv.requests_for("ijsem.xml")) == 2


def test_a_missing_feed_fails_the_run_but_the_other_feeds_are_stored(
    sqlite_engine: Engine, sqlite_url: str, srv: FeedServer
) -> None:
    srv.status("typo.xml", 404)
    srv.serve("ijsem.xml", IJSEM.read_bytes())
    feeds = {"broken": srv.url + "typo.xml", "ijsem": srv.url + "ijsem.xml"}
    result = crawl(sqlite_engine, settings_for(sqlite_url, feeds))
    assert result.outcome == "failed" and result.error is not None
    assert result.error.startswith("1 of 2 feeds failed (broken): feed broken: GET ")
    assert "HTTP 404" in result.error
    assert len(stored_ids(sqlite_engine)) == 25 and result.counts.new == 25
    assert feed_state(sqlite_engine, "ijsem") is not None
    assert feed_state(sqlite_engine, "broken") is None
    assert len(srv.requests_for("typo.xml")) == 1  # a 404 is not retried
    with sqlite_engine.connect() as conn:
        run = conn.execute(select(store.crawl_runs)).one()
    assert run.outcome == "failed" and "broken" in run.error and run.new == 25


def test_pubmed_rss_captures_a_week_apart_add_new_records_without_duplicates(
    sqlite_engine: Engine, sqlite_url: str, srv: FeedServer
) -> None:
    srv.serve("rss/search.xml", WEEK_1.read_bytes())
    settings = settings_for(sqlite_url, {"pubmed-msc": srv.url + "rss/search.xml"})
    first = crawl(sqlite_engine, settings)
    assert first.counts.new == 15
    # a new body, so a new ETag: the validator misses
    srv.serve("rss/search.xml", WEEK_2.read_bytes())
    second = crawl(sqlite_engine, settings, NOW + timedelta(days=7))
    assert second.counts.new == 15 and second.counts.updated == 0
    assert srv.requests[-1].headers["if-none-match"] != srv.requests[-2].headers.get(
        "if-none-match"
    )
    # a server that ignores validators
    srv.serve("rss/search.xml", WEEK_2.read_bytes(), conditional=False)
    third = crawl(sqlite_engine, settings, NOW + timedelta(days=8))
    assert third.counts.new == 0 and third.counts.unchanged == 15
    ids = stored_ids(sqlite_engine)
    assert len(ids) == len(set(ids)) == 30
    assert all(i.startswith("pubmed-msc:") for i in ids)


def test_an_unreadable_body_is_quarantined_not_raised(
    sqlite_engine: Engine, sqlite_url: str, srv: FeedServer
) -> None:
    srv.serve("ijsem.xml", b"<html><body><p>Maintenance until 9:00")
    result = crawl(sqlite_engine, settings_for(sqlite_url, {"ijsem": srv.url + "ijsem.xml"}))
    assert result.outcome == "partial" and result.counts.quarantined == 1
    assert "not a well-formed feed" in result.quarantined[0]
    assert result.quarantined[0].startswith(f"feed ijsem {srv.url}ijsem.xml:")
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(store.quarantine)).scalar() == 1


def test_a_missing_feed_table_names_the_config_file() -> None:
    settings = make_settings()
    with pytest.raises(ConfigError) as caught:
        FeedSource(None, settings)
    assert "sources.toml" in caught.value.message and "[sources.feed]" in caught.value.message


def test_merge_cursor_keeps_watermarks_moving_forward_as_before() -> None:
    pubmed = {"crdt": "2026-11-20", "mdat": "2026-11-18"}
    assert merge_cursor(pubmed, {"crdt": "2026-11-10"}) == pubmed  # an older window: kept
    assert merge_cursor(pubmed, {"mdat": "2026-11-24"}) == {**pubmed, "mdat": "2026-11-24"}
    assert merge_cursor(None, {"crdt": "2026-11-24"}) == {"crdt": "2026-11-24"}
    ctgov = {"last_update": "2026-11-22"}
    assert merge_cursor(ctgov, {"last_update": "2026-11-21"}) == ctgov
    assert merge_cursor(ctgov, {"last_update": "2026-11-23"}) == {"last_update": "2026-11-23"}


def test_merge_cursor_replaces_one_feed_and_keeps_the_others() -> None:
    a1 = {"url": "a", "etag": '"z-old"', "last_modified": None, "disabled": None}
    b1 = {"url": "b", "etag": '"b1"', "last_modified": None, "disabled": None}
    stored = {"feeds": {"a": a1, "b": b1}}
    a2 = {**a1, "etag": '"a-new"'}  # an ETag smaller than the old one still replaces it
    merged = merge_cursor(stored, {"feeds": {"a": a2}})
    assert merged == {"feeds": {"a": a2, "b": b1}}
    assert stored == {"feeds": {"a": a1, "b": b1}}  # the stored cursor is not changed in place
    assert merge_cursor(None, {"feeds": {"a": a2}}) == {"feeds": {"a": a2}}
