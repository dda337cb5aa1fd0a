"""Rendering: the house style's pieces in both editions, the size guard, the approval guards,
per-subscriber tokens, and golden files for HTML and text."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from etl.digest import i18n, store
from etl.digest.guards import bad_links, check_rendered, empty_headings
from etl.digest.render import Renderer, personalize
from etl.digest.service import Digest

GOLDEN = Path(__file__).with_name("golden")
CITATION = re.compile(r"论文：《[^《》]+》（《[^《》]+》，\d{4} 年，(?:DOI：10\.\S+|PMID：\d+)）")
TRIAL = re.compile(
    r"临床试验：《[^《》]+》（(?:ClinicalTrials\.gov |ISRCTN |中国临床试验注册中心)注册号：[^）]+）"
)


def content(digest: Digest, number: int):  # type: ignore[no-untyped-def]
    with digest.engine.connect() as conn:
        return store.load_content(conn, store.find_issue(conn, str(number)))


def test_citation_lines_are_exactly_the_house_format() -> None:
    line = i18n.plain(i18n.paper_citation("zh", "Title", "Blood", "2024", "10.1182/b.1", "1"))
    assert line == "论文：《Title》（《Blood》，2024 年，DOI：10.1182/b.1）"
    trial = i18n.plain(i18n.trial_citation("zh", "A trial", "nct", "NCT05432187"))
    assert trial == "临床试验：《A trial》（ClinicalTrials.gov 注册号：NCT05432187）"
    parts = i18n.paper_citation("zh", "Title", "Blood", "2024", "10.1182/b.1", "1")
    assert [p.href for p in parts if p.href] == ["https://doi.org/10.1182/b.1"] * 2
    english = i18n.plain(i18n.paper_citation("en", "Title", "Blood", "2024", None, "123"))
    assert english == "Paper: “Title” (Blood, 2024, PMID: 123)"


def test_numbering_and_dates_follow_the_article() -> None:
    assert [i18n.section_number("zh", n) for n in (1, 2, 10, 11, 20)] == [
        "一、",
        "二、",
        "十、",
        "十一、",
        "二十、",
    ]
    assert i18n.group_number("zh", 2, 3) == "2.3、"
    assert i18n.format_date("zh", "2025-06-09") == "2025年6月9日"
    assert i18n.format_date("en", "2025-06-09") == "9 June 2025"
    assert i18n.phase_label("zh", ["PHASE1", "PHASE2"]) == "I/II 期"


def test_every_item_once_with_its_citation_and_sections_numbered_in_order(built: Digest) -> None:
    issue = content(built, 3)
    zh = built.renderer.email(issue, "zh")
    lines = zh.text.splitlines()
    headings = [line for line in lines if re.match(r"^[一二三四五]、", line)]
    assert [h[0] for h in headings] == list("一二三四五")[: len(headings)]
    assert len(CITATION.findall(zh.text)) + len(TRIAL.findall(zh.text)) == len(issue.items)
    assert "表：本期临床试验一览" in zh.text and "治疗策略 | 代表研究 | 癌种 | 研发阶段" in zh.text
    assert "[撤稿]" in zh.text and "免责说明" in zh.text
    assert "« 上一篇" in zh.text and "下一篇 »" in zh.text
    tree = lxml_html.document_fromstring(zh.html)
    assert [h.text_content() for h in tree.iter("h2")] == headings
    en = built.renderer.email(issue, "en")
    assert "1. Trial updates" in en.text and "Table: trials in this issue" in en.text
    assert "Disclaimer" in en.text and "本期" not in en.text


def test_previous_and_next_links_carry_titles_and_dates(built: Digest) -> None:
    second = built.renderer.email(content(built, 2), "zh")
    first_title = built.renderer.view(content(built, 1), "zh").title
    assert f"« 上一篇 {first_title}（2026年11月16日）" in second.text
    assert "<https://mscwatch.example.org/issues/2026-11-09/>" in second.text
    third = built.renderer.email(content(built, 3), "en")
    due = "Next » next issue due 7 December 2026"
    assert f"{due} <https://mscwatch.example.org/issues/2026-11-30/en/>" in third.text


def test_past_the_size_limit_the_lowest_ranked_items_move_to_the_web(built: Digest) -> None:
    issue = content(built, 1)
    full = built.renderer.email(issue, "zh")
    limit = full.html_bytes - 3000
    tight = Renderer(built.settings, built.taxonomy, limit).email(issue, "zh")
    assert full.more == 0 and tight.more > 0
    assert tight.html_bytes <= limit < full.html_bytes
    assert tight.items + tight.more == full.items
    rank = {row["work_id"]: row["rank"] for row in issue.items}
    kept = [i.work_id for i in full_view_items(built, issue) if i.lead[:40] in tight.text]
    dropped = set(rank) - set(kept)
    assert dropped and max(rank[w] for w in dropped) <= min(rank[w] for w in kept)
    assert "版面所限，另有" in tight.text and issue.issue["slug"] in tight.text
    assert check_rendered(tight, limit) == []
    assert any("over the" in p for p in check_rendered(full, limit))


def full_view_items(digest: Digest, issue):  # type: ignore[no-untyped-def]
    return digest.renderer.view(issue, "zh").items


def test_guards_find_bad_links_and_empty_headings() -> None:
    tree = lxml_html.document_fromstring(
        "<div><h2>一、实体瘤</h2><h3>1.1、肺癌</h3><h2>二、血液肿瘤</h2><p>x</p>"
        '<a href="/issues/1/">rel</a><a href="https://doi.org/10.1/x y">sp</a>'
        '<a href="mailto:editors@example.org">ok</a><a href="https://localhost/">host</a></div>'
    )
    links = bad_links(tree)
    assert len(links) == 3 and "not an absolute" in links[0] and "whitespace" in links[1]
    assert "no proper host" in links[2]
    assert empty_headings(tree) == [
        "heading '一、实体瘤' has nothing under it",
        "heading '1.1、肺癌' has nothing under it",
    ]


def test_topic_sets_filter_items_and_retractions_follow_what_was_sent(built: Digest) -> None:
    """A retraction or correction reaches a reader whose topics hold the work, or who was sent
    the work before (`followed`), not every reader (tests/follow sends it through SMTP)."""
    issue = content(built, 3)
    everything = built.renderer.view(issue, "zh")
    liver_only = built.renderer.view(issue, "zh", frozenset({"liver"}))
    assert 0 < len(liver_only.items) < len(everything.items)
    assert {i.kind for i in liver_only.items} == {"update"}
    notices = {i.work_id for i in everything.items if i.kind in ("retraction", "correction")}
    assert len(notices) == 2
    told = built.renderer.view(issue, "zh", frozenset({"liver"}), None, frozenset(notices))
    assert {i.kind for i in told.items} == {"update", "retraction", "correction"}
    glioma = built.renderer.view(issue, "zh", frozenset({"glioma"}))
    assert {i.kind for i in glioma.items} == {"retraction"}  # the retracted work is a glioma


def test_per_subscriber_tokens_are_the_only_difference(built: Digest) -> None:
    rendered = built.renderer.email(content(built, 2), "zh")
    one = personalize(
        rendered,
        {
            "unsubscribe_url": "https://x.example.org/u/a&b",
            "preferences_url": "https://x.example.org/p/a",
        },
    )
    two = personalize(
        rendered,
        {
            "unsubscribe_url": "https://x.example.org/u/c",
            "preferences_url": "https://x.example.org/p/c",
        },
    )
    assert 'href="https://x.example.org/u/a&amp;b"' in one[0]
    assert "https://x.example.org/u/a&b" in one[1]
    assert "%%" not in one[0] + one[1]
    assert one[0].replace("a&amp;b", "c").replace("/p/a", "/p/c") == two[0]


def test_text_from_the_data_is_escaped(built: Digest) -> None:
    issue = content(built, 2)
    work_id = issue.items[0]["work_id"]
    issue.data[work_id] = {**issue.data[work_id], "title": 'Evil <script>alert("x")</script> & co'}
    rendered = built.renderer.email(issue, "en")
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html


def mask(text: str) -> str:
    """Volatile parts out of a golden comparison (nothing rendered depends on the clock; a
    renderer's version stamp would), and the HTML cut to one tag a line."""
    text = re.sub(r"mjml-python [\d.]+", "mjml-python X", text)
    return re.sub(r">\s*<", ">\n<", text)  # one tag a line: diffs a person can read


@pytest.mark.parametrize("number", [1, 2, 3])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("part", ["html", "text"])
def test_golden_files(built: Digest, number: int, lang: str, part: str) -> None:
    """Each edition of the demo's three issues (a Chinese paper in the first, retraction notices
    in the second, trials and a follow-up in the third): a change to the templates or the view
    shows here as a diff a reviewer can read; run with UPDATE_GOLDEN=1 to accept it."""
    rendered = built.renderer.email(content(built, number), lang)
    got = mask(rendered.html if part == "html" else rendered.text)
    path = GOLDEN / f"issue-{number}.{lang}.{'html' if part == 'html' else 'txt'}"
    if os.environ.get("UPDATE_GOLDEN") or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
        if not os.environ.get("UPDATE_GOLDEN"):
            pytest.fail(f"{path.name} did not exist; written now: review and commit it")
    assert got == path.read_text(encoding="utf-8")
