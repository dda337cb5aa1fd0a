"""The editors' relevance model: TF-IDF words (single words: word pairs doubled the scoring cost and
scored no better on the labelled sets) plus the rule features, a logistic regression.

`train` fits on editors' include/exclude decisions and scores the model and the rules on the same
decisions the model did not see (stratified k-fold: every decision is held out once), so the
verdict `better_than_rules` is measured, never assumed. The model is saved as a file with its
training date and metrics beside it; `load_best_model` only ever returns a model that beat the
rules, so until editors have taught it enough, the rules decide. Where editors disagree with the
rules in a way words can show (they exclude what the rules include, or the reverse), the model
learns it and wins.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from etl.classify.evaluate import Score
from etl.classify.rules import FEATURES, classify
from etl.classify.taxonomy import Taxonomy
from etl.errors import EtlError

MIN_EXAMPLES = 20  # fewer decisions than this cannot say whether the model beats the rules
FOLDS = 5


def model_text(data: Mapping[str, Any]) -> str:
    parts = [data.get("title") or "", data.get("abstract") or ""]
    for name in ("mesh_terms", "keywords", "conditions", "interventions", "publication_types"):
        parts.extend(data.get(name) or [])
    return "\n".join(parts)


def rule_features(labels: Mapping[str, Any]) -> list[float]:
    features = labels.get("features") or {}
    values = [float(features.get(name, 0.0)) for name in FEATURES]
    return [*values, float(labels["relevance"])]


@dataclass
class RelevanceModel:
    name: str
    vectorizer: TfidfVectorizer
    estimator: LogisticRegression
    metrics: dict[str, Any]

    def probabilities(
        self, datas: Sequence[Mapping[str, Any]], rule_labels: Sequence[Mapping[str, Any]]
    ) -> list[float]:
        """Batch scoring: one vectorizer call for many works is what keeps 100,000 in budget."""
        if not datas:
            return []
        features = _features(self.vectorizer, datas, rule_labels)
        return [float(p) for p in self.estimator.predict_proba(features)[:, 1]]

    def probability(self, data: dict[str, Any], rule_labels: dict[str, Any]) -> float:
        return self.probabilities([data], [rule_labels])[0]

    def apply(self, data: dict[str, Any], labels: dict[str, Any], taxonomy: Taxonomy) -> None:
        self.apply_probability(data, labels, taxonomy, self.probability(data, labels))

    def apply_probability(
        self, data: dict[str, Any], labels: dict[str, Any], taxonomy: Taxonomy, probability: float
    ) -> None:
        """Let the model decide relevance; the rules' verdict stays in `rule_relevant`."""
        relevant = probability >= 0.5
        rule_relevant = labels["relevant"]
        if relevant != rule_relevant:
            labels.update(classify(data, taxonomy, relevant=relevant))
        labels["rule_relevant"] = rule_relevant
        labels["relevance"] = round(probability, 4)
        labels["model"] = self.name


def _features(
    vectorizer: TfidfVectorizer,
    datas: Sequence[Mapping[str, Any]],
    labels: Sequence[Mapping[str, Any]],
) -> Any:
    text = vectorizer.transform([model_text(d) for d in datas])
    rules = csr_matrix(np.array([rule_features(item) for item in labels]))
    return hstack([text, rules]).tocsr()


def _fit(
    datas: list[dict[str, Any]], rules: list[dict[str, Any]], answers: list[bool]
) -> tuple[Any, Any]:
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 1), min_df=1, max_features=50_000, sublinear_tf=True
    )
    vectorizer.fit([model_text(d) for d in datas])
    estimator = LogisticRegression(max_iter=2000, class_weight="balanced", C=4.0)
    estimator.fit(_features(vectorizer, datas, rules), answers)
    return vectorizer, estimator


def train(
    examples: list[tuple[dict[str, Any], bool]],
    taxonomy: Taxonomy,
    now: datetime,
    seed: int = 13,
) -> RelevanceModel:
    """Fit on editors' decisions; metrics compare the model with the rules on decisions each
    fold of the model did not see."""
    answers = [bool(relevant) for _, relevant in examples]
    smaller = min(sum(answers), len(answers) - sum(answers))
    if len(examples) < MIN_EXAMPLES or smaller < 2:
        raise EtlError(
            f"{len(examples)} editor decisions ({sum(answers)} include), too few to train on",
            f"the model needs at least {MIN_EXAMPLES}, with both includes and excludes",
        )
    datas = [data for data, _ in examples]
    rules = [classify(data, taxonomy) for data in datas]
    model_score, rules_score = Score(), Score()
    folds = StratifiedKFold(n_splits=min(FOLDS, smaller), shuffle=True, random_state=seed)
    for train_ix, test_ix in folds.split(datas, answers):
        vectorizer, estimator = _fit(
            [datas[i] for i in train_ix], [rules[i] for i in train_ix],
            [answers[i] for i in train_ix],
        )  # fmt: skip
        test = _features(vectorizer, [datas[i] for i in test_ix], [rules[i] for i in test_ix])
        for i, guess in zip(test_ix, estimator.predict(test), strict=True):
            model_score.add(answers[i], bool(guess))
            rules_score.add(answers[i], bool(rules[i]["relevant"]))
    vectorizer, estimator = _fit(datas, rules, answers)
    metrics = {
        "trained_at": now.isoformat(),
        "examples": len(examples),
        "held_out": len(examples),
        "folds": folds.get_n_splits(),
        "taxonomy": taxonomy.version,
        "model_f1": round(model_score.f1, 4),
        "rules_f1": round(rules_score.f1, 4),
        "better_than_rules": model_score.f1 > rules_score.f1,
        "features": list(FEATURES),
    }
    return RelevanceModel(f"relevance-{now:%Y%m%dT%H%M%S}", vectorizer, estimator, metrics)


def save(model: RelevanceModel, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{model.name}.joblib"
    joblib.dump({"vectorizer": model.vectorizer, "estimator": model.estimator}, path)
    path.with_suffix(".json").write_text(json.dumps(model.metrics, indent=2) + "\n")
    return path


def load_best_model(folder: Path) -> RelevanceModel | None:
    """The newest saved model that beat the rules on held-out decisions, if there is one."""
    if not folder.is_dir():
        return None
    for meta in sorted(folder.glob("relevance-*.json"), reverse=True):
        metrics = json.loads(meta.read_text())
        if not metrics.get("better_than_rules"):
            continue
        if metrics.get("features") != list(FEATURES):
            continue  # trained on other rule features: it cannot score today's labels
        parts = joblib.load(meta.with_suffix(".joblib"))
        return RelevanceModel(meta.stem, parts["vectorizer"], parts["estimator"], metrics)
    return None
