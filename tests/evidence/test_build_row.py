"""What makes a study a row and which member speaks for it: plain data, no database."""

from __future__ import annotations

from typing import Any

from etl.evidence.rows import Member, build_row
from etl.facts.model import Facts, Figure


def member(work_id: int, kind: str = "paper", stage: str | None = "phase2", **given: Any) -> Member:
    facts = given.pop("facts", Facts(kind=kind))
    values: dict[str, Any] = {
        "work_id": work_id, "kind": kind, "title": f"work {work_id}",
        "identifiers": {"pmid": [str(40000000 + work_id)]}, "published": "2025-03",
        "retracted": False, "labels": {"relevant": True, "stage": stage,
                                       "cancer_types": ["aml"], "strategies": [],
                                       "msc_sources": ["bone_marrow"]},
        "facts": facts,
    }  # fmt: skip
    values.update(given)
    return Member(**values)


def test_laboratory_work_reviews_and_irrelevant_works_make_no_row() -> None:
    assert build_row([member(1, stage="animal"), member(2, stage="in_vitro")]) is None
    assert build_row([member(3, stage="review")]) is None
    assert build_row([member(4, labels={"relevant": False, "stage": "phase2"})]) is None


def test_an_editor_decides_over_the_rules() -> None:
    assert build_row([member(1, decision="exclude")]) is None
    included = build_row([member(2, labels={"relevant": False, "stage": "phase1"},
                                 decision="include")])  # fmt: skip
    assert included is not None and included.phase == "phase1"


def test_the_registration_speaks_for_the_study_and_a_standing_paper_for_its_result() -> None:
    result = Figure(measure="orr", label="objective response rate", value="45%")
    withdrawn = Figure(measure="orr", label="objective response rate", value="90%")
    trial = member(
        10, kind="trial", stage="phase1_2", identifiers={"nct": ["NCT01234567"]},
        facts=Facts(kind="trial", status="RECRUITING", patients=40, sponsor="A Hospital",
                    countries=("China",)),
    )  # fmt: skip
    paper = member(11, facts=Facts(kind="paper", patients=38, outcomes=(result,)))
    retracted = member(12, retracted=True, published="2026-01",
                       facts=Facts(kind="paper", outcomes=(withdrawn,)))  # fmt: skip
    lab = member(13, stage="animal", labels={"relevant": True, "stage": "animal",
                                             "cancer_types": ["glioma"]})  # fmt: skip
    row = build_row([trial, paper, retracted, lab])
    assert row is not None
    assert (row.key, row.kind, row.url) == (
        "NCT01234567",
        "trial",
        "https://clinicaltrials.gov/study/NCT01234567",
    )
    assert (row.status, row.patients, row.sponsor, row.phase) == (
        "RECRUITING",
        40,
        "A Hospital",
        "phase1_2",
    )
    assert row.outcome == result  # not the retracted paper's
    assert row.cancers == ("aml",)  # the animal study's glioma is not a label of the row
    assert row.papers == 2 and row.work_ids == (10, 11, 12, 13)


def test_a_study_of_retracted_papers_only_says_so() -> None:
    row = build_row([member(5, retracted=True)])
    assert row is not None and row.status == "retracted" and row.key == "PMID 40000005"


def test_a_chinese_paper_keeps_its_chinese_title_for_the_chinese_edition() -> None:
    from etl.evidence.load import _chinese

    assert _chinese("脐带间充质干细胞治疗急性髓系白血病") is not None
    assert _chinese("間葉系幹細胞のがん治療") is None  # Japanese
    assert _chinese("Mesenchymale Stammzellen") is None and _chinese(None) is None
    row = build_row([member(1, title_zh="脐带间充质干细胞治疗急性髓系白血病")])
    assert row is not None and row.title_zh == "脐带间充质干细胞治疗急性髓系白血病"
    from etl.classify.taxonomy import load_taxonomy
    from etl.evidence.names import Names
    from etl.facts.terms import load_terms
    from tests.conftest import make_settings

    names = Names(load_taxonomy(make_settings().taxonomy_path), load_terms())
    assert names.cells("zh", row)["title"] == "脐带间充质干细胞治疗急性髓系白血病"
    assert names.cells("en", row)["title"] == "work 1"
