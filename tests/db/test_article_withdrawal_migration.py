"""Migration 0024 on SQLite and PostgreSQL: an article published before it is not withdrawn
(no date, nobody, no reason) and can be withdrawn after it; going down drops the columns."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from etl.articles import store
from etl.db.engine import alembic_config, make_engine
from tests.db.test_article_works_migration import WHEN, _article

COLUMNS = {"withdrawn_at", "withdrawn_by", "withdrawal_note"}


def test_articles_gain_the_withdrawal_record_empty(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        command.upgrade(alembic_config(engine), "0023")
        with engine.begin() as conn:
            _article(conn, 1, None)
        command.upgrade(alembic_config(engine), "head")
        with engine.begin() as conn:
            found = store.find(conn, "1")
            assert (found["withdrawn_at"], found["withdrawn_by"], found["withdrawal_note"]) == (
                None,
                "",
                "",
            )
            assert store.withdrawn(conn) == []
            assert store.withdraw(conn, 1, "ana", "误发", WHEN)
            assert [a["id"] for a in store.withdrawn(conn)] == [1]
        command.downgrade(alembic_config(engine), "0023")
        with engine.connect() as conn:
            names = {c["name"] for c in sa.inspect(conn).get_columns("articles")}
        assert not names & COLUMNS and "mailed_at" in names
    finally:
        engine.dispose()
