"""What a feed body must pass before feedparser sees it, and feed files read like the others."""

from __future__ import annotations

import gzip
import logging
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from etl.pipeline.crawl import run_crawl
from etl.records import Quarantined, SourceRecord
from etl.replay.feeds import FeedServer
from etl.sources import parser_for
from etl.sources.feed import parse as feed_parse
from etl.sources.feed.guard import fix_char_refs
from etl.sources.feed.parse import parse_feed
from tests.conftest import SAMPLES
from tests.pipeline.test_crawl_feed import IJSEM, NOW, settings_for


def rss(items: str, language: str = "en") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>J</title>'
        f"<language>{language}</language>{items}</channel></rss>"
    ).encode()


def test_character_references_beyond_unicode_are_rewritten() -> None:
    assert fix_char_refs(b"&#55357;&#56832;|&#xd83d;&#xde00;") == b"&#x1F600;|&#x1F600;"
    assert fix_char_refs(b"&#xD800;|&#56832;|&#x110000;|&#0;|&#65;") == (
        b"&#xFFFD;|&#xFFFD;|&#xFFFD;|&#xFFFD;|&#65;"
    )


def test_feedparser_raising_is_that_feeds_quarantine_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the rewrite, feedparser's own bug shows: it raises on these references.
    monkeypatch.setattr(feed_parse, "fix_char_refs", lambda body: body)
    body = rss("<item><title>&#x110000;</title><link>https://example.org/1</link></item>")
    (item,) = parse_feed(body, location="feed j")
    assert isinstance(item, Quarantined)
    assert item.reason.startswith("feedparser could not read the feed: ValueError")


def test_an_oversized_body_is_refused_naming_the_setting(
    sqlite_engine: Engine, sqlite_url: str
) -> None:
    with FeedServer() as srv:
        srv.serve("ijsem.xml", IJSEM.read_bytes())
        settings = settings_for(
            sqlite_url, {"ijsem": srv.url + "ijsem.xml"}, **{"sources.feed.max_bytes": 100_000}
        )
        (result,) = run_crawl(sqlite_engine, settings, ["feed"], NOW)
    assert result.outcome == "partial" and result.counts.quarantined == 1
    expected = "larger than the limit of 100,000 bytes ([sources.feed] max_bytes"
    assert expected in result.quarantined[0]


def test_absurd_nesting_is_refused_before_feedparser_and_quickly() -> None:
    body = rss("<item><title>x</title><link>https://example.org/1</link></item>")
    body = body.replace(b"<title>x", b"<title>" + b"<b>" * 3_000_000 + b"x")  # 9 MB
    started = time.perf_counter()
    (item,) = parse_feed(body)
    assert time.perf_counter() - started < 3
    assert isinstance(item, Quarantined) and "nested more than 256 deep" in item.reason


def test_feed_files_may_be_gzipped_and_languages_are_pubmed_codes(tmp_path: Path) -> None:
    plain = SAMPLES / "feeds" / "biorss-microbiologyresearch-ijsem.xml"
    packed = tmp_path / "ijsem.xml.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    read = list(parser_for("feed")(packed))
    assert len(read) == 25 and all(isinstance(r, SourceRecord) for r in read)
    assert read[0].source_id.startswith("ijsem:")
    for code, expected in (("en-US", "eng"), ("zh-cn", "chi"), ("de", "ger"), ("fr-CA", "fre")):
        item = "<item><title>t</title><link>https://example.org/1</link></item>"
        (record,) = parse_feed(rss(item, code))
        assert (record.data["language"], record.data["languages"]) == (expected, [expected])


def test_utf8_declared_latin1_is_read_as_utf8_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = rss("<item><title>Müller: 间充质干细胞</title><link>https://example.org/1</link></item>")
    body = body.replace(b'encoding="utf-8"', b'encoding="ISO-8859-1"')
    with caplog.at_level(logging.WARNING):
        (record,) = parse_feed(body, location="j.xml")
    assert record.data["title"] == "Müller: 间充质干细胞"
    assert "declares encoding 'ISO-8859-1' but its bytes are UTF-8" in caplog.text


def test_files_that_are_not_feeds_are_refused_by_name() -> None:
    esummary = b'<?xml version="1.0"?><eSummaryResult><DocSum><Id>1</Id></DocSum></eSummaryResult>'
    (item,) = parse_feed(esummary)
    assert isinstance(item, Quarantined)
    assert item.reason == (
        "this is E-utilities esummary output (<eSummaryResult>), not an RSS or Atom feed "
        "(<rss>, <rdf:RDF> or <feed>)"
    )
