"""full articles: articles, their versions, deliveries of an article as a feature

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07

Editors write full articles from picked works. An article keeps every saved text as a version,
its last check report, and the note of an editor who approved it despite a blocking check. A
published article can be mailed to readers as a feature through the same deliveries as an
issue: a delivery now belongs to an issue or to an article.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", _ID, nullable=False),
        sa.Column("slug", sa.String(length=96), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("work_ids", _JSON, nullable=False),
        sa.Column("check_report", _JSON, nullable=True),
        sa.Column("check_blocking", sa.Boolean(), nullable=False),
        sa.Column("checked_version", sa.Integer(), nullable=True),
        sa.Column("checked_at", _WHEN, nullable=True),
        sa.Column("override_note", sa.Text(), nullable=False),
        sa.Column("override_by", sa.String(length=128), nullable=False),
        sa.Column("override_at", _WHEN, nullable=True),
        sa.Column("approved_by", sa.String(length=128), nullable=False),
        sa.Column("approved_at", _WHEN, nullable=True),
        sa.Column("published_at", _WHEN, nullable=True),
        sa.Column("mailed_at", _WHEN, nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("slug", name=op.f("uq_articles_slug")),
    )
    op.create_table(
        "article_versions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("article_id", _ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("editor", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_versions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
        sa.UniqueConstraint("article_id", "number", name=op.f("uq_article_versions_article_id")),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("article_id", _ID, nullable=True))
        batch.alter_column("issue_id", existing_type=_ID, nullable=True)
        batch.create_foreign_key(
            op.f("fk_deliveries_article_id_articles"),
            "articles",
            ["article_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_unique_constraint(
            op.f("uq_deliveries_article_subscriber"), ["article_id", "subscriber_id"]
        )


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM deliveries WHERE issue_id IS NULL"))
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint(op.f("uq_deliveries_article_subscriber"), type_="unique")
        batch.drop_constraint(op.f("fk_deliveries_article_id_articles"), type_="foreignkey")
        batch.drop_column("article_id")
        batch.alter_column("issue_id", existing_type=_ID, nullable=False)
    op.drop_table("article_versions")
    op.drop_table("articles")
