"""indexes that make "has anything changed?" one cheap question: works and labels by time

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07

The review queue, the study pages and the evidence map keep what they read while nothing they
show has changed, and ask that with the newest `works.updated_at` (a record stored, updated,
deleted, merged or split) and `classifications.classified_at` (labels rewritten). Without an
index each is a scan of a whole table (~10 ms for the works at 100,000); with one, a single
index probe.
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_works_updated_at"), "works", ["updated_at"], unique=False)
    op.create_index(
        op.f("ix_classifications_classified_at"),
        "classifications",
        ["classified_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_classifications_classified_at"), table_name="classifications")
    op.drop_index(op.f("ix_works_updated_at"), table_name="works")
