"""editor texts per language, generated headlines, writer drafts

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-07

The 研究亮点 text was one value shown in both editions, so a Chinese highlight reached English
readers. `highlight` now holds the Chinese text and `highlight_en` the English one; a stored
highlight without a Chinese character moves to `highlight_en`. Issues keep the headline they
were given when built (`generated`), so a later issue can avoid repeating it. Writer drafts are
machine-written leads and highlights, kept with their state until an editor accepts or edits
them.
"""

import re

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _split_highlights(table: str, key: str) -> None:
    """Move the highlights written in English (no CJK character) to the English column."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(f"SELECT {key}, highlight FROM {table} WHERE highlight <> ''")
    ).all()
    for row_key, text in rows:
        if text and not _CJK.search(text):
            conn.execute(
                sa.text(
                    f"UPDATE {table} SET highlight_en = :text, highlight = '' WHERE {key} = :key"
                ),
                {"text": text, "key": row_key},
            )


def upgrade() -> None:
    for table in ("editor_decisions", "digest_items"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("highlight_en", sa.Text(), nullable=False, server_default="")
            )
    _split_highlights("editor_decisions", "work_id")
    _split_highlights("digest_items", "id")
    with op.batch_alter_table("digest_issues") as batch:
        batch.add_column(sa.Column("generated", _JSON, nullable=True))
    op.create_table(
        "writer_drafts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("work_id", _ID, nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sources", _JSON, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=False, server_default=""),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["works.id"],
            name=op.f("fk_writer_drafts_work_id_works"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_writer_drafts")),
        sa.UniqueConstraint("work_id", "lang", "field", name=op.f("uq_writer_drafts_work_id")),
    )


def downgrade() -> None:
    op.drop_table("writer_drafts")
    with op.batch_alter_table("digest_issues") as batch:
        batch.drop_column("generated")
    for table in ("editor_decisions", "digest_items"):
        conn = op.get_bind()
        conn.execute(
            sa.text(
                f"UPDATE {table} SET highlight = highlight_en "
                "WHERE highlight = '' AND highlight_en <> ''"
            )
        )
        with op.batch_alter_table(table) as batch:
            batch.drop_column("highlight_en")
