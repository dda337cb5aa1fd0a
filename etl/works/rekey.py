"""Title and block keys recomputed for stored works, after the title rules change.

A work's keys are computed when a record stores it, so works stored under older rules keep older
keys (British spellings, a preprint in an ordinary paper block, the issue year instead of the
earliest) until a record of theirs changes, and new records would not find them. `db upgrade`
runs this once for the migration that changed the rules; `mscwatch works rekey` runs it on demand.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from etl.db.models import SourceRecord, Work
from etl.works.titles import block_key, title_key

works, records = Work.__table__, SourceRecord.__table__
CHUNK = 1000


def rekey(conn: Connection) -> int:
    """Recompute every live work's keys from its newest live record; returns how many changed."""
    changed = 0
    last = 0
    while True:
        ids = list(
            conn.execute(
                select(works.c.id)
                .where(works.c.id > last, works.c.merged_into.is_(None))
                .order_by(works.c.id)
                .limit(CHUNK)
            ).scalars()
        )
        if not ids:
            return changed
        last = ids[-1]
        current = {
            row.id: (row.block_key, row.title_key)
            for row in conn.execute(
                select(works.c.id, works.c.block_key, works.c.title_key).where(works.c.id.in_(ids))
            )
        }
        newest: dict[int, dict[str, Any]] = {}
        query = (
            select(records.c.work_id, records.c.data)
            .where(records.c.work_id.in_(ids), records.c.deleted_at.is_(None))
            .order_by(records.c.work_id, records.c.updated_at.desc(), records.c.id.desc())
        )
        for work_id, data in conn.execute(query):
            newest.setdefault(work_id, data)
        for work_id, data in newest.items():
            keys = (block_key(data), title_key(data.get("title") or ""))
            if keys != current[work_id]:
                conn.execute(
                    update(works)
                    .where(works.c.id == work_id)
                    .values(block_key=keys[0], title_key=keys[1])
                )
                changed += 1
