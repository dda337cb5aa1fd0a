"""The quality bar, measured on the labelled evaluation sets (see tests/classify/README.md).

`clinician_set.jsonl` was written and labelled before the rules were tuned on it; the targets
below are the ones the project set. `clinician_heldout.jsonl` was written afterwards; its
strategy and safety misses then showed which classes of wording the rules lacked, so since that
work it is no longer unseen. `clinician_heldout2.jsonl` was written before that work and only its
totals were looked at, until its MSC-source misses guided the source work: it is no longer
unseen either. `clinician_heldout3.jsonl` was written and committed before the source work and
only its totals were looked at: it is the check that the changes generalise. Each set's figures
are asserted at the level reached (README, "Quality"), so a change that loses ground on any of
them fails here. `eval_set.jsonl` is the project's older set (relevance, cancer types, stage and
safety only).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from etl.classify.evaluate import Report, evaluate
from etl.classify.rules import classify
from etl.classify.taxonomy import load_taxonomy
from tests.conftest import CONFIG

HERE = Path(__file__).parent
TAXONOMY = load_taxonomy(CONFIG / "taxonomy.yaml")


def _records(name: str) -> list[dict]:
    return [json.loads(line) for line in (HERE / name).read_text().splitlines() if line.strip()]


def _report(name: str) -> Report:
    records = _records(name)
    return evaluate((r["source_id"], r.pop("expected"), classify(r, TAXONOMY)) for r in records)


@pytest.fixture(scope="module")
def report() -> Report:
    return _report("clinician_set.jsonl")


def test_relevance_f1_is_at_least_095(report: Report) -> None:
    assert report.relevance.f1 >= 0.95, report.summary()["relevance"]


def test_cancer_type_macro_f1_is_at_least_090(report: Report) -> None:
    assert report.macro_f1("cancer_types") >= 0.90, report.summary()["cancer_types"]


def test_stage_accuracy_is_at_least_085(report: Report) -> None:
    assert report.stage_accuracy >= 0.85, report.summary()["stage"]


def test_strategy_and_source_macro_f1_are_at_least_085(report: Report) -> None:
    summary = report.summary()
    for family in ("strategies", "msc_sources"):
        assert summary[family]["support"] >= 100, family  # measured, not "1.000 of nothing"
        assert report.macro_f1(family) >= 0.85, summary[family]


def test_safety_f1_is_at_least_085(report: Report) -> None:
    assert report.safety.f1 >= 0.85, report.summary()["safety"]


def test_development_set_keeps_the_levels_reached(report: Report) -> None:
    # strategies 0.950, sources 0.968, safety 0.918 since the source work (0.896, 0.925, 0.863
    # before the pattern work)
    assert report.macro_f1("strategies") >= 0.94, report.summary()["strategies"]
    assert report.macro_f1("msc_sources") >= 0.95, report.summary()["msc_sources"]
    assert report.safety.f1 >= 0.90, report.summary()["safety"]


def test_relevance_probability_is_calibrated_and_ranks(report: Report) -> None:
    assert report.brier < 0.05
    assert report.distinct_scores >= report.records // 3


@pytest.fixture(scope="module", params=["clinician_heldout.jsonl", "clinician_heldout2.jsonl",
                                        "clinician_heldout3.jsonl"])  # fmt: skip
def held_out(request: pytest.FixtureRequest) -> Report:
    return _report(request.param)


def test_held_out_sets_keep_relevance_cancer_types_and_stage(held_out: Report) -> None:
    assert held_out.relevance.f1 >= 0.95, held_out.summary()["relevance"]
    assert held_out.macro_f1("cancer_types") >= 0.90, held_out.summary()["cancer_types"]
    assert held_out.stage_accuracy >= 0.90, held_out.summary()["stage"]


def test_held_out_sets_meet_the_strategy_source_and_safety_targets(held_out: Report) -> None:
    summary = held_out.summary()
    assert summary["strategies"]["support"] >= 40 and summary["msc_sources"]["support"] >= 29
    for family in ("strategies", "msc_sources"):
        assert held_out.macro_f1(family) >= 0.85, summary[family]
    assert held_out.safety.f1 >= 0.85, summary["safety"]


def test_held_out_sets_keep_the_levels_reached() -> None:
    # measured (strategies, sources, safety): 0.932, 0.990, 1.000; 0.930, 1.000, 0.923 (sources
    # 0.846 before the source work); and on the third set, never tuned on, 0.918, 0.976, 0.889
    # (0.894, 0.928, 0.824 with the rules it was written against)
    levels = {
        "clinician_heldout.jsonl": (0.93, 0.99, 1.00),
        "clinician_heldout2.jsonl": (0.92, 0.99, 0.92),
        "clinician_heldout3.jsonl": (0.91, 0.97, 0.88),
    }
    for name, (strategies, sources, safety) in levels.items():
        report = _report(name)
        summary = report.summary()
        assert report.macro_f1("strategies") >= strategies, (name, summary["strategies"])
        assert report.macro_f1("msc_sources") >= sources, (name, summary["msc_sources"])
        assert report.safety.f1 >= safety, (name, summary["safety"])


def test_older_set_keeps_relevance_and_stage() -> None:
    older = _report("eval_set.jsonl")
    assert older.relevance.f1 >= 0.95 and older.stage_accuracy >= 0.85, older.summary()
    assert older.macro_f1("cancer_types") >= 0.90, older.summary()["cancer_types"]
    assert older.safety.f1 >= 0.84, older.summary()["safety"]  # 0.763 before the safety work


def test_the_set_has_hard_negatives_and_every_family() -> None:
    records = _records("clinician_set.jsonl")
    assert len(records) >= 300
    negatives = [r for r in records if not r["expected"]["relevant"]]
    assert len(negatives) >= 0.45 * len(records)
    assert {r["kind"] for r in records} == {"paper", "trial"}
    relevant = [r["expected"] for r in records if r["expected"]["relevant"]]
    assert {e["stage"] for e in relevant} >= {"in_vitro", "animal", "phase1", "phase1_2",
                                             "phase2", "phase3", "observational", "retrospective",
                                             "review", "case_report"}  # fmt: skip
    families = ("cancer_types", "strategies", "msc_sources", "safety", "section")
    assert all(family in e for e in relevant for family in families)
    counts: dict[str, int] = {}
    for e in relevant:
        for label in e["cancer_types"]:
            counts[label] = counts.get(label, 0) + 1
    assert set(counts) == set(TAXONOMY.labels["cancer_types"]) and min(counts.values()) >= 3


def test_the_third_held_out_set_names_every_source_several_times() -> None:
    records = _records("clinician_heldout3.jsonl")
    counts: dict[str, int] = {}
    for record in records:
        for label in record["expected"]["msc_sources"]:
            counts[label] = counts.get(label, 0) + 1
    assert set(counts) == set(TAXONOMY.labels["msc_sources"]) and min(counts.values()) >= 3
    assert sum(r["kind"] == "trial" for r in records) >= 10
    assert sum(not r["expected"]["relevant"] for r in records) >= 24
