"""digest issues and editor decisions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_issues",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=32), nullable=False),
        sa.Column("period_start", sa.String(length=10), nullable=False),
        sa.Column("period_end", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column(
            "headline", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "intro", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "closing", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("nothing_new", sa.Boolean(), nullable=False),
        sa.Column(
            "counts", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=128), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_issues")),
        sa.UniqueConstraint("number", name=op.f("uq_digest_issues_number")),
        sa.UniqueConstraint("slug", name=op.f("uq_digest_issues_slug")),
    )
    op.create_table(
        "digest_items",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("issue_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("work_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("group_key", sa.String(length=48), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Float(), nullable=False),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.Column("highlight", sa.Text(), nullable=False),
        sa.Column(
            "event_ids", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("occurred_on", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["digest_issues.id"],
            name=op.f("fk_digest_items_issue_id_digest_issues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["works.id"],
            name=op.f("fk_digest_items_work_id_works"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_items")),
        sa.UniqueConstraint("issue_id", "work_id", name="uq_digest_items_issue_work"),
    )
    with op.batch_alter_table("digest_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_items_work_id"), ["work_id"], unique=False)

    op.create_table(
        "editor_decisions",
        sa.Column("work_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.Column("highlight", sa.Text(), nullable=False),
        sa.Column("picked", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("editor", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["works.id"],
            name=op.f("fk_editor_decisions_work_id_works"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("work_id", name=op.f("pk_editor_decisions")),
    )
    op.create_table(
        "digest_events",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("issue_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_digest_events_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["digest_issues.id"],
            name=op.f("fk_digest_events_issue_id_digest_issues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_digest_events")),
    )
    with op.batch_alter_table("digest_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_events_issue_id"), ["issue_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("digest_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_events_issue_id"))

    op.drop_table("digest_events")
    op.drop_table("editor_decisions")
    with op.batch_alter_table("digest_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_items_work_id"))

    op.drop_table("digest_items")
    op.drop_table("digest_issues")
