"""editor sessions kept on the server, so logout and account changes end them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "editor_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("editor_id", _ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["editor_id"],
            ["editors.id"],
            name=op.f("fk_editor_sessions_editor_id_editors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editor_sessions")),
    )
    op.create_index(
        op.f("ix_editor_sessions_editor_id"), "editor_sessions", ["editor_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_editor_sessions_editor_id"), table_name="editor_sessions")
    op.drop_table("editor_sessions")
