"""digest_issues: the evidence chart's data as the issue was built with it

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07

An issue's mail and page embed the evidence map's chart. The site drew it from the map as it is
now, so a mail opened weeks later showed newer numbers than its alt text. The chart's data is
kept with the issue when it is built, and the issue's own image is drawn from it. Issues built
before have none (NULL) and keep showing the map's current chart.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest_issues") as batch:
        batch.add_column(
            sa.Column(
                "charts", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("digest_issues") as batch:
        batch.drop_column("charts")
