"""article_works: the works each article cites, as its last check resolved them

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07

A study page lists the published articles that cite the study. Which works an article cites is
in its check report (JSON), which neither database can search by work id through an index; the
link table can, and the check writes it from now on. Existing articles get theirs from their
stored reports, by the rule the check uses (`etl/articles/cited.py`, copied here as it stands
today, so this migration means the same whatever that module becomes).
"""

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NAMES_THE_WORK = ("found", "mismatch", "retracted", "corrected", "trial_disagrees")


def upgrade() -> None:
    op.create_table(
        "article_works",
        sa.Column("article_id", _ID, nullable=False),
        sa.Column("work_id", _ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_works_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["works.id"],
            name=op.f("fk_article_works_work_id_works"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "work_id", name=op.f("pk_article_works")),
    )
    op.create_index(op.f("ix_article_works_work_id"), "article_works", ["work_id"], unique=False)
    _backfill()


def _backfill() -> None:
    """Every checked article's cited works, from its stored report (a work since deleted is
    left out: the row could not point at it)."""
    conn = op.get_bind()
    articles = sa.table(
        "articles",
        sa.column("id", sa.Integer),
        sa.column("work_ids", sa.JSON),
        sa.column("check_report", sa.JSON),
    )
    works = sa.table("works", sa.column("id", sa.Integer))
    links = sa.table(
        "article_works",
        sa.column("article_id", sa.Integer),
        sa.column("work_id", sa.Integer),
        sa.column("position", sa.Integer),
    )
    query = sa.select(articles.c.id, articles.c.work_ids, articles.c.check_report).where(
        articles.c.check_report.is_not(None)
    )
    for article_id, picked, report in conn.execute(query).all():
        cited = _cited_works(report, picked or [])
        known = set(conn.execute(sa.select(works.c.id).where(works.c.id.in_(cited))).scalars())
        rows = [
            {"article_id": article_id, "work_id": work_id, "position": position}
            for position, work_id in enumerate((w for w in cited if w in known), 1)
        ]
        if rows:
            conn.execute(sa.insert(links), rows)


def _cited_works(report: Mapping[str, Any] | None, picked: Iterable[int]) -> list[int]:
    """`etl.articles.cited.cited_works` as of this revision."""
    chosen = set(picked)
    found: dict[int, None] = {}
    for item in (report or {}).get("citations") or []:
        verdict = item.get("verdict")
        if verdict in NAMES_THE_WORK and isinstance(item.get("work_id"), int):
            found.setdefault(item["work_id"])
        elif verdict == "wrong_study":
            other = (item.get("other_work") or {}).get("work_id")
            for work_id in (other, item.get("work_id")):
                if isinstance(work_id, int) and work_id in chosen:
                    found.setdefault(work_id)
    return list(found)


def downgrade() -> None:
    op.drop_index(op.f("ix_article_works_work_id"), table_name="article_works")
    op.drop_table("article_works")
