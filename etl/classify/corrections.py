"""Editors' corrections of a work's labels, laid over what the rules (or the model) said.

A correction is kept as an editor label (training data, like include/exclude) and wins over
every later classification of the work, so `classify rerun` after a taxonomy change does not
undo what an editor fixed by hand. The digest section follows the corrected labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from etl.classify.rules import section_of
from etl.classify.taxonomy import Taxonomy
from etl.db.models import EditorLabel

labels_table = EditorLabel.__table__
# The families of taxonomy ids an editor may correct, and the taxonomy family each takes its
# ids from (stage is one value); safety, a yes or no, can be corrected too.
ID_FAMILIES = {"cancer_types": "cancer_types", "strategies": "strategies",
               "msc_sources": "msc_sources", "stage": "stages"}  # fmt: skip
CORRECTABLE = (*ID_FAMILIES, "safety")


def check(family: str, value: Any, taxonomy: Taxonomy) -> Any:
    """The correction as stored: known ids only, in taxonomy order; a ValueError names what is
    wrong and what is allowed."""
    if family not in CORRECTABLE:
        raise ValueError(f"{family!r} cannot be corrected; allowed: {', '.join(CORRECTABLE)}")
    if family == "safety":
        return bool(value)
    allowed = list(taxonomy.labels[ID_FAMILIES[family]])  # every id: the loader checks
    values = [value] if isinstance(value, str) else list(value or [])
    unknown = [v for v in values if v and v not in allowed]
    if unknown:
        raise ValueError(
            f"{family}: unknown id(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )
    chosen = [v for v in allowed if v in values]
    if family == "stage":
        if len(chosen) > 1:
            raise ValueError("stage: one value at most")
        return chosen[0] if chosen else None
    return chosen


def apply(
    labels: dict[str, Any], corrections: dict[str, Any], data: dict[str, Any], taxonomy: Taxonomy
) -> dict[str, Any]:
    """`labels` with the editors' corrections in place and the section recomputed from them."""
    if not corrections:
        return labels
    fixed = {**labels, **corrections, "corrected": sorted(corrections)}
    if fixed.get("relevant"):
        fixed["section"] = section_of(data, fixed, taxonomy)
    return fixed


def latest(conn: Connection, work_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Each work's newest correction per family."""
    ids = sorted(set(work_ids))
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        query = (
            select(labels_table.c.work_id, labels_table.c.label, labels_table.c.value)
            .where(
                labels_table.c.work_id.in_(ids[start : start + 500]),
                labels_table.c.label.in_(list(CORRECTABLE)),
            )
            .order_by(labels_table.c.created_at, labels_table.c.id)
        )
        for work_id, label, value in conn.execute(query):
            found.setdefault(work_id, {})[label] = value
    return found
