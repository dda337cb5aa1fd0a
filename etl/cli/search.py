"""`mscwatch search …`: the full-text index of the relevant works."""

from __future__ import annotations

import typer

from etl import clock
from etl.classify.service import reindex_search
from etl.classify.taxonomy import load_taxonomy
from etl.cli.common import engine, out, settings
from etl.search.upkeep import settle

app = typer.Typer(help="The search index of the relevant works.", no_args_is_help=True)


@app.command()
def reindex() -> None:
    """Write every relevant work's search document again from its stored labels (db upgrade
    fills an empty index; run it after restoring an older backup), then vacuum and analyse the
    search tables so searches are fast at once rather than after autovacuum."""
    config = settings()
    built = engine(config)
    try:
        with built.begin() as conn:
            count = reindex_search(conn, load_taxonomy(config.taxonomy_path), clock.now())
        out.print(f"search index rewritten: {count} relevant works")
        out.print(f"search tables tidied: {settle(built)}")
    finally:
        built.dispose()
