"""`mscwatch demo`: the whole pipeline offline, against a local replay of PubMed."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from etl import clock
from etl.cli.common import out, state
from etl.cli.crawl import crawl_sources
from etl.cli.status import print_status
from etl.db.engine import make_engine
from etl.demo import DEMO_PORT, DEMO_SECRET, demo_site, run_demo
from etl.pipeline.ingest import ingest_files


def demo(
    var: Path = typer.Option(Path("var"), "--var", help="Working folder for the demo's files."),
    port: int = typer.Option(
        DEMO_PORT, "--port", help="Port of the `mscwatch serve` the demo's mail links to."
    ),
) -> None:
    """Run the pipeline on invented records served by a local replay server (no network)."""
    config_dir = Path(state.config_dir) if state.config_dir else None

    def crawl(settings):  # type: ignore[no-untyped-def]
        return crawl_sources(settings, settings.source_names(), None, False)

    def ingest(settings, path):  # type: ignore[no-untyped-def]
        result = ingest_files(make_engine(settings.database_url), "pubmed", [path], clock.now())
        out.print(f"ingest {path.name}: {result.line()}", markup=False, highlight=False)
        return result

    result = run_demo(var, crawl, ingest, config_dir, port)
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
        f"\n{outbox_line(result.settings.outbox_dir, len(result.outbox))} (open the .eml "
        f"files in a mail client)\n{result.archive_pages} archive pages in {archive}/: open "
        f"{archive / 'index.html'}\n",
        highlight=False,
    )
    db = f"DATABASE_URL={result.database}"
    config = f" --config {shlex.quote(state.config_dir)}" if state.config_dir else ""
    out.print(
        f"The demo database is {result.database}. Look around with:\n"
        f"  {db} mscwatch{config} status\n"
        f"  sqlite3 {result.database.removeprefix('sqlite:///')} "
        "'select kind, title from works limit 5'\n"
        f"  {db} mscwatch{config} digest list\n"
        f"Serve its archive, sign-up and subscriber pages (every link in its mail leads there; "
        f"the key is the one its mail was signed with) at {demo_site(port)}:\n"
        f"  {serve_command(result.database, port, state.config_dir)}\n"
        "For the editor pages (review queue, duplicates, issues with the writer's drafts, "
        "briefs) at /editor/, add an account first:\n"
        f"  {db} mscwatch{config} editors add you@example.org",
        highlight=False,
    )


def serve_command(database: str, port: int, config_dir: str | None = None) -> str:
    """The one command that serves the demo's data with the key its mail was signed with."""
    config = f" --config {shlex.quote(config_dir)}" if config_dir else ""
    return (
        f"DATABASE_URL={shlex.quote(database)} SECRET_KEY={DEMO_SECRET} "
        f"mscwatch{config} serve --port {port}"
    )


def outbox_line(folder: Path, written: int) -> str:
    """What the outbox holds, and how much of it this run wrote: a second run writes nothing
    (nothing is sent twice) while the messages of the first are still there."""
    held = len(list(folder.glob("*.eml"))) if folder.is_dir() else 0
    new = "" if written == held else f", {written} of them new from this run"
    return f"{held} messages in {folder}/{new}"
