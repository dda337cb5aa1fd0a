"""The editor pages' words: one catalog with the digest's (etl/digest/i18n.py), every key in
both languages, Chinese set with full-width punctuation, and every key a template asks for
present, so no page shows a key or a blank."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from etl.digest.i18n import EDITOR, UI, Words, label

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "web" / "editor"
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,:;?!()]|[,:;?!(][\u4e00-\u9fff]")
ASKED = re.compile(r"""\bt\(\s*'([a-z_]+)'|\bt\.([a-z_]+)\b""")


def test_every_word_has_both_languages_and_chinese_is_full_width() -> None:
    for key, (zh, en) in EDITOR.items():
        assert zh and en, key
        assert not HALF_WIDTH.search(zh), (key, zh)
        assert set(re.findall(r"\{(\w+)\}", zh)) == set(re.findall(r"\{(\w+)\}", en)), key


def test_every_key_a_template_asks_for_is_in_the_catalog() -> None:
    asked = set()
    for path in TEMPLATES.glob("*.html.j2"):
        for literal, attribute in ASKED.findall(path.read_text(encoding="utf-8")):
            if not (literal or attribute).endswith("_"):  # a prefix: t('kind_' ~ row.kind)
                asked.add(literal or attribute)
    asked -= {"get", "lang"}  # Words' own members
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
