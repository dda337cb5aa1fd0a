"""work merges and title matching

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "work_merges",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kept_work_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "merged_work_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column(
            "evidence", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("probable", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["kept_work_id"],
            ["works.id"],
            name=op.f("fk_work_merges_kept_work_id_works"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merged_work_id"],
            ["works.id"],
            name=op.f("fk_work_merges_merged_work_id_works"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_merges")),
    )
    with op.batch_alter_table("works", schema=None) as batch_op:
        batch_op.add_column(sa.Column("block_key", sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column("title_key", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "merged_into", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_index(batch_op.f("ix_works_block_key"), ["block_key"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_works_merged_into_works"),
            "works",
            ["merged_into"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:

    with op.batch_alter_table("works", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_works_merged_into_works"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_works_block_key"))
        batch_op.drop_column("merged_into")
        batch_op.drop_column("title_key")
        batch_op.drop_column("block_key")

    op.drop_table("work_merges")
