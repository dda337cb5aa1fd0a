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
from etl.db.models import SourceRecord as SourceRecordRow
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


CLINICIAN_SET = Path(__file__).with_name("clinician_set.jsonl")


def _labelled() -> list[dict]:
    return [json.loads(line) for line in CLINICIAN_SET.read_text().splitlines() if line]


def test_model_beats_the_rules_where_editors_disagree_with_them(tmp_path: Path) -> None:
    """Editors of a clinical digest who exclude preclinical work disagree with the rules in a way
    the words show (mice, xenografts, cell lines): the model learns it, its own held-out verdict
    says it is better, and it is the model that is loaded and used."""
    taxonomy = load_taxonomy(CONFIG / "taxonomy.yaml")
    records = _labelled()
    preclinical = ("animal", "in_vitro")
    examples = [
        (r, r["expected"]["relevant"] and r["expected"]["stage"] not in preclinical)
        for r in records
    ]
    model = train(examples, taxonomy, NOW)
    assert model.metrics["better_than_rules"] is True
    assert model.metrics["model_f1"] >= model.metrics["rules_f1"] + 0.1
    assert model.metrics["held_out"] == len(records)
    path = save(model, tmp_path)
    assert json.loads(path.with_suffix(".json").read_text())["better_than_rules"] is True
    loaded = load_best_model(tmp_path)
    assert loaded is not None and loaded.name == model.name
    classifier = Classifier(taxonomy, loaded)
    mouse = next(r for r in records if r["source_id"] == "43000001")  # TRAIL-MSCs in mice
    labels = classifier.labels({k: v for k, v in mouse.items() if k != "expected"})
    assert labels["model"] == model.name
    assert labels["rule_relevant"] is True and labels["relevant"] is False
    assert labels["relevance"] < 0.5
    trial = next(r for r in records if r["source_id"] == "43000003")  # phase 3 GVHD trial
    kept = classifier.labels({k: v for k, v in trial.items() if k != "expected"})
    assert kept["relevant"] is True and kept["relevance"] > 0.5 and kept["stage"] == "phase3"


def test_a_model_that_only_agrees_with_the_rules_is_not_used(tmp_path: Path) -> None:
    """Decisions that are the rules' own verdicts leave nothing to learn: the measured verdict
    is "not better", and the rules keep deciding."""
    taxonomy = load_taxonomy(CONFIG / "taxonomy.yaml")
    from etl.classify.rules import classify

    records = [r.data for r in parse_efetch(CORPUS)]
    examples = [(d, classify(d, taxonomy)["relevant"]) for d in records]
    model = train(examples, taxonomy, NOW)
    assert model.metrics["rules_f1"] == 1.0
    assert model.metrics["better_than_rules"] is False
    save(model, tmp_path)
    assert load_best_model(tmp_path) is None


def test_a_model_trained_on_other_rule_features_is_not_loaded(tmp_path: Path) -> None:
    """A model saved before the rule features changed would fail on today's labels."""
    taxonomy = load_taxonomy(CONFIG / "taxonomy.yaml")
    records = _labelled()
    examples = [
        (r, r["expected"]["relevant"] and r["expected"]["stage"] not in ("animal", "in_vitro"))
        for r in records
    ]
    meta = save(train(examples, taxonomy, NOW), tmp_path).with_suffix(".json")
    assert load_best_model(tmp_path) is not None
    older = {k: v for k, v in json.loads(meta.read_text()).items() if k != "features"}
    meta.write_text(json.dumps(older))
    assert load_best_model(tmp_path) is None


def test_batch_scores_equal_one_by_one_scores() -> None:
    taxonomy = load_taxonomy(CONFIG / "taxonomy.yaml")
    records = _labelled()[::5]
    examples = [(r, r["expected"]["relevant"]) for r in records]
    model = train(examples, taxonomy, NOW)
    datas = [{k: v for k, v in r.items() if k != "expected"} for r in records[:10]]
    classifier = Classifier(taxonomy, model)
    one_by_one = [classifier.labels(d)["relevance"] for d in datas]
    assert [labels["relevance"] for labels in classifier.labels_many(datas)] == one_by_one


def test_too_few_decisions_is_a_clear_error() -> None:
    import pytest

    from etl.errors import EtlError

    taxonomy = load_taxonomy(CONFIG / "taxonomy.yaml")
    with pytest.raises(EtlError, match="too few to train on"):
        train([({"title": "x"}, True)] * 5, taxonomy, NOW)


def test_demo_works_land_where_a_clinician_puts_them(engine: Engine) -> None:
    """The demo's aplastic anaemia paper is not cancer care, its fat-grafting recurrence paper
    is a safety item, and relevance ranks: the works' scores differ."""
    classifier = Classifier(load_taxonomy(CONFIG / "taxonomy.yaml"))
    ingest_files(engine, "pubmed", [CORPUS], NOW, classifier=classifier)
    records = SourceRecordRow.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(records.c.source_id, classifications.c.relevant, classifications.c.section,
                   classifications.c.relevance)
            .join(classifications, classifications.c.work_id == records.c.work_id)
        ).all()  # fmt: skip
    by_pmid = {row.source_id: row for row in rows}
    aplastic, grafting = by_pmid["41000603"], by_pmid["41000538"]
    assert not aplastic.relevant and aplastic.section is None
    assert grafting.relevant and grafting.section == "safety"
    relevant = [row.relevance for row in rows if row.relevant]
    assert len(set(relevant)) >= len(relevant) // 2
    assert max(row.relevance for row in rows if not row.relevant) < min(relevant)
