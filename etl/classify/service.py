"""Classification at the pipeline's edge: which works to (re)classify, and storing their labels."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from etl.classify import corrections
from etl.classify.rules import classify
from etl.classify.taxonomy import Taxonomy, load_taxonomy
from etl.db.models import Classification, SourceRecord, Work
from etl.search import index as search_index
from etl.settings import Settings

classifications = Classification.__table__
source_records = SourceRecord.__table__
works = Work.__table__
CHUNK = 500


class Classifier:
    """The taxonomy's rules, and the editors' model when one is trained and better than them."""

    def __init__(self, taxonomy: Taxonomy, model: Any = None) -> None:
        self.taxonomy = taxonomy
        self.model = model

    @classmethod
    def from_settings(cls, settings: Settings) -> Classifier:
        taxonomy = load_taxonomy(settings.taxonomy_path)
        model = None
        if settings.classify.use_model:
            from etl.classify.model import load_best_model

            model = load_best_model(settings.models_dir)
        return cls(taxonomy, model)

    @property
    def model_name(self) -> str | None:
        return self.model.name if self.model is not None else None

    def labels(self, data: dict[str, Any]) -> dict[str, Any]:
        return self.labels_many([data])[0]

    def labels_many(self, datas: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Labels of many records; the text model scores them in one call."""
        labels = [classify(data, self.taxonomy) for data in datas]
        if self.model is not None:
            scores = self.model.probabilities(datas, labels)
            for data, item, score in zip(datas, labels, scores, strict=True):
                self.model.apply_probability(data, item, self.taxonomy, score)
        return labels


def classify_works(
    conn: Connection, work_ids: Iterable[int], classifier: Classifier, now: datetime
) -> int:
    """(Re)classify these works from their newest live source record; returns how many.

    A work merged away is classified as the work it was merged into (and loses its own labels).
    """
    ids = sorted(set(work_ids))
    if ids:
        merged = conn.execute(
            select(works.c.id, works.c.merged_into).where(
                works.c.id.in_(ids), works.c.merged_into.is_not(None)
            )
        ).all()
        ids = sorted(set(ids) | {kept for _, kept in merged})
    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        fixes = corrections.latest(conn, chunk)
        newest = list(_newest_data(conn, chunk))
        labelled = classifier.labels_many([data for _, data in newest])
        rows = [
            _row(work_id, classifier, corrections.apply(
                labels, fixes.get(work_id, {}), data, classifier.taxonomy
            ), now)
            for (work_id, data), labels in zip(newest, labelled, strict=True)
        ]  # fmt: skip
        conn.execute(delete(classifications).where(classifications.c.work_id.in_(chunk)))
        if rows:
            conn.execute(insert(classifications), rows)
        # The search index follows the labels in the same transaction: a work stored, merged
        # (the merged-away one has no record left), split or reclassified is found as it is now.
        documents = [(row["work_id"], data, row["labels"]) for row, (_, data) in zip(
            rows, newest, strict=True
        )]  # fmt: skip
        have = {work_id for work_id, _ in newest}
        search_index.update(
            conn,
            documents,
            [work_id for work_id in chunk if work_id not in have],
            label_names(classifier.taxonomy),
            now,
        )
        done += len(rows)
    return done


def label_names(taxonomy: Taxonomy) -> search_index.LabelNames:
    """Each label's Chinese and English names, which the search index holds beside the text."""
    families = {"cancer_types": "cancer_types", "strategies": "strategies",
                "msc_sources": "msc_sources", "stage": "stages"}  # fmt: skip
    return search_index.LabelNames(
        {
            family: {
                label_id: (label.zh, label.en)
                for label_id, label in taxonomy.labels.get(source, {}).items()
            }
            for family, source in families.items()
        }
    )


def reindex_search(conn: Connection, taxonomy: Taxonomy, now: datetime) -> int:
    """Every relevant work's search document written again from its stored labels (after the
    index's migration, or when the index's rules change); returns how many are indexed."""
    relevant = list(
        conn.execute(
            select(classifications.c.work_id, classifications.c.labels)
            .where(classifications.c.relevant.is_(True))
            .order_by(classifications.c.work_id)
        )
    )
    still = select(classifications.c.work_id).where(classifications.c.relevant.is_(True))
    for table in (search_index.tags, search_index.texts, search_index.documents):
        conn.execute(delete(table).where(table.c.work_id.not_in(still)))
    names = label_names(taxonomy)
    done = 0
    for start in range(0, len(relevant), CHUNK):
        chunk = relevant[start : start + CHUNK]
        data = dict(_newest_data(conn, [work_id for work_id, _ in chunk]))
        labelled = [(w, data[w], labels) for w, labels in chunk if w in data]
        done += search_index.update(
            conn, labelled, [w for w, _ in chunk if w not in data], names, now
        )
    return done


def search_index_empty(conn: Connection) -> bool:
    """True when relevant works exist but none is indexed: the index has yet to be filled."""
    indexed = conn.execute(select(func.count()).select_from(search_index.documents)).scalar()
    relevant = conn.execute(
        select(func.count()).where(classifications.c.relevant.is_(True))
    ).scalar()
    return not indexed and bool(relevant)


def stale_work_ids(conn: Connection, classifier: Classifier) -> list[int]:
    """Works never classified, or classified with another taxonomy or model."""
    current = select(classifications.c.work_id).where(
        classifications.c.taxonomy_digest == classifier.taxonomy.digest,
        func.coalesce(classifications.c.model, "") == (classifier.model_name or ""),
    )
    query = (
        select(source_records.c.work_id)
        .where(source_records.c.deleted_at.is_(None), source_records.c.work_id.not_in(current))
        .distinct()
    )
    return list(conn.execute(query).scalars())


def all_work_ids(conn: Connection) -> list[int]:
    query = select(source_records.c.work_id).where(source_records.c.deleted_at.is_(None))
    return list(conn.execute(query.distinct()).scalars())


def _newest_data(conn: Connection, work_ids: Sequence[int]) -> Iterator[tuple[int, dict[str, Any]]]:
    query = (
        select(source_records.c.work_id, source_records.c.data)
        .where(source_records.c.work_id.in_(work_ids), source_records.c.deleted_at.is_(None))
        .order_by(source_records.c.work_id, source_records.c.updated_at.desc())
    )
    seen: set[int] = set()
    for work_id, data in conn.execute(query):
        if work_id not in seen:
            seen.add(work_id)
            yield work_id, data


def _row(
    work_id: int, classifier: Classifier, labels: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return {
        "work_id": work_id,
        "relevant": labels["relevant"],
        "relevance": labels["relevance"],
        "section": labels["section"],
        "stage": labels["stage"],
        "safety": labels["safety"],
        "labels": labels,
        "taxonomy_version": classifier.taxonomy.version,
        "taxonomy_digest": classifier.taxonomy.digest,
        "model": classifier.model_name,
        "classified_at": now,
    }
