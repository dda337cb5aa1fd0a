"""What a rewrite of the whole index leaves to do: `search reindex` deletes and inserts every
row, and on PostgreSQL the tag lookups then read the tables' pages as well as their indexes
until autovacuum sets the visibility map again (filters 2.5 times slower meanwhile, see
bench/README.md "Search"). SQLite keeps no visibility map, and its statistics (ANALYZE) made
no query faster at 20,000 or 100,000 works (filters alone were slower with them), so it is
left as it is."""

from __future__ import annotations

from sqlalchemy import Engine, text

from etl.search.index import documents, tags, texts

TABLES = tuple(table.name for table in (documents, texts, tags))


def settle(engine: Engine) -> str:
    """Vacuum and analyse the search tables once the rewrite has committed; returns what was
    done, for the command to say."""
    if engine.dialect.name != "postgresql":
        return "nothing to do on SQLite"
    names = ", ".join(TABLES)
    # VACUUM refuses to run inside a transaction block
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM (ANALYZE) {names}"))
    return f"VACUUM (ANALYZE) {names}"
