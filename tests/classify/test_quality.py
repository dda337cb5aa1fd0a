"""The quality bar, measured on the labelled evaluation set (tests/classify/eval_set.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from etl.classify.evaluate import Report, evaluate
from etl.classify.rules import classify
from etl.classify.taxonomy import load_taxonomy
from tests.conftest import CONFIG

EVAL_SET = Path(__file__).with_name("eval_set.jsonl")


@pytest.fixture(scope="module")
def report() -> Report:
    taxonomy = load_taxonomy(CONFIG / "taxonomy.yaml")
    records = [json.loads(line) for line in EVAL_SET.read_text().splitlines() if line.strip()]
    assert len(records) >= 200
    return evaluate((r["source_id"], r.pop("expected"), classify(r, taxonomy)) for r in records)


def test_relevance_f1_is_at_least_095(report: Report) -> None:
    assert report.relevance.f1 >= 0.95, report.summary()["relevance"]


def test_cancer_type_macro_f1_is_at_least_090(report: Report) -> None:
    assert report.macro_f1("cancer_types") >= 0.90, report.summary()["cancer_types"]


def test_stage_accuracy_is_at_least_085(report: Report) -> None:
    assert report.stage_accuracy >= 0.85, report.summary()["stage"]


def test_the_set_has_hard_negatives_and_every_family(report: Report) -> None:
    records = [json.loads(line) for line in EVAL_SET.read_text().splitlines() if line.strip()]
    negatives = [r for r in records if not r["expected"]["relevant"]]
    assert len(negatives) >= 60
    assert {r["kind"] for r in records} == {"paper", "trial"}
    stages = {r["expected"]["stage"] for r in records if r["expected"]["relevant"]}
    assert stages >= {"in_vitro", "animal", "phase1", "phase2", "phase3", "review", "case_report"}
