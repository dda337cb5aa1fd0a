"""`mscwatch search …`: the full-text index of the relevant works."""

from __future__ import annotations

import typer

from etl import clock
from etl.classify.service import reindex_search
from etl.classify.taxonomy import load_taxonomy
from etl.cli.common import engine, out, settings

app = typer.Typer(help="The search index of the relevant works.", no_args_is_help=True)


@app.command()
def reindex() -> None:
    """Write every relevant work's search document again from its stored labels (db upgrade
    fills an empty index; run it after restoring an older backup)."""
    config = settings()
    with engine(config).begin() as conn:
        count = reindex_search(conn, load_taxonomy(config.taxonomy_path), clock.now())
    out.print(f"search index rewritten: {count} relevant works")
