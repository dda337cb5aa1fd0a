"""Migration 0025 on SQLite and PostgreSQL: an issue built before it kept no chart (NULL, so it
shows the map's current one) and can keep one after it; going down drops the column."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from etl.db.engine import alembic_config, make_engine
from etl.digest import store

WHEN = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
KEPT = {"n": 1, "charts": {"zh": {"name": "by-source", "counts": [[1]]}}}


def test_issues_gain_an_empty_place_for_their_chart(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        command.upgrade(alembic_config(engine), "0024")
        with engine.begin() as conn:
            table = sa.Table("digest_issues", sa.MetaData(), autoload_with=conn)
            conn.execute(
                sa.insert(table).values(
                    number=1,
                    slug="2026-11-16",
                    period_start="2026-11-16",
                    period_end="2026-11-23",
                    state="sent",
                    headline={},
                    intro={},
                    closing={},
                    nothing_new=False,
                    counts={},
                    built_at=WHEN,
                    approved_by="",
                )
            )
        command.upgrade(alembic_config(engine), "head")
        with engine.begin() as conn:
            issue = store.find_issue(conn, "1")
            assert issue["charts"] is None
            store.set_charts(conn, issue["id"], KEPT)
            assert store.find_issue(conn, "2026-11-16")["charts"] == KEPT
        command.downgrade(alembic_config(engine), "0024")
        with engine.connect() as conn:
            names = {c["name"] for c in sa.inspect(conn).get_columns("digest_issues")}
        assert "charts" not in names and "generated" in names
    finally:
        engine.dispose()
