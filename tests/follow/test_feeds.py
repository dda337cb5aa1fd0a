"""The archive's Atom feeds, served and written: the issue feed lists each issue's items with
their titles and leads, one feed per topic (section, cancer type, strategy) and one of trial
news hold that topic's items; each is valid Atom to feedparser (no bozo) in both languages,
and the archive and the preferences page link to them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from etl.digest.service import Digest
from etl.web import create_app
from tests.conftest import make_settings
from tests.digest.conftest import FIRST_LOAD, UPDATES, WEEKS, load_demo, publish

KEY = "k" * 32


@pytest.fixture
def site(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[tuple[Digest, FlaskClient]]:
    settings = make_settings(db_url, SECRET_KEY=KEY, **{"paths.var": str(tmp_path / "var")})
    load_demo(engine, settings, tmp_path)
    digest = Digest.open(settings, engine)
    for start in WEEKS:
        digest.build(digest.period(start, FIRST_LOAD), UPDATES)
    for number in (1, 2, 3):
        publish(digest, number)
    yield digest, create_app(settings, digest).test_client()


def parsed(client: FlaskClient, path: str) -> feedparser.FeedParserDict:
    answer = client.get(path)
    assert answer.status_code == 200, path
    assert answer.content_type.startswith("application/atom+xml")
    feed = feedparser.parse(answer.data)
    assert not feed.bozo, (path, feed.get("bozo_exception"))
    return feed


def test_issue_feed_lists_items_with_titles_and_leads(
    site: tuple[Digest, FlaskClient],
) -> None:
    _, client = site
    for path, lang in (("/feed.atom", "zh"), ("/en/feed.atom", "en")):
        feed = parsed(client, path)
        assert len(feed.entries) == 3
        titles = [e.title for e in feed.entries]
        assert len(set(titles)) == 3  # each names its issue
        assert titles[0].startswith("第 3 期：" if lang == "zh" else "Issue 3: ")
        for entry in feed.entries:
            html = entry.content[0].value
            assert entry.content[0].type == "text/html"
            assert html.count("<strong>") >= 1  # each item's title
            assert "<p>" in html
        newest = feed.entries[0].content[0].value
        assert ("撤稿" if lang == "zh" else "Retraction") in newest
        assert "第 4 期 · 1 项" not in newest


def test_topic_feeds_hold_their_topics_items(site: tuple[Digest, FlaskClient]) -> None:
    digest, client = site
    trials = parsed(client, "/feeds/trials.atom")
    assert trials.entries and trials.feed.title.endswith("临床试验动态")
    assert all(e.link.startswith("http://localhost/issues/") for e in trials.entries)
    for path in ("/feeds/glioma.atom", "/en/feeds/glioma.atom"):
        glioma = parsed(client, path)
        assert glioma.entries  # the demo's glioma papers and the retraction of one
        for entry in glioma.entries:
            assert ("胶质瘤" if "/en/" not in path else "Glioma") in entry.content[0].value
    lung = parsed(client, "/en/feeds/lung.atom")
    assert {e.id for e in lung.entries}.isdisjoint({e.id for e in glioma.entries})
    exosome = parsed(client, "/feeds/exosome.atom")
    assert len(exosome.entries) > len(glioma.entries) - 1
    ids = [e.id for e in exosome.entries]
    assert len(ids) == len(set(ids))
    assert client.get("/feeds/gossip.atom").status_code == 404


def test_feeds_are_linked_and_written_to_the_folder(
    site: tuple[Digest, FlaskClient], tmp_path: Path
) -> None:
    digest, client = site
    listing = client.get("/feeds/")
    assert listing.status_code == 200
    assert 'href="/feeds/trials.atom"' in listing.text
    assert 'href="/feeds/lung.atom"' in listing.text and "肺癌" in listing.text
    assert 'href="/en/feeds/exosome.atom"' in client.get("/en/feeds/").text
    assert 'href="/feeds/"' in client.get("/").text
    folder = tmp_path / "archive"
    digest.build_archive(folder)
    for lang_prefix in ("", "en/"):
        feed = feedparser.parse((folder / lang_prefix / "feeds" / "myeloma.atom").read_bytes())
        assert not feed.bozo
        assert feed.feed.links[0].href.startswith("https://")
