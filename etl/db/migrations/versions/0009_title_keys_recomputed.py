"""title and block keys recomputed under the new title rules

The title rules now forgive entities, tags and British spelling, block by the earliest year and
give preprints blocks of their own; works stored before keep their old keys until recomputed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from etl.dedupe.rekey import rekey

    rekey(op.get_bind())


def downgrade() -> None:
    """Nothing to undo: older code recomputes a work's keys when its records change."""
