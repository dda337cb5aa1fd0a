"""Fitting the relevance calibration: logistic weights over the rule features.

The rules say yes or no; readers and editors need an order. A logistic regression over the rule
features (the verdict, how much MSC and cancer evidence there is and where, other meanings of
"MSC", non-malignant transplantation) fitted on a labelled set turns them into a probability that
means what it says: of the works scored 0.8, about eight in ten are relevant. The weights live in
the taxonomy (`relevance.calibration`), so the operator can read them and refit them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sklearn.linear_model import LogisticRegression

from etl.classify.rules import FEATURES, classify
from etl.classify.taxonomy import Taxonomy


def fit(records: Iterable[tuple[dict[str, Any], bool]], taxonomy: Taxonomy) -> dict[str, float]:
    """Weights (and `bias`) that turn the rule features of these records into probabilities."""
    rows, answers = [], []
    for data, relevant in records:
        features = classify(data, taxonomy)["features"]
        rows.append([features[name] for name in FEATURES])
        answers.append(bool(relevant))
    model = LogisticRegression(C=1.0, max_iter=1000).fit(rows, answers)
    weights = {name: round(float(w), 3) for name, w in zip(FEATURES, model.coef_[0], strict=True)}
    return {"bias": round(float(model.intercept_[0]), 3), **weights}


def brier(pairs: Iterable[tuple[bool, float]]) -> float:
    """Mean squared distance between the probability and what was true (0 is perfect)."""
    values = [(float(truth) - p) ** 2 for truth, p in pairs]
    return sum(values) / len(values) if values else 0.0
