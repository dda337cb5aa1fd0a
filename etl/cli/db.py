"""`mscwatch db …`: schema migrations."""

from __future__ import annotations

import typer

from etl import clock
from etl.classify.service import reindex_search, search_index_empty
from etl.classify.taxonomy import load_taxonomy
from etl.cli.common import engine, out, settings
from etl.db.engine import upgrade as run_upgrade
from etl.search.upkeep import settle

app = typer.Typer(help="Create or migrate the database.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Create or migrate the database to the newest schema (safe to run at every start)."""
    config = settings()
    built = engine(config, check=False)
    try:
        before, after = run_upgrade(built)
        where = built.url.render_as_string(hide_password=True)
        if before == after:
            out.print(f"database {where} is up to date (revision {after})")
        else:
            out.print(f"database {where} migrated from {before or 'empty'} to {after}")
        filled = False
        with built.begin() as conn:  # the search index came later than the labels it is made of
            if search_index_empty(conn):
                count = reindex_search(conn, load_taxonomy(config.taxonomy_path), clock.now())
                out.print(f"search index filled: {count} relevant works")
                filled = True
        if filled:
            out.print(f"search tables tidied: {settle(built)}")
    finally:
        built.dispose()
