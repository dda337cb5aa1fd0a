"""Classification in the pipeline: stored with the works, re-run on a new taxonomy, and the
editors' model trained from decisions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from etl.classify.model import load_best_model, save, train
from etl.classify.service import Classifier, classify_works, stale_work_ids
from etl.classify.taxonomy import load_taxonomy
from etl.db.models import Classification
from etl.demo import CORPUS
from etl.pipeline.ingest import ingest_files
from etl.sources.pubmed.parse import parse_efetch
from tests.conftest import CONFIG

NOW = datetime(2026, 11, 24, tzinfo=UTC)
classifications = Classification.__table__


def test_ingest_classifies_what_it_stores(engine: Engine) -> None:
    classifier = Classifier(load_taxonomy(CONFIG / "taxonomy.yaml"))
    ingest_files(engine, "pubmed", [CORPUS], NOW, classifier=classifier)
    with engine.connect() as conn:
        rows = conn.execute(select(classifications)).all()
        assert len(rows) == 47
        relevant = sum(row.relevant for row in rows)
        assert 30 <= relevant <= 42  # the demo holds 8 near misses
        assert stale_work_ids(conn, classifier) == []
        sections = {row.section for row in rows if row.relevant}
    assert {"solid_tumors", "hematologic", "safety"} <= sections


def test_a_changed_taxonomy_makes_every_work_stale(engine: Engine, tmp_path: Path) -> None:
    classifier = Classifier(load_taxonomy(CONFIG / "taxonomy.yaml"))
    ingest_files(engine, "pubmed", [CORPUS], NOW, classifier=classifier)
    changed = tmp_path / "taxonomy.yaml"
    changed.write_text((CONFIG / "taxonomy.yaml").read_text().replace("- medical school\n", ""))
    newer = Classifier(load_taxonomy(changed))
    with engine.begin() as conn:
        stale = stale_work_ids(conn, newer)
        assert len(stale) == 47
        assert classify_works(conn, stale, newer, NOW) == 47
        assert stale_work_ids(conn, newer) == []
        digests = conn.execute(select(func.count(classifications.c.taxonomy_digest.distinct())))
        assert digests.scalar() == 1


def test_model_trains_saves_and_is_used_only_when_better(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(CONFIG / "taxonomy.yaml")
    records = [r.data for r in parse_efetch(CORPUS)]
    # editors agree with the rules except on two works they exclude
    from etl.classify.rules import classify

    examples = [(d, classify(d, taxonomy)["relevant"]) for d in records] * 2
    model = train(examples, taxonomy, NOW)
    assert set(model.metrics) >= {"trained_at", "examples", "model_f1", "rules_f1",
                                  "better_than_rules"}  # fmt: skip
    path = save(model, tmp_path)
    assert path.exists() and json.loads(path.with_suffix(".json").read_text())["examples"] == 94
    meta = path.with_suffix(".json")
    meta.write_text(json.dumps({**model.metrics, "better_than_rules": False}))
    assert load_best_model(tmp_path) is None
    meta.write_text(json.dumps({**model.metrics, "better_than_rules": True}))
    loaded = load_best_model(tmp_path)
    assert loaded is not None and loaded.name == model.name
    labels = Classifier(taxonomy, loaded).labels(records[0])
    assert labels["model"] == model.name and 0 <= labels["relevance"] <= 1


def test_too_few_decisions_is_a_clear_error() -> None:
    import pytest

    from etl.errors import EtlError

    taxonomy = load_taxonomy(CONFIG / "taxonomy.yaml")
    with pytest.raises(EtlError, match="too few to train on"):
        train([({"title": "x"}, True)] * 5, taxonomy, NOW)
