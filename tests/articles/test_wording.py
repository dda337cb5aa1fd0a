"""The check report in the editor's words: every verdict of `article check` has a Chinese and an
English name, the blocking reasons and the check's own sentences read in Chinese with full-width
marks, and the report's JSON names are left as they are."""

from __future__ import annotations

import pytest

from etl.articles.figures import FigureVerdict
from etl.articles.resolve import Verdict
from etl.articles.wording import (
    blocking_reasons,
    figure_verdict,
    finding,
    source_says,
    verdict,
    version_note,
)
from etl.digest.typography import stray_marks

REPORT = {
    "citations": [
        {
            "ids": {"doi": "10.5555/x"},
            "verdict": "found",
            "figures": [{"text": "85 例", "verdict": "contradicted", "source_says": "58 patients"}],
        },
        {"ids": {}, "title": "A trial nobody holds", "verdict": "not_found", "figures": []},
    ]
}


def test_every_verdict_has_a_name_in_both_languages() -> None:
    zh = {v: verdict("zh", str(v)) for v in Verdict}
    assert zh[Verdict.FOUND] == "已核实" and zh[Verdict.WRONG_STUDY] == "指向其他研究"
    assert zh[Verdict.TRIAL_DISAGREES] == "试验信息不符" and zh[Verdict.RETRACTED] == "已撤稿"
    assert len(set(zh.values())) == len(Verdict)  # no two verdicts read alike
    figures = [figure_verdict("zh", str(v)) for v in FigureVerdict]
    assert figures == ["有据", "原文未见", "与原文矛盾"]
    assert verdict("en", "not_found") == "not found"
    assert figure_verdict("en", "not_in_source") == "not in the source"


def test_blocking_reasons_in_chinese_and_english() -> None:
    zh = blocking_reasons("zh", REPORT)
    assert zh == [
        "引文 1（DOI 10.5555/x）：85 例与原文矛盾（记录为 58 例）",
        "引文 2（A trial nobody holds）：未找到",
    ]
    assert not any(stray_marks(line) for line in zh)
    assert blocking_reasons("en", REPORT) == [
        "citation 1 (DOI 10.5555/x): 85 例 contradicted (the record says 58 patients)",
        "citation 2 (A trial nobody holds): not found",
    ]


@pytest.mark.parametrize(
    ("sentence", "chinese"),
    [
        ("year: the record says 2024", "年份：记录为 2024"),
        ("title: the record says “MSCs for GVHD”", "标题：记录为「MSCs for GVHD」"),
        ("corrected (pmid:41000659)", "有更正（pmid:41000659）"),
        (
            "enrolment: the passage says 40 patients, the record 42 (actual)",
            "入组人数：文中为 40 例，记录为 42 例（actual）",
        ),
        ("PMID 1: not in the database nor the sources", "PMID 1：数据库与各数据源中均未找到"),
        ("something the check may say one day", "something the check may say one day"),
    ],
)
def test_the_checks_sentences_in_chinese(sentence: str, chinese: str) -> None:
    assert finding("zh", sentence) == chinese
    assert finding("en", sentence) == sentence


def test_version_notes_and_what_the_record_says() -> None:
    assert version_note("zh", "drafted from the picked works") == "由选入的研究生成"
    assert version_note("zh", "restored from version 3") == "由第 3 版恢复"
    assert version_note("en", "inserted the citation of NCT1") == "inserted the citation of NCT1"
    assert version_note("zh", "我自己的说明") == "我自己的说明"
    assert source_says("zh", "58 patients") == "58 例" and source_says("zh", "42%") == "42%"
