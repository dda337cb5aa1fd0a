"""Keeping the search index in step: one document per relevant work, written whenever the work's
labels are (etl/classify/service.py calls `update` for every chunk it classifies), so storing,
merging, splitting and reclassifying all leave it current. A work that is no longer relevant,
was merged into another or lost its records leaves the index.

The tables are plain; each database indexes `search_texts.body` its own way (migration 0019):
SQLite keeps an FTS5 table in step by triggers, PostgreSQL a generated tsvector column with a
GIN index. So this module writes the same rows on both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from etl.db.models import Identifier, SearchDocument, SearchTag, SearchText, Work
from etl.search.tokens import document_text

documents = SearchDocument.__table__
texts = SearchText.__table__
tags = SearchTag.__table__
identifiers = Identifier.__table__
works = Work.__table__

# Filter name → label family: the names (and the taxonomy's ids as values) the evidence map
# filters by, so a filtered search and a filtered map share their links' parameters. `phase` is
# the taxonomy's stage (phase1, animal, review…), `status` a registry status in lower case
# (recruiting, completed…) or `retracted`.
FILTERS = {
    "cancer": "cancer_types",
    "strategy": "strategies",
    "source": "msc_sources",
    "phase": "stage",
    "status": "status",
    "kind": "kind",
    "year": "year",
}


@dataclass(frozen=True)
class LabelNames:
    """The words every label id is indexed under: its Chinese and English names, so a search
    for 骨髓瘤 finds an English abstract labelled myeloma. The classifier passes them from the
    taxonomy (which lives above this package)."""

    names: Mapping[str, Mapping[str, tuple[str, ...]]]  # family -> id -> names

    def of(self, family: str, ids: Iterable[str]) -> list[str]:
        table = self.names.get(family, {})
        return [name for label in ids for name in table.get(label, ())]


def kind_of(work_kind: str, data: Mapping[str, Any]) -> str:
    """paper, trial or preprint: the evidence map's kinds."""
    if data.get("preprint"):
        return "preprint"
    return "trial" if work_kind == "trial" else "paper"


def day_of(work: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    """The date a reader places the work at: publication, else first posting or start; a
    partial date ("2026") made whole by a later candidate of the same year or month."""
    found = ""
    for value in (
        work.get("published"),
        data.get("published"),
        data.get("epublished"),
        data.get("first_posted"),
        data.get("start_date"),
        data.get("created"),
    ):
        text = str(value or "")[:10]
        if text and (not found or (text.startswith(found) and len(text) > len(found))):
            found = text
    return found


def update(
    conn: Connection,
    labelled: Sequence[tuple[int, Mapping[str, Any], Mapping[str, Any]]],
    gone: Iterable[int],
    names: LabelNames,
    now: datetime,
) -> int:
    """Rewrite the documents of `labelled` ((work id, newest record, labels)): indexed when the
    labels say relevant, removed otherwise; `gone` are works whose labels were dropped (merged
    away, no record left). Returns how many documents are now indexed."""
    ids = sorted({work_id for work_id, _, _ in labelled} | set(gone))
    if not ids:
        return 0
    for table in (tags, texts, documents):
        conn.execute(delete(table).where(table.c.work_id.in_(ids)))
    relevant = [(w, d, lab) for w, d, lab in labelled if lab.get("relevant")]
    if not relevant:
        return 0
    wanted = [w for w, _, _ in relevant]
    rows = conn.execute(
        select(works.c.id, works.c.kind, works.c.title, works.c.published, works.c.retracted).where(
            works.c.id.in_(wanted), works.c.merged_into.is_(None), works.c.deleted_at.is_(None)
        )
    ).mappings()
    work_rows = {row["id"]: dict(row) for row in rows}
    ids_of: dict[int, list[str]] = {}
    for work_id, scheme, value in conn.execute(
        select(identifiers.c.work_id, identifiers.c.scheme, identifiers.c.value).where(
            identifiers.c.work_id.in_(wanted)
        )
    ):
        ids_of.setdefault(work_id, []).append(f"{scheme} {value}")
    document_rows, text_rows, tag_rows = [], [], []
    for work_id, data, labels in relevant:
        work = work_rows.get(work_id)
        if work is None:
            continue
        document, work_tags = _document(work, data, labels, ids_of.get(work_id, []), names, now)
        text_rows.append({"work_id": work_id, "body": document.pop("body")})
        document_rows.append(document)
        tag_rows += [{"work_id": work_id, "tag": tag} for tag in work_tags]
    if document_rows:
        conn.execute(insert(documents), document_rows)
        conn.execute(insert(texts), text_rows)
    if tag_rows:
        conn.execute(insert(tags), tag_rows)
    return len(document_rows)


def _document(
    work: Mapping[str, Any],
    data: Mapping[str, Any],
    labels: Mapping[str, Any],
    ids: list[str],
    names: LabelNames,
    now: datetime,
) -> tuple[dict[str, Any], list[str]]:
    kind = kind_of(work["kind"], data)
    day = day_of(work, data)
    title = str(data.get("title") or work.get("title") or "")
    label_ids = {
        "cancer_types": list(labels.get("cancer_types") or []),
        "strategies": list(labels.get("strategies") or []),
        "msc_sources": list(labels.get("msc_sources") or []),
        "stage": [labels["stage"]] if labels.get("stage") else [],
    }
    words = [name for family, ids_ in label_ids.items() for name in names.of(family, ids_)]
    body = document_text(
        title,
        str(data.get("vernacular_title") or ""),
        str(data.get("official_title") or ""),
        str(data.get("acronym") or ""),
        str(data.get("abstract") or ""),
        " ".join(str(k) for k in data.get("keywords") or []),
        " ".join(str(c) for c in data.get("conditions") or []),
        " ".join(str(i) for i in data.get("interventions") or []),
        " ".join(ids),
        " ".join(words),
    )
    work_tags = [f"kind:{kind}"]
    if day[:4].isdigit():
        work_tags.append(f"year:{day[:4]}")
    if data.get("retracted") or work.get("retracted"):
        work_tags.append("status:retracted")
    elif kind == "trial" and data.get("status"):
        work_tags.append(f"status:{str(data['status']).lower()}")
    for name, family in FILTERS.items():
        if family in label_ids:
            work_tags += [f"{name}:{label}" for label in label_ids[family]]
    document = {
        "work_id": work["id"],
        "kind": kind,
        "day": day,
        "title": title,
        "vernacular_title": str(data.get("vernacular_title") or ""),
        "labels": {**label_ids, "section": labels.get("section")},
        "identifiers": sorted(ids),
        "body": body,
        "indexed_at": now,
    }
    return document, sorted(set(work_tags))
