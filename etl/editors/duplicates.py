"""Probable duplicates for editors: title joins to confirm or split, and merges they ask for.

A title join has already folded the duplicate into the work it matched (so readers never get
the study twice while nobody has looked), and recorded which rows it moved. Showing the pair
side by side is therefore a matter of telling the moved records from the kept work's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from etl.classify.service import Classifier, classify_works
from etl.db.models import SourceRecord, Work, WorkMerge
from etl.digest import store
from etl.works.merge import conflicting, merge_works, split

merges, records, works = WorkMerge.__table__, SourceRecord.__table__, Work.__table__


class DuplicateError(ValueError):
    """An editor's merge or split that cannot be done; the message says why."""


@dataclass
class Side:
    work_id: int
    records: list[dict[str, Any]]  # {source, source_id, title, journal, published, first_author}
    identifiers: dict[str, list[str]]


@dataclass
class Pair:
    merge_id: int
    score: float | None
    created_at: datetime
    kept: Side
    duplicate: Side


def probable(conn: Connection, limit: int = 200) -> list[Pair]:
    """Title joins no editor has confirmed or split yet, newest first."""
    query = (
        select(merges)
        .join(works, works.c.id == merges.c.kept_work_id)
        .where(
            merges.c.probable.is_(True),
            merges.c.undone_at.is_(None),
            works.c.merged_into.is_(None),
        )
        .order_by(merges.c.created_at.desc(), merges.c.id.desc())
        .limit(limit)
    )
    pairs = []
    for merge in conn.execute(query).mappings():
        moved = set((merge["evidence"] or {}).get("moved", {}).get("source_records") or [])
        rows = conn.execute(
            select(records.c.id, records.c.source, records.c.source_id, records.c.data).where(
                records.c.work_id == merge["kept_work_id"], records.c.deleted_at.is_(None)
            )
        ).all()
        kept = [_shown(row) for row in rows if row.id not in moved]
        duplicate = [_shown(row) for row in rows if row.id in moved]
        pairs.append(
            Pair(
                merge_id=merge["id"],
                score=(merge["evidence"] or {}).get("score"),
                created_at=merge["created_at"],
                kept=Side(merge["kept_work_id"], kept, _ids(kept)),
                duplicate=Side(merge["merged_work_id"], duplicate, _ids(duplicate)),
            )
        )
    return pairs


def confirm(conn: Connection, merge_id: int, editor: str, now: datetime) -> None:
    """The editor agrees the two are one study: the flag goes, the merge stays."""
    merge = _open_merge(conn, merge_id)
    evidence = {**(merge["evidence"] or {}), "confirmed_by": editor}
    evidence["confirmed_at"] = now.isoformat()
    conn.execute(
        update(merges).where(merges.c.id == merge_id).values(probable=False, evidence=evidence)
    )


def split_pair(conn: Connection, merge_id: int, now: datetime, classifier: Classifier) -> int:
    """Undo one title join: the duplicate comes back as its own work, with its records,
    identifiers, links and events. Returns the restored work's id."""
    merge = _open_merge(conn, merge_id)
    split(conn, merge["merged_work_id"], now)
    classify_works(conn, [merge["kept_work_id"], merge["merged_work_id"]], classifier, now)
    return int(merge["merged_work_id"])


def merge_pair(
    conn: Connection, keep: str, other: str, editor: str, now: datetime, classifier: Classifier
) -> int:
    """Fold the work named `other` into the one named `keep` (ids, pmid:N, DOIs, registry
    ids), as an editor's certain merge; refused when they carry different PMIDs or trial ids,
    which no editor can make one study. Returns the merge's id."""
    try:
        kept, merged = store.resolve_work(conn, keep), store.resolve_work(conn, other)
    except Exception as exc:  # DigestError names the work that was not found
        raise DuplicateError(str(exc)) from None
    if kept == merged:
        raise DuplicateError(f"{keep} and {other} are already one work ({kept})")
    why = conflicting(conn, kept, merged)
    if why:
        raise DuplicateError(f"works {kept} and {merged} cannot be one study: {why}")
    merge_id = merge_works(conn, kept, merged, "editor", {"editor": editor}, now)
    classify_works(conn, [kept], classifier, now)
    return merge_id


def _open_merge(conn: Connection, merge_id: int) -> dict[str, Any]:
    row = conn.execute(select(merges).where(merges.c.id == merge_id)).mappings().first()
    if row is None or row["undone_at"] is not None:
        raise DuplicateError(f"merge {merge_id} does not exist or was already split")
    return dict(row)


def _shown(row: Any) -> dict[str, Any]:
    data = row.data or {}
    authors = data.get("authors") or []
    return {
        "source": row.source,
        "source_id": row.source_id,
        "title": data.get("title") or "",
        "journal": data.get("journal") or data.get("sponsor") or "",
        "published": data.get("published") or "",
        "first_author": authors[0] if authors else "",
        "identifiers": data.get("identifiers") or {},
    }


def _ids(shown: list[dict[str, Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for record in shown:
        for scheme, value in record["identifiers"].items():
            for one in value if isinstance(value, list) else [value]:
                if one and str(one) not in found.setdefault(scheme, []):
                    found[scheme].append(str(one))
    return {scheme: values for scheme, values in found.items() if values}
