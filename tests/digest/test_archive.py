"""The static archive: index newest first, issue pages linked both ways, the next issue's
address before and after it exists, a skipped period's page, and the Atom feed."""

from __future__ import annotations

from pathlib import Path

import feedparser
from lxml import html as lxml_html

from etl.digest import feeds
from etl.digest.service import Digest
from etl.evidence.words import CHARTS
from tests.digest.conftest import publish

BASE = "https://mscwatch.example.org/"


def read(folder: Path, path: str):  # type: ignore[no-untyped-def]
    return lxml_html.document_fromstring((folder / path).read_text(encoding="utf-8"))


def test_published_issues_only_newest_first_with_links_both_ways(
    built: Digest, tmp_path: Path
) -> None:
    count = built.build_archive(tmp_path)
    index = read(tmp_path, "index.html")
    links = [a.get("href") for a in index.xpath("//ol[@class='index']//a")]
    assert links == [f"{BASE}issues/2026-11-16/", f"{BASE}issues/2026-11-09/"]  # 3 is a draft
    # issue pages, the pending next page, index and feed; per language the feed list, a feed
    # per section, cancer type and strategy, the evidence map's charts as PNG, and each
    # published issue's own chart in both languages
    topics = len(feeds.topics(built.taxonomy))
    assert topics == 5 + 29 + 8
    assert count == 2 * 3 + 2 * 2 + 2 * (1 + topics) + 2 * len(CHARTS) + 2 * 2
    assert (tmp_path / "issues/2026-11-09/chart.zh.png").read_bytes()[:4] == b"\x89PNG"
    assert not (tmp_path / "issues/2026-11-23/chart.zh.png").exists()  # 3 is a draft
    first = read(tmp_path, "issues/2026-11-09/index.html")
    assert first.xpath("//a[@rel='next']")[0].get("href") == f"{BASE}issues/2026-11-16/"
    assert not first.xpath("//a[@rel='prev']")
    second = read(tmp_path, "issues/2026-11-16/en/index.html")
    assert second.xpath("//a[@rel='prev']")[0].get("href") == f"{BASE}issues/2026-11-09/en/"
    assert "16 November 2026" in second.xpath("//nav[@class='issues']")[0].text_content()


def test_the_next_address_says_when_it_is_due_until_the_issue_exists(
    built: Digest, tmp_path: Path
) -> None:
    built.build_archive(tmp_path / "before")
    pending = read(tmp_path / "before", "issues/2026-11-23/index.html")
    assert (
        "第 3 期尚未发布" in pending.text_content() and "2026年11月30日" in pending.text_content()
    )
    assert pending.xpath("//a[@rel='prev']")[0].get("href") == f"{BASE}issues/2026-11-16/"
    publish(built, 3)
    try:
        built.build_archive(tmp_path / "after")
        now_out = read(tmp_path / "after", "issues/2026-11-23/index.html")
        assert "尚未发布" not in now_out.text_content() and now_out.xpath("//section")
        older = read(tmp_path / "after", "issues/2026-11-16/index.html")
        nav = older.xpath("//nav[@class='issues']")[0].text_content()
        assert "2026年11月30日" in nav and "下一期预计" not in nav
        assert (tmp_path / "after" / "issues" / "2026-11-30" / "index.html").exists()
    finally:
        with built.engine.begin() as conn:
            from etl.digest import store

            store.set_state(conn, built.issue("3")["id"], "draft")


def test_the_atom_feed_lists_issues_with_absolute_links(built: Digest, tmp_path: Path) -> None:
    built.build_archive(tmp_path)
    feed = feedparser.parse((tmp_path / "en" / "feed.atom").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.link for e in feed.entries] == [f"{BASE}issues/2026-11-16/en/",
                                              f"{BASE}issues/2026-11-09/en/"]  # fmt: skip
    assert feed.feed.title == "MSC Oncology Watch"
    assert feed.entries[0].updated.startswith("2026-11-23")


def test_a_skipped_period_leads_on_to_the_next_issue(built: Digest, tmp_path: Path) -> None:
    from etl.digest.archive import Archive

    issues = [
        {**built.issue("1"), "state": "sent"},
        {**built.issue("2"), "state": "sent", "number": 2, "slug": "2026-11-23",
         "period_start": "2026-11-23", "period_end": "2026-11-30"},
    ]  # fmt: skip
    archive = Archive(built.renderer)
    pages = dict(archive.pages(issues, lambda issue: built.content(built.issue("2"))))
    skipped = lxml_html.document_fromstring(pages["issues/2026-11-16/index.html"])
    text = skipped.text_content()
    assert "2026年11月16日 至 2026年11月22日 期间没有新的研究进展" in text
    assert skipped.xpath("//a[@rel='next']")[0].get("href") == f"{BASE}issues/2026-11-23/"
