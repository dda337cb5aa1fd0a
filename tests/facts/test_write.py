"""Leads from facts: the sentence plans, the fidelity fallback, the typography of Chinese text."""

from __future__ import annotations

import re

import pytest

from etl.facts.extract import extract, record_text
from etl.facts.model import Facts, Figure
from etl.facts.terms import load_terms
from etl.facts.write import choose, en_lead, zh_lead
from etl.facts.zh import cjk_share, space, tidy

TERMS = load_terms()
ASCII_MARKS_AFTER_CJK = re.compile(r"[\u4e00-\u9fff][,:;()?!]")

RCT = {
    "kind": "paper",
    "title": "Umbilical cord mesenchymal stem cells plus chemotherapy in advanced colorectal"
    " cancer: a randomised phase II trial.",
    "abstract": "METHODS: We randomly assigned 120 patients with advanced colorectal cancer to"
    " FOLFOX plus umbilical cord mesenchymal stem cells or FOLFOX alone.\n\nRESULTS: The objective"
    " response rate was 45% versus 20% (P < 0.001). Median progression-free survival was 9.1"
    " months versus 6.3 months (hazard ratio 0.62). No serious adverse events were attributed to"
    " the cells.\n\nCONCLUSIONS: The combination was active.",
    "publication_types": ["Randomized Controlled Trial", "Clinical Trial, Phase II"],
    "affiliations": ["Department of Oncology, Fudan University Shanghai Cancer Center, Shanghai,"
                     " China."],
}  # fmt: skip


def test_an_rct_reads_like_the_article() -> None:
    facts = extract(RCT)
    lead = zh_lead(facts, TERMS, record_text(RCT))
    assert lead.text == (
        "复旦大学附属肿瘤医院开展的 II 期随机对照试验纳入 120 例晚期结直肠癌患者，"
        "脐带间充质干细胞联合化疗组客观缓解率为 45%（对照组 20%，P<0.001），"
        "无进展生存期为 9.1 个月（对照组 6.3 个月，HR 0.62）；未见严重不良事件。"
    )
    assert lead.rejected == ()


def test_english_lead_from_the_same_facts() -> None:
    lead = en_lead(extract(RCT), TERMS, record_text(RCT))
    assert lead.text.startswith("A phase II randomised controlled trial of 120 patients")
    assert "objective response rate 45% (control 20%, P<0.001)" in lead.text


def test_a_figure_the_record_lacks_is_never_written() -> None:
    facts = extract(RCT)
    wrong = Facts(**{**facts.__dict__, "outcomes": (Figure("orr", "ORR", "54%", "20%"),)})
    lead = zh_lead(wrong, TERMS, record_text(RCT))
    assert "54%" not in lead.text and "120 例" in lead.text
    assert lead.rejected and "54%" in lead.rejected[0][1]


def test_the_count_goes_when_even_it_is_not_in_the_record() -> None:
    facts = Facts(kind="paper", design="single_arm", patients=33, cancer_zh="胃癌")
    lead = zh_lead(facts, TERMS, "Thirty patients with gastric cancer.")
    assert "33" not in lead.text and lead.text.startswith("研究人员的单臂临床试验中，胃癌患者")


def test_nothing_is_guessed() -> None:
    """No institution, no MSC product, no cancer: the lead says only what is there."""
    facts = Facts(kind="paper", design="retrospective", patients=642)
    lead = zh_lead(facts, TERMS, "Records of 642 patients were analysed.")
    assert lead.text == "研究人员回顾分析了 642 例患者。"


def test_choose_takes_the_first_that_passes() -> None:
    chosen = choose(["ORR 54%", "ORR 45%", "ORR"], "ORR was 45 %")
    assert chosen.text == "ORR 45%"
    assert chosen.rejected == (("ORR 54%", "not in the source: 54%"),)


@pytest.mark.parametrize(
    ("raw", "tidy_text"),
    [
        ("纳入120例患者,ORR为45%(对照组20%)", "纳入 120 例患者，ORR 为 45%（对照组 20%）"),
        ("表达TRAIL的细胞:有效;", "表达 TRAIL 的细胞：有效；"),
        ("HR 0.62 (95% CI 0.45-0.85)", "HR 0.62 (95% CI 0.45-0.85)"),  # Latin text keeps its marks
        ("为 超过 90 天", "为超过 90 天"),
        ("法国Université Paris Cité团队", "法国 Université Paris Cité 团队"),
    ],
)
def test_typography(raw: str, tidy_text: str) -> None:
    assert tidy(raw) == tidy_text


def test_space_rule_is_idempotent() -> None:
    text = "中山大学附属第六医院在结直肠癌小鼠模型中发现，P<0.001。"
    assert (
        space(space(text))
        == space(text)
        == "中山大学附属第六医院在结直肠癌小鼠模型中发现，P<0.001。"
    )


def test_cjk_share_counts_chinese_against_latin_letters() -> None:
    assert cjk_share("中文ab") == pytest.approx(0.5)
    assert cjk_share("123 %") == 1.0
