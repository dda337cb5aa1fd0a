"""each editor's language for the editor pages

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

The editor pages speak Chinese or English, Chinese unless the editor chose English; the choice
goes with the person, on every browser they log in from, so it lives on their row.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("editors") as batch:
        batch.add_column(
            sa.Column("language", sa.String(length=2), nullable=False, server_default="zh")
        )


def downgrade() -> None:
    with op.batch_alter_table("editors") as batch:
        batch.drop_column("language")
