"""The fidelity check sees through spelling and catches changed figures."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.facts.fidelity import check, normalize, unsupported

SOURCE = (
    "METHODS: A total of 120 consecutive patients with advanced colorectal cancer were randomized."
    " Umbilical cord MSCs were infused at 5 × 10<sup>6</sup> cells/kg on day 1."
    " RESULTS: The objective response rate was 45 % versus 20% (P < .001); median PFS was 14.2"
    " months (HR 0.62; 95% CI, 0.45 to 0.85). Grade ≥3 CRS occurred in twelve patients."
    " A 62-year-old man. MRD fell below 10⁻⁴. Registered as NCT05432187 (PMID: 38765432)."
    " doi: 10.1200/JCO.24.02356"
)


@pytest.mark.parametrize(
    "derived",
    [
        "客观缓解率为 45%（对照组 20%）",
        "客观缓解率为４５％（对照组２０％）",  # full-width digits and marks
        "P<0.001",
        "P＜0.001",
        "输注 5×10⁶ 个细胞/kg",
        "输注 5 x 10^6 cells/kg",
        "输注 5\u2009×\u200910<sup>6</sup> cells/kg",
        "纳入 120 例晚期结直肠癌患者",
        "中位无进展生存期 14.2 个月",
        "HR 0.62（95% CI 0.45-0.85）",
        "12 例发生 ≥3 级 CRS",
        "1 例 62 岁男性患者",
        "MRD <10⁻⁴",  # "below" is "<"
        "MRD 低于 10⁻⁴",
        "临床试验 NCT05432187",
        "DOI：10.1200/jco.24.02356",
        "PMID: 38765432",
        "IL-12 与 CD4⁺ T 细胞、4T1 模型",  # numbers inside names are not figures
    ],
)
def test_harmless_differences_pass(derived: str) -> None:
    assert unsupported(derived, SOURCE) == []


@pytest.mark.parametrize(
    ("derived", "flagged"),
    [
        ("客观缓解率为 54%", "54%"),
        ("输注 5×10⁵ 个细胞/kg", "5x10^5 个细胞/kg"),
        ("输注 5 × 106 个细胞/kg", "106 个细胞/kg"),  # a superscript lost in parsing
        ("P=0.001", "0.001"),
        ("P>0.001", ">0.001"),
        ("中位无进展生存期 14.2 天", "14.2 天"),
        ("纳入 121 例患者", "121 例"),
        ("临床试验 NCT05432188", "NCT05432188"),
        ("DOI：10.1200/JCO.24.02357", "10.1200/JCO.24.02357"),
        ("PMID: 38765431", "PMID: 38765431"),
        ("MRD <10⁻⁵", "<10^-5"),
        ("MRD >10⁻⁴", ">10^-4"),
        ("HR 0.26", "0.26"),
        ("纳入 120 mg", "120 mg"),  # the number exists, but not as a dose
    ],
)
def test_changed_figures_fail(derived: str, flagged: str) -> None:
    assert flagged in " ".join(unsupported(derived, SOURCE))


def test_any_of_several_sources_may_hold_a_figure() -> None:
    assert unsupported("入组 60 例，NCT01234567", "Enrollment: 60", "NCT01234567") == []
    assert unsupported("入组 60 例", "Enrollment: 61", "") == ["60 例"]


def test_result_names_the_reason() -> None:
    result = check("ORR 54%，PFS 14.2 个月", SOURCE)
    assert not result.ok
    assert result.unsupported == ("54%",)
    assert "54%" in result.reason
    assert check("ORR 45%", SOURCE).ok and check("ORR 45%", SOURCE).reason == ""


def test_a_text_without_figures_passes_anything() -> None:
    assert unsupported("间充质干细胞抑制肿瘤生长。", "") == []


def test_normalize_keeps_exponents_apart_from_digits() -> None:
    assert "10^6" in normalize("10⁶")
    assert "10^6" in normalize("10<sup>6</sup>")
    assert "10^6" in normalize("10(6)")
    assert normalize("４５％，（") == "45%,("


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "45",
                "0.62",
                "%",
                " ",
                "×",
                "10",
                "^",
                "⁶",
                "<",
                "=",
                "P",
                "例",
                "个月",
                "months",
                "-",
                ".",
                ",",
                "NCT01234567",
                "IL-",
                "中文",
                "（",
                "）",
                "a",
                "twelve",
                "/kg",
                "cells",
            ]
        ),
        max_size=25,
    ).map("".join)
)
def test_every_text_supports_itself(text: str) -> None:
    assert unsupported(text, text) == []
