"""A crawl survives what a source's bytes or a bug throw at it: one bad feed entry fails nothing,
one feed's failure is that feed's, and a run that dies for any reason is recorded as failed."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from etl.pipeline.crawl import run_crawl
from etl.replay.feeds import FeedServer
from etl.sources.feed import source as feed_source
from etl.sources.feed.source import FeedSource
from etl.works import store
from tests.pipeline.test_crawl_feed import IJSEM, NOW, settings_for, stored_ids

BAD_REFS = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>J</title>'
    b"<language>en-us</language>"
    b"<item><title>Smile &#55357;&#56832; and &#xD800; and &#x110000; too</title>"
    b"<link>https://example.org/a/1</link><description>MSCs &#xDFFF; in AML</description>"
    b"</item></channel></rss>"
)


@pytest.fixture
def srv() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def runs(engine: Engine) -> list:
    with engine.connect() as conn:
        return list(conn.execute(select(store.crawl_runs)))


def test_character_references_feedparser_chokes_on_do_not_stop_the_crawl(
    sqlite_engine: Engine, sqlite_url: str, srv: FeedServer
) -> None:
    srv.serve("odd.xml", BAD_REFS)
    srv.serve("ijsem.xml", IJSEM.read_bytes())
    feeds = {"odd": srv.url + "odd.xml", "ijsem": srv.url + "ijsem.xml"}
    (result,) = run_crawl(sqlite_engine, settings_for(sqlite_url, feeds), ["feed"], NOW)
    assert result.outcome == "ok", result.error
    assert result.counts.new == 26  # the odd feed's entry, then every entry of the next feed
    with sqlite_engine.connect() as conn:
        row = conn.execute(
            select(store.source_records.c.data).where(
                store.source_records.c.source_id == "odd:https://example.org/a/1"
            )
        ).one()
    data = row.data if isinstance(row.data, dict) else json.loads(row.data)
    assert data["title"] == "Smile 😀 and \ufffd and \ufffd too"
    assert data["abstract"] == "MSCs \ufffd in AML"
    assert data["language"] == "eng"  # PubMed's code system, not the feed's "en-us"
    assert len(stored_ids(sqlite_engine)) == 26


def test_a_bug_met_on_one_feed_fails_that_feed_and_the_others_are_stored(
    sqlite_engine: Engine, sqlite_url: str, srv: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    srv.serve("first.xml", BAD_REFS)
    srv.serve("ijsem.xml", IJSEM.read_bytes())
    real = feed_source._poll_feed

    def poll(poller, name, state):  # type: ignore[no-untyped-def]
        if name == "first":
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return real(poller, name, state)

    monkeypatch.setattr(feed_source, "_poll_feed", poll)
    feeds = {"first": srv.url + "first.xml", "ijsem": srv.url + "ijsem.xml"}
    (result,) = run_crawl(sqlite_engine, settings_for(sqlite_url, feeds), ["feed"], NOW)
    assert result.outcome == "failed"
    assert result.error is not None and "1 of 2 feeds failed (first)" in result.error
    assert "surrogates not allowed" in result.error
    assert result.counts.new == 25 and len(srv.requests_for("ijsem.xml")) == 1
    (run,) = runs(sqlite_engine)
    assert run.outcome == "failed" and "first" in run.error and run.finished_at is not None


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_run_that_dies_for_any_reason_is_recorded_as_failed_never_running(
    sqlite_engine: Engine,
    sqlite_url: str,
    srv: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
) -> None:
    srv.serve("ijsem.xml", IJSEM.read_bytes())

    def fetch(self, ctx):  # type: ignore[no-untyped-def]
        yield from []
        raise error

    monkeypatch.setattr(FeedSource, "fetch", fetch)
    settings = settings_for(sqlite_url, {"ijsem": srv.url + "ijsem.xml"})
    if isinstance(error, KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            run_crawl(sqlite_engine, settings, ["feed"], NOW)
        (run,) = runs(sqlite_engine)
        assert run.outcome == "failed" and run.error == "interrupted (KeyboardInterrupt)"
        return
    (result,) = run_crawl(sqlite_engine, settings, ["feed"], NOW)
    assert result.outcome == "failed" and result.error == "unexpected RuntimeError: boom"
    (run,) = runs(sqlite_engine)
    assert run.outcome == "failed" and run.error == "unexpected RuntimeError: boom"
    assert run.finished_at is not None
