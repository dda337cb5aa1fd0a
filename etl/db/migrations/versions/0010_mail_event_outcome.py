"""what became of each returned report: applied, or recorded only (not tied to our mail)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mail_events") as batch:
        # reports recorded before this revision were all applied
        batch.add_column(
            sa.Column("outcome", sa.String(length=16), nullable=False, server_default="applied")
        )
        batch.add_column(sa.Column("reason", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("mail_events") as batch:
        batch.drop_column("reason")
        batch.drop_column("outcome")
