"""search index of relevant works; what each delivery held

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

`search_documents` holds one row per relevant work (what a result shows), `search_texts` its
indexed text (apart, so the rows a query walks for its order and count stay narrow),
`search_tags` its filter values. Each database indexes the text its own way: SQLite an FTS5
table kept in step by triggers (external content, so the text is stored once), PostgreSQL a
stored generated column `tsv = to_tsvector('simple', body)` with a GIN index (the text is
already cut into tokens, Chinese as bigrams, so `simple` is all it needs; stored, so a phrase
match reads positions without parsing the text again). `deliveries.work_ids` keeps which
works a reader's edition held, so a later retraction reaches the readers who were sent the
work.

The index starts empty: `mscwatch db upgrade` fills it afterwards from the stored labels
(`mscwatch search reindex` does the same by hand).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_UTC = sa.DateTime(timezone=True)

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(body, content='search_texts', "
    "content_rowid='work_id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_texts BEGIN "
    "INSERT INTO search_fts(rowid, body) VALUES (new.work_id, new.body); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_texts BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.work_id, old.body); "
    "END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_texts BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.work_id, old.body); "
    "INSERT INTO search_fts(rowid, body) VALUES (new.work_id, new.body); END",
]
POSTGRES_TSV = [
    "ALTER TABLE search_texts ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple'::regconfig, body)) STORED",
    "CREATE INDEX ix_search_texts_tsv ON search_texts USING gin (tsv)",
]


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("work_id", _ID, autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("vernacular_title", sa.Text(), nullable=False),
        sa.Column("labels", _JSON, nullable=False),
        sa.Column("identifiers", _JSON, nullable=False),
        sa.Column("indexed_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["works.id"],
            name="fk_search_documents_work_id_works",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("work_id", name="pk_search_documents"),
    )
    op.create_index("ix_search_documents_day", "search_documents", ["day"])
    op.create_table(
        "search_texts",
        sa.Column("work_id", _ID, autoincrement=False, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["search_documents.work_id"],
            name="fk_search_texts_work_id_search_documents",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("work_id", name="pk_search_texts"),
    )
    op.create_table(
        "search_tags",
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("work_id", _ID, autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["search_documents.work_id"],
            name="fk_search_tags_work_id_search_documents",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tag", "work_id", name="pk_search_tags"),
    )
    op.create_index("ix_search_tags_work_id", "search_tags", ["work_id"])
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("work_ids", _JSON, nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    else:
        for statement in POSTGRES_TSV:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("search_documents_au", "search_documents_ad", "search_documents_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("work_ids")
    op.drop_table("search_texts")
    op.drop_index("ix_search_tags_work_id", table_name="search_tags")
    op.drop_table("search_tags")
    op.drop_index("ix_search_documents_day", table_name="search_documents")
    op.drop_table("search_documents")
