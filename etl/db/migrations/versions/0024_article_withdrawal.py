"""articles: who withdrew a published article, when and why

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07

A published article can be taken back (it cites a paper since retracted, or went out by
mistake). Its address then answers 410 Gone with a notice saying when and why, so the record of
the withdrawal is kept with the article, and stays when it is edited and published again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("withdrawn_by", sa.String(length=128), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("withdrawal_note", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("withdrawal_note")
        batch.drop_column("withdrawn_by")
        batch.drop_column("withdrawn_at")
