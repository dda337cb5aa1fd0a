"""Each work's study-page slug, read from its identifiers: the digest links its items to the
page, the study pages and exports name works by it (`etl/normalize/slugs.py` says how a slug
is made)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from etl.db.models import Identifier, Work
from etl.normalize.slugs import study_slug

works = Work.__table__
identifiers = Identifier.__table__
CHUNK = 500


def study_slugs(conn: Connection, work_ids: Iterable[int]) -> dict[int, str]:
    """The slug of each existing work (its best identifier's, else `work-<id>`)."""
    ids = sorted(set(work_ids))
    found: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    kinds: dict[int, str] = {}
    for start in range(0, len(ids), CHUNK):
        query = (
            select(works.c.id, works.c.kind, identifiers.c.scheme, identifiers.c.value)
            .select_from(works.outerjoin(identifiers, identifiers.c.work_id == works.c.id))
            .where(works.c.id.in_(ids[start : start + CHUNK]))
        )
        for work_id, kind, scheme, value in conn.execute(query):
            kinds[work_id] = kind
            if scheme is not None:
                found[work_id].append((scheme, value))
    return {i: study_slug(found[i], kinds[i], i) for i in ids if i in kinds}
