"""The editors' relevance model: TF-IDF words plus the rule features, a logistic regression.

`train` fits on editors' include/exclude decisions, holds a quarter back, and scores the model and
the rules on the same held-out decisions. The model is saved as a file with its training date and
metrics beside it; `load_best_model` only ever returns a model that beat the rules, so until
editors have taught it enough, the rules decide.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from etl.classify.evaluate import Score
from etl.classify.rules import classify
from etl.classify.taxonomy import Taxonomy
from etl.errors import EtlError

MIN_EXAMPLES = 20  # fewer decisions than this cannot say whether the model beats the rules


def model_text(data: dict[str, Any]) -> str:
    parts = [data.get("title") or "", data.get("abstract") or ""]
    for name in ("mesh_terms", "keywords", "conditions", "interventions", "publication_types"):
        parts.extend(data.get(name) or [])
    return "\n".join(parts)


def rule_features(labels: dict[str, Any]) -> list[float]:
    return [
        float(labels["relevant"]),
        float(labels["relevance"]),
        float(bool(labels["evidence"].get("relevance.msc"))),
        float(bool(labels["evidence"].get("relevance.cancer"))),
        float(bool(labels["evidence"].get("relevance.exclude"))),
    ]


@dataclass
class RelevanceModel:
    name: str
    vectorizer: TfidfVectorizer
    estimator: LogisticRegression
    metrics: dict[str, Any]

    def probability(self, data: dict[str, Any], rule_labels: dict[str, Any]) -> float:
        features = _features(self.vectorizer, [data], [rule_labels])
        return float(self.estimator.predict_proba(features)[0, 1])

    def apply(self, data: dict[str, Any], labels: dict[str, Any], taxonomy: Taxonomy) -> None:
        """Let the model decide relevance; the rules' verdict stays in `rule_relevant`."""
        probability = self.probability(data, labels)
        relevant = probability >= 0.5
        labels["rule_relevant"] = labels["relevant"]
        if relevant != labels["relevant"]:
            labels.update(classify(data, taxonomy, relevant=relevant))
            labels["rule_relevant"] = not relevant
        labels["relevance"] = round(probability, 3)
        labels["model"] = self.name


def _features(vectorizer: TfidfVectorizer, datas: list[dict], labels: list[dict]) -> Any:
    text = vectorizer.transform([model_text(d) for d in datas])
    rules = csr_matrix(np.array([rule_features(item) for item in labels]))
    return hstack([text, rules]).tocsr()


def train(
    examples: list[tuple[dict[str, Any], bool]],
    taxonomy: Taxonomy,
    now: datetime,
    seed: int = 13,
) -> RelevanceModel:
    """Fit on editors' decisions; metrics compare the model with the rules on held-out ones."""
    labels_of = [bool(relevant) for _, relevant in examples]
    if len(examples) < MIN_EXAMPLES or len(set(labels_of)) < 2:
        raise EtlError(
            f"{len(examples)} editor decisions ({sum(labels_of)} include), too few to train on",
            f"the model needs at least {MIN_EXAMPLES}, with both includes and excludes",
        )
    rules = [classify(data, taxonomy) for data, _ in examples]
    indices = list(range(len(examples)))
    train_ix, test_ix = train_test_split(
        indices, test_size=0.25, random_state=seed, stratify=labels_of
    )
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), min_df=1, max_features=50_000, sublinear_tf=True
    )
    vectorizer.fit([model_text(examples[i][0]) for i in train_ix])
    estimator = LogisticRegression(max_iter=2000, class_weight="balanced", C=4.0)
    pick = lambda ix: ([examples[i][0] for i in ix], [rules[i] for i in ix])  # noqa: E731
    estimator.fit(_features(vectorizer, *pick(train_ix)), [labels_of[i] for i in train_ix])
    predicted = estimator.predict(_features(vectorizer, *pick(test_ix)))
    model_score, rules_score = Score(), Score()
    for i, guess in zip(test_ix, predicted, strict=True):
        model_score.add(labels_of[i], bool(guess))
        rules_score.add(labels_of[i], bool(rules[i]["relevant"]))
    metrics = {
        "trained_at": now.isoformat(),
        "examples": len(examples),
        "held_out": len(test_ix),
        "taxonomy": taxonomy.version,
        "model_f1": round(model_score.f1, 4),
        "rules_f1": round(rules_score.f1, 4),
        "better_than_rules": model_score.f1 > rules_score.f1,
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
        parts = joblib.load(meta.with_suffix(".joblib"))
        return RelevanceModel(meta.stem, parts["vectorizer"], parts["estimator"], metrics)
    return None
