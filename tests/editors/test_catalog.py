"""The editor pages' words: one catalog with the digest's (etl/digest/i18n.py), every key in
both languages, Chinese set with full-width punctuation, and every key a template asks for
present, so no page shows a key or a blank."""

from __future__ import annotations

import copy
import pickle
import re
from pathlib import Path

import pytest

from etl.digest.i18n import EDITOR, UI, Words, label

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "web" / "editor"
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,:;?!()]|[,:;?!(][\u4e00-\u9fff]")
FIELDS = re.compile(r"\{(\w+)(?:![rs])?(?::([^}]*))?\}")  # a field, its conversion and format
ASKED = re.compile(r"""\bt\(\s*'([a-z_]+)'|\bt\.([a-z_]+)\b""")


def test_every_word_has_both_languages_and_chinese_is_full_width() -> None:
    for key, (zh, en) in EDITOR.items():
        assert zh and en, key
        assert not HALF_WIDTH.search(zh), (key, zh)
        assert {n for n, _ in FIELDS.findall(zh)} == {n for n, _ in FIELDS.findall(en)}, key


def test_every_key_a_template_asks_for_is_in_the_catalog() -> None:
    asked = set()
    for path in TEMPLATES.glob("*.html.j2"):
        for literal, attribute in ASKED.findall(path.read_text(encoding="utf-8")):
            if not (literal or attribute).endswith("_"):  # a prefix: t('kind_' ~ row.kind)
                asked.add(literal or attribute)
    asked -= {"get", "lang", "problem"}  # Words' own members
    missing = {key for key in asked if key not in EDITOR and key not in UI["zh"]}
    assert not missing
    assert len(asked) > 60


def test_the_editor_words_fall_back_to_the_digests_own() -> None:
    t = Words("zh")
    assert t.archive == UI["zh"]["archive"] == "往期回顾"  # the same word as the issue's
    assert t("highlight") == "研究亮点"
    assert Words("en")("queue_count", n=3) == "3 works"
    assert t.get("verdict_never run", "never run") == "从未运行"
    assert t.get("verdict_new_kind", "new kind") == "new kind"
    with pytest.raises(KeyError):
        label("zh", "no_such_word")


def test_every_value_a_page_names_by_prefix_has_its_words() -> None:
    from etl.db.states import IssueState, Verdict
    from etl.editors import review
    from etl.works.identity import REVERSE

    wanted = (
        [f"st_{s}" for s in (*review.STATES, "include", "exclude")]
        + [f"rel_{r}" for r in review.RELEVANCE]
        + [f"order_{o}" for o in review.ORDERS]
        + [f"issue_state_{s}" for s in IssueState]
        + [f"verdict_{v}" for v in Verdict]
        + [f"link_{kind}" for kind in REVERSE]
        + [f"draft_state_{s}" for s in ("draft", "accepted", "edited", "rejected", "failed")]
        + ["kind_paper", "kind_trial", "edition_zh", "edition_en", "move_up", "move_down"]
    )
    assert [key for key in wanted if key not in EDITOR] == []


# -- what core code reports (etl/problems.py) ----------------------------------------------------

# Latin a Chinese problem may keep: units, formats, a command, a file, and the facts themselves.
KEPT_LATIN = re.compile(r"HTML|KB|Gmail|mailto|http\(s\)|`mscwatch run`|config/sources\.toml")


def test_every_problem_code_has_both_languages_with_the_same_facts() -> None:
    from etl.digest.i18n import PROBLEMS_ZH
    from etl.problems import ENGLISH

    assert set(PROBLEMS_ZH) == set(ENGLISH)
    for code, en in ENGLISH.items():
        zh, catalog_en = EDITOR[code]
        assert catalog_en == en and zh == PROBLEMS_ZH[code], code
        # the same facts, formatted alike (a size to one decimal in both, a date as a date)
        assert sorted(FIELDS.findall(zh)) == sorted(FIELDS.findall(en)), code
        assert not HALF_WIDTH.search(zh), (code, zh)
        assert not re.search(r"[A-Za-z]{3,}", KEPT_LATIN.sub("", FIELDS.sub("", zh))), (code, zh)


def test_a_problem_is_its_english_and_is_worded_from_its_facts_in_chinese() -> None:
    from datetime import UTC, datetime, timedelta

    from etl.ops.health import RunFacts, judge
    from etl.problems import Problem
    from etl.sources.feed.source import FIX

    t = Words("zh")
    size = Problem("guard_html_size", size=120.3 * 1024 / 1024, limit=102.0)
    edition = Problem("guard_in_edition", edition=Problem("edition_of_zh"), problem=size)
    assert edition == "zh edition: HTML is 120.3 KB as sent, over the 102 KB limit (Gmail clips it)"
    assert t.problem(edition) == "中文版：邮件 HTML 为 120.3 KB，超过 102 KB 上限（Gmail 会截断）"
    assert Words("en").problem(edition) == edition
    assert t.problem("a plain text") == "a plain text"
    again = pickle.loads(pickle.dumps(copy.deepcopy(edition)))
    assert (again, again.code, t.problem(again)) == (edition, edition.code, t.problem(edition))

    feeds = tuple(Problem("health_disabled_feed", name=n, reason="410 Gone") for n in "ab")
    gone = Problem("health_disabled", feeds=feeds)
    assert gone == f"feed a: 410 Gone; feed b: 410 Gone; no longer fetched: {FIX}"
    assert t.problem(gone).startswith("订阅源 a：410 Gone；订阅源 b：410 Gone；已停止抓取")
    nowhere = Problem("lookup_nowhere", sources=("isrctn", "ctgov"))
    assert nowhere == "not in the database, nor at isrctn, ctgov"
    assert t.problem(nowhere) == "数据库中没有，isrctn、ctgov 也没有"

    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    news = [now - timedelta(days=3 + i) for i in range(5)]
    runs = [RunFacts(now - timedelta(hours=1), "ok", fetched=10, new=0)]
    stale = judge(runs, now, after_failures=2, news=news).reason
    assert "nothing new since 2026-11-22 (3 days)" in stale and "every 24 hours" in stale
    assert "自 2026-11-22 起没有新内容（已 3 天）" in t.problem(stale)
    assert "至少每 24 小时就有新内容" in t.problem(stale)
