"""Scoring predicted labels against expected ones: per-family precision, recall and F1.

Pure functions over (expected, predicted) label pairs, so the CLI, the tests and the model
training all score the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

LIST_FAMILIES = ("cancer_types", "strategies", "msc_sources")


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, expected: bool, predicted: bool) -> None:
        self.tp += expected and predicted
        self.fp += predicted and not expected
        self.fn += expected and not predicted


@dataclass
class Report:
    records: int = 0
    relevance: Score = field(default_factory=Score)
    safety: Score = field(default_factory=Score)
    per_label: dict[str, dict[str, Score]] = field(default_factory=dict)
    stage_right: int = 0
    stage_total: int = 0
    section_right: int = 0
    section_total: int = 0
    probabilities: list[tuple[bool, float]] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)

    def macro_f1(self, family: str) -> float:
        scores = [s for s in self.per_label.get(family, {}).values() if s.tp + s.fn + s.fp]
        return sum(s.f1 for s in scores) / len(scores) if scores else 1.0

    def micro(self, family: str) -> Score:
        total = Score()
        for score in self.per_label.get(family, {}).values():
            total.tp, total.fp, total.fn = (
                total.tp + score.tp,
                total.fp + score.fp,
                total.fn + score.fn,
            )
        return total

    @property
    def stage_accuracy(self) -> float:
        return self.stage_right / self.stage_total if self.stage_total else 1.0

    @property
    def section_accuracy(self) -> float:
        return self.section_right / self.section_total if self.section_total else 1.0

    @property
    def brier(self) -> float:
        """Mean squared error of the relevance probability (0 is perfect, 0.25 is a coin)."""
        values = [(float(truth) - p) ** 2 for truth, p in self.probabilities]
        return sum(values) / len(values) if values else 0.0

    @property
    def distinct_scores(self) -> int:
        return len({p for _, p in self.probabilities})

    def summary(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "records": self.records,
            "relevance": {**_prf(self.relevance), "brier": round(self.brier, 4),
                          "distinct_scores": self.distinct_scores},
            "safety": _prf(self.safety),
            "stage": {"accuracy": round(self.stage_accuracy, 4), "n": self.stage_total},
            "section": {"accuracy": round(self.section_accuracy, 4), "n": self.section_total},
        }  # fmt: skip
        for family in LIST_FAMILIES:
            result[family] = {
                **_prf(self.micro(family)),
                "macro_f1": round(self.macro_f1(family), 4),
            }
        return result


def _prf(score: Score) -> dict[str, float]:
    return {
        "precision": round(score.precision, 4),
        "recall": round(score.recall, 4),
        "f1": round(score.f1, 4),
        "support": score.tp + score.fn,
    }


def evaluate(pairs: Iterable[tuple[str, dict[str, Any], dict[str, Any]]]) -> Report:
    """Score (record id, expected labels, predicted labels) triples."""
    report = Report()
    for record_id, expected, predicted in pairs:
        report.records += 1
        want, got = bool(expected.get("relevant")), bool(predicted.get("relevant"))
        report.relevance.add(want, got)
        if isinstance(predicted.get("relevance"), int | float):
            report.probabilities.append((want, float(predicted["relevance"])))
        if want != got:
            report.misses.append({"id": record_id, "label": "relevant", "expected": want,
                                  "predicted": got})  # fmt: skip
        for family in LIST_FAMILIES:
            if family in expected:
                _score_list(report, record_id, family, expected[family], predicted.get(family))
        if want and "stage" in expected:
            report.stage_total += 1
            if expected["stage"] == predicted.get("stage"):
                report.stage_right += 1
            else:
                report.misses.append({"id": record_id, "label": "stage",
                                      "expected": expected["stage"],
                                      "predicted": predicted.get("stage")})  # fmt: skip
        if want and expected.get("section"):
            report.section_total += 1
            if expected["section"] == predicted.get("section"):
                report.section_right += 1
            else:
                report.misses.append({"id": record_id, "label": "section",
                                      "expected": expected["section"],
                                      "predicted": predicted.get("section")})  # fmt: skip
        if want and "safety" in expected:
            report.safety.add(bool(expected["safety"]), bool(predicted.get("safety")))
            if bool(expected["safety"]) != bool(predicted.get("safety")):
                report.misses.append({"id": record_id, "label": "safety",
                                      "expected": expected["safety"],
                                      "predicted": predicted.get("safety")})  # fmt: skip
    return report


def _score_list(
    report: Report, record_id: str, family: str, expected: list[str], predicted: list[str] | None
) -> None:
    want, got = Counter(expected or []), Counter(predicted or [])
    scores = report.per_label.setdefault(family, {})
    for label in set(want) | set(got):
        scores.setdefault(label, Score()).add(label in want, label in got)
    if set(want) != set(got):
        report.misses.append({"id": record_id, "label": family, "expected": sorted(want),
                              "predicted": sorted(got)})  # fmt: skip
