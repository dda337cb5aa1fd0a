"""Migration 0022 on SQLite and PostgreSQL: the articles checked before it get the works they
cite from their stored check reports, by the rule the check itself applies from then on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.dialects import postgresql

from etl.articles.cited import cited_works
from etl.db.engine import alembic_config, make_engine

WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ARTICLES = sa.table(
    "articles",
    *(sa.column(name) for name in ("id", "slug", "title", "lang", "state", "check_blocking")),
    *(sa.column(name) for name in ("override_note", "override_by", "approved_by", "created_by")),
    sa.column("created_at"),
    sa.column("updated_at"),
    sa.column("work_ids", _JSON),
    sa.column("check_report", _JSON),
)
REPORT: dict[str, Any] = {
    "citations": [
        {"verdict": "not_found", "work_id": None},
        {"verdict": "mismatch", "work_id": 2},  # the id found it; its year differs
        {"verdict": "found", "work_id": 1},
        {"verdict": "found", "work_id": 2},  # cited twice, kept once, where first cited
        {"verdict": "found", "work_id": 99},  # a work since deleted
        # the id is work 4, the title work 3: the editor picked 3
        {"verdict": "wrong_study", "work_id": 4, "other_work": {"work_id": 3}},
        {"verdict": "retracted", "work_id": 5},
    ]
}


def _article(conn: sa.Connection, article_id: int, report: dict[str, Any] | None) -> None:
    conn.execute(
        sa.insert(ARTICLES).values(
            id=article_id, slug=f"a-{article_id}", title="t", lang="zh", state="published",
            check_blocking=False, override_note="", override_by="", approved_by="",
            created_by="e", created_at=WHEN, updated_at=WHEN, work_ids=[1, 3],
            check_report=report,
        )
    )  # fmt: skip


def test_the_migration_fills_article_works_from_the_stored_reports(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        command.upgrade(alembic_config(engine), "0021")
        with engine.begin() as conn:
            for n in range(1, 6):
                conn.execute(
                    sa.text(
                        "INSERT INTO works (id, kind, title, retracted, created_at, updated_at)"
                        " VALUES (:id, 'paper', 't', false, :now, :now)"
                    ),
                    {"id": n, "now": WHEN},
                )
            _article(conn, 1, REPORT)
            _article(conn, 2, None)  # never checked: cites nothing yet
        command.upgrade(alembic_config(engine), "head")
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT article_id, work_id, position FROM article_works ORDER BY 1, 3")
            ).all()
        assert [tuple(r) for r in rows] == [(1, 2, 1), (1, 1, 2), (1, 3, 3), (1, 5, 4)]
        # the rule the check applies says the same (less the work that no longer exists)
        assert cited_works(REPORT, [1, 3]) == [2, 1, 99, 3, 5]
        command.downgrade(alembic_config(engine), "0021")
        with engine.connect() as conn:
            assert "article_works" not in sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_a_wrong_study_counts_for_the_picked_work_only() -> None:
    both = {"verdict": "wrong_study", "work_id": 7, "other_work": {"work_id": 8}}
    assert cited_works({"citations": [both]}, []) == []
    assert cited_works({"citations": [both]}, [7]) == [7]
    assert cited_works({"citations": [both]}, [8, 7]) == [8, 7]
    assert cited_works(None, [1, 2]) == []  # picked but never checked: nothing cited
    assert cited_works({"citations": [{"verdict": "found", "work_id": 1}]}, [1, 2]) == [1]
