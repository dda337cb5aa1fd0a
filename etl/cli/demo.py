"""`mscwatch demo`: the whole pipeline offline, against a local replay of PubMed."""

from __future__ import annotations

from pathlib import Path

import typer

from etl import clock
from etl.cli.common import out, state
from etl.cli.crawl import crawl_sources
from etl.cli.status import print_status
from etl.db.engine import make_engine
from etl.demo import run_demo
from etl.pipeline.ingest import ingest_files


def demo(
    var: Path = typer.Option(Path("var"), "--var", help="Working folder for the demo's files."),
) -> None:
    """Run the pipeline on invented records served by a local replay server (no network)."""
    config_dir = Path(state.config_dir) if state.config_dir else None

    def crawl(settings):  # type: ignore[no-untyped-def]
        return crawl_sources(settings, settings.source_names(), None, False)

    def ingest(settings, path):  # type: ignore[no-untyped-def]
        result = ingest_files(make_engine(settings.database_url), "pubmed", [path], clock.now())
        out.print(f"ingest {path.name}: {result.line()}", markup=False, highlight=False)
        return result

    result = run_demo(var, crawl, ingest, config_dir)
    print_status(result.settings)
    archive = result.settings.archive_dir
    for issue in result.issues:
        counts = issue["counts"]
        out.print(
            f"issue {issue['number']} ({issue['slug']}): {counts.get('items', 0)} items, "
            f"{issue['state']}",
            highlight=False,
        )
    for line in result.drafts:
        out.print(line, highlight=False)
    out.print(
        f"\n{len(result.outbox)} messages in {result.settings.outbox_dir}/ (open the .eml files "
        f"in a mail client)\n{result.archive_pages} archive pages in {archive}/: open "
        f"{archive / 'index.html'}\n",
        highlight=False,
    )
    out.print(
        f"The demo database is {result.database}. Look around with:\n"
        f"  DATABASE_URL={result.database} mscwatch status\n"
        f"  sqlite3 {result.database.removeprefix('sqlite:///')} "
        "'select kind, title from works limit 5'\n"
        f"  DATABASE_URL={result.database} mscwatch digest list\n"
        "The editor pages (review queue, duplicates, issues with the writer's drafts, briefs) "
        "on the same data:\n"
        f"  DATABASE_URL={result.database} mscwatch editors add you@example.org\n"
        f"  SECRET_KEY=$(openssl rand -hex 32) DATABASE_URL={result.database} mscwatch serve"
        "   # then open /editor/",
        highlight=False,
    )
