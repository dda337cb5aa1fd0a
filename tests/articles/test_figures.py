"""The figures of a passage held against a record: supported, not in the source, contradicted."""

from __future__ import annotations

from typing import Any

import pytest

from etl.articles.figures import check_figures

PAPER: dict[str, Any] = {
    "kind": "paper",
    "title": "Umbilical cord MSCs in NK/T-cell lymphoma",
    "abstract": (
        "METHODS: Fifteen patients with advanced NK/T-cell lymphoma received 1 × 10<sup>6</sup>"
        " cells/kg with a PD-1 inhibitor.\n\n"
        "RESULTS: Of 15 patients, the objective response rate was 53.3%, and median "
        "progression-free survival was 14 months (historical controls 6 months). Acute GVHD "
        "fell from 65% to 33%. Median age was 46 years. Cartilage volume changed by −1.2%."
    ),
}
TRIAL: dict[str, Any] = {
    "kind": "trial",
    "title": "UC-MSCs with BCMA CAR-T in myeloma",
    "enrollment": 24,
    "phases": ["PHASE3"],
}


def verdicts(passage: str, data: dict[str, Any] | None = PAPER) -> list[tuple[str, str, str]]:
    return [(f.text, f.kind, str(f.verdict)) for f in check_figures(passage, 0, data)]


def test_the_kinds_of_figure_and_their_support() -> None:
    passage = (
        "对 15 例晚期 NKTCL 患者：客观缓解率（ORR）达 53.3%，中位 PFS 延长至 14 个月"
        "（历史对照 6 个月），患者中位年龄 46 岁，剂量 1×10⁶/kg。"
    )
    assert verdicts(passage) == [
        ("15 例", "patients", "supported"),
        ("53.3%", "percent", "supported"),
        ("14 个月", "duration", "supported"),
        ("6 个月", "duration", "supported"),
        ("46 岁", "age", "supported"),
        ("1×10⁶/kg", "dose", "supported"),
    ]


def test_figures_the_record_does_not_hold() -> None:
    assert verdicts("3 例获得完全缓解，随访 18 个月，感染发生率降低 40%。") == [
        ("3 例", "count", "not_in_source"),
        ("18 个月", "duration", "not_in_source"),
        ("40%", "percent", "not_in_source"),
    ]


def test_dates_grades_and_bare_numbers_are_not_figures() -> None:
    assert verdicts("2025年，Ⅲ-Ⅳ度 aGVHD 与≥3级 CRS 均未出现，VAS 评分 8 分，IL-12 与 CD4⁺。") == []


def test_a_patient_count_against_the_study_size() -> None:
    found = check_figures("对 30 例患者，其中 15 例有效。", 0, PAPER)
    assert [(f.text, str(f.verdict), f.source_says) for f in found] == [
        ("30 例", "contradicted", "15 patients"),
        ("15 例", "supported", None),  # only the first count is the study's size
    ]


def test_a_trial_s_enrolment_is_its_size() -> None:
    (figure,) = check_figures("对10例复发难治性MM患者进行治疗。", 0, TRIAL)
    assert (figure.text, str(figure.verdict), figure.source_says) == (
        "10例", "contradicted", "24 patients"
    )  # fmt: skip


def test_an_outcome_with_another_value() -> None:
    found = check_figures("客观缓解率（ORR）达 63.3%。", 0, PAPER)
    assert [(f.text, str(f.verdict), f.source_says) for f in found] == [
        ("63.3%", "contradicted", "53.3%")
    ]


def test_two_figures_of_one_outcome_are_not_guessed_apart() -> None:
    # "从65%降至30%": 30% is not in the record, but which arm it stands for is not plain
    assert verdicts("急性 GVHD 发生率从 65% 降至 30%。") == [
        ("65%", "percent", "supported"),
        ("30%", "percent", "not_in_source"),
    ]


def test_a_negative_figure_keeps_its_sign() -> None:
    assert verdicts("软骨体积变化（−1.2%）。") == [("1.2%", "percent", "supported")]
    assert verdicts("软骨体积变化 1.2%。") == [("1.2%", "percent", "not_in_source")]


def test_without_a_record_nothing_is_supported() -> None:
    assert {v for _, _, v in verdicts("对 15 例患者，ORR 53.3%。", None)} == {"not_in_source"}


@pytest.mark.parametrize("offset", [0, 120])
def test_spans_point_at_the_figure(offset: int) -> None:
    passage = "中位 PFS 延长至14个月，ORR 达 53.3%。"
    text = "x" * offset + passage
    for figure in check_figures(passage, offset, PAPER):
        assert figure.span is not None
        assert text[figure.span[0] : figure.span[1]] == figure.text


def test_an_english_passage() -> None:
    passage = (
        "In 15 patients with advanced NK/T-cell lymphoma, the objective response rate was 63.3% "
        "and median progression-free survival 14 months; median age 46 years."
    )
    found = check_figures(passage, 0, PAPER)
    assert [(f.text, f.kind, str(f.verdict), f.source_says) for f in found] == [
        ("15 patients", "patients", "supported", None),
        ("63.3%", "percent", "contradicted", "53.3%"),
        ("14 months", "duration", "supported", None),
        ("46 years", "age", "supported", None),
    ]
