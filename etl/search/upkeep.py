"""What a rewrite of the whole index leaves to do: `search reindex` deletes and inserts every
row, and on PostgreSQL the tag lookups then read the tables' pages as well as their indexes
until autovacuum sets the visibility map again (filters 2.5 times slower meanwhile, see
bench/README.md "Search"); fresh statistics help both databases choose their plans."""

from __future__ import annotations

from sqlalchemy import Engine, text

from etl.search.index import documents, tags, texts

TABLES = tuple(table.name for table in (documents, texts, tags))


def settle(engine: Engine) -> str:
    """Vacuum and analyse the search tables (PostgreSQL), or analyse them (SQLite), after the
    rewrite has committed; returns the statement run, for the command to say."""
    names = ", ".join(TABLES)
    if engine.dialect.name == "postgresql":
        # VACUUM refuses to run inside a transaction block
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"VACUUM (ANALYZE) {names}"))
        return f"VACUUM (ANALYZE) {names}"
    with engine.begin() as conn:
        for name in TABLES:
            conn.execute(text(f"ANALYZE {name}"))
    return f"ANALYZE {names}"
