"""indexes the web pages' queries need: merges by kept and merged work, events by work and time

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-07

The review queue asks, for each page of works, which of them hold a probable duplicate
(work_merges by kept_work_id), and a split or the duplicates page finds a work's merges by
either side: without these, each is a scan of every merge ever made. The queue also asks each
listed work's newest event since a day: (work_id, detected_at) answers that from the index.
"""

from alembic import op

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_events_work_id_detected_at"), "events", ["work_id", "detected_at"], unique=False
    )
    op.create_index(
        op.f("ix_work_merges_kept_work_id"), "work_merges", ["kept_work_id"], unique=False
    )
    op.create_index(
        op.f("ix_work_merges_merged_work_id"), "work_merges", ["merged_work_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_events_work_id_detected_at"), table_name="events")
    op.drop_index(op.f("ix_work_merges_merged_work_id"), table_name="work_merges")
    op.drop_index(op.f("ix_work_merges_kept_work_id"), table_name="work_merges")
