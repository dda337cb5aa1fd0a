"""The evidence map's database edge: the members of every study that may hold a clinical study,
read with one query per table, then `rows.build_row` for each.

Only studies with a candidate member (a trial, or a paper classified at a clinical stage, or one
an editor included) are read in full, so facts are extracted for the few hundred clinical works,
not for every laboratory paper of the database.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Connection, func, or_, select

from etl.db.models import Classification, EditorDecision, Event, Identifier, Work
from etl.evidence.rows import CLINICAL_STAGES, EvidenceRow, Member, build_row
from etl.facts.extract import extract
from etl.facts.terms import load_terms
from etl.works.store import work_data
from etl.works.studies import load_studies

CHUNK = 1000
_HAN = re.compile(r"[\u4e00-\u9fff]")


def evidence_rows(conn: Connection, config_dir: Path | None = None) -> list[EvidenceRow]:
    """One row per clinical study of MSCs in cancer, in study order."""
    c, d, w = Classification.__table__.c, EditorDecision.__table__.c, Work.__table__.c
    candidates = set(
        conn.execute(
            select(c.work_id)
            .join(Work.__table__, w.id == c.work_id)
            .where(c.relevant.is_(True), or_(w.kind == "trial", c.stage.in_(CLINICAL_STAGES)))
        ).scalars()
    )
    candidates |= set(conn.execute(select(d.work_id).where(d.decision == "include")).scalars())
    if not candidates:
        return []
    studies = load_studies(conn, sorted(candidates))
    members = _members(conn, sorted({i for study in studies for i in study.work_ids}), config_dir)
    rows = (build_row([members[i] for i in study.work_ids if i in members]) for study in studies)
    return [row for row in rows if row is not None]


def _members(conn: Connection, ids: Sequence[int], config_dir: Path | None) -> dict[int, Member]:
    terms = load_terms(config_dir)
    c, d, e, i, w = (table.__table__.c for table in
                     (Classification, EditorDecision, Event, Identifier, Work))  # fmt: skip
    found: dict[int, Member] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        labels = dict(conn.execute(select(c.work_id, c.labels).where(c.work_id.in_(part))).all())
        decisions = dict(
            conn.execute(select(d.work_id, d.decision).where(d.work_id.in_(part))).all()
        )
        latest = dict(
            conn.execute(
                select(e.work_id, func.max(e.occurred_on))
                .where(e.work_id.in_(part))
                .group_by(e.work_id)
            ).all()
        )
        names: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        query = select(i.work_id, i.scheme, i.value).where(i.work_id.in_(part)).order_by(i.id)
        for work_id, scheme, value in conn.execute(query):
            names[work_id][scheme].append(value)
        data = work_data(conn, part)
        for row in conn.execute(select(w.id, w.kind, w.title, w.published, w.retracted)
                                .where(w.id.in_(part))):  # fmt: skip
            if row.id not in data:
                continue  # every record of it deleted upstream
            found[row.id] = Member(
                work_id=row.id,
                kind=row.kind,
                title=row.title or "",
                identifiers={scheme: list(v) for scheme, v in names[row.id].items()},
                published=row.published,
                retracted=bool(row.retracted),
                labels=labels.get(row.id) or {},
                facts=extract(data[row.id], terms),
                updated=latest.get(row.id),
                decision=decisions.get(row.id),
                title_zh=_chinese(data[row.id].get("vernacular_title")),
            )
    return found


def _chinese(title: object) -> str | None:
    """A vernacular title written in Chinese, else None (a Japanese or German one is not)."""
    if isinstance(title, str) and _HAN.search(title) and not re.search(r"[\u3040-\u30ff]", title):
        return title
    return None
