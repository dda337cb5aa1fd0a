"""`mscwatch crawl` and `mscwatch ingest`: bring records into the database."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import httpx
import typer
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from etl import clock
from etl.classify.service import Classifier
from etl.cli.common import console, engine, out, settings, stop_on_signal
from etl.db.states import Outcome
from etl.errors import ConfigError
from etl.pipeline.crawl import RunResult, run_crawl
from etl.pipeline.ingest import ingest_files
from etl.records import Counts
from etl.settings import Settings
from etl.sources.registry import FILE_FORMATS, SOURCE_NAMES

CRAWLED = f"Only this source (repeatable): {', '.join(SOURCE_NAMES)}."
FORMATS = f"Format of the files: {', '.join(FILE_FORMATS)}."


def crawl(
    source: list[str] = typer.Option(None, "--source", "-s", help=CRAWLED),
    since: datetime = typer.Option(
        None, "--since", formats=["%Y-%m-%d"], help="Crawl from this day instead of the cursor."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Fetch and count, but write nothing (cursor included)."
    ),
) -> None:
    """Fetch what is new from the configured sources and store it."""
    config = settings()
    names = _names(config, source)
    results = crawl_sources(config, names, since.date() if since else None, dry_run)
    if any(result.outcome in (Outcome.FAILED, Outcome.SKIPPED) for result in results):
        raise typer.Exit(1)


def crawl_sources(
    config: Settings,
    names: list[str],
    since: date | None,
    dry_run: bool,
    transport: httpx.BaseTransport | None = None,
) -> list[RunResult]:
    """Run the crawl with a progress display; prints one summary line per source."""
    built = engine(config)
    with _progress() as progress:
        tasks: dict[str, TaskID] = {}
        window_base: dict[str, int] = {}

        def report(name: str, text: str, total: int | None, counts: Counts) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(name, total=None, counts="")
            task = tasks[name]
            if text:
                window_base[name] = counts.fetched
                progress.update(task, description=f"{name} {text}", total=total or None)
            done = counts.fetched - window_base.get(name, 0)
            progress.update(task, completed=done, counts=counts.summary())

        with stop_on_signal("stopping after the batch in hand…") as stop:
            results = run_crawl(
                built,
                config,
                names,
                clock.now(),
                since,
                dry_run,
                transport,
                progress=report,
                classifier=Classifier.from_settings(config),
                stop=stop.is_set,
            )
    for result in results:
        _print_result(result, "dry run: " if dry_run else "")
    return results


def ingest(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="Files to load."),
    source: str = typer.Option("pubmed", "--source", "-s", help=FORMATS),
) -> None:
    """Load files (PubMed baseline/update files, saved efetch XML) into the database."""
    config = settings()
    built = engine(config)
    with _progress() as progress:
        task = progress.add_task("ingest", total=len(files), counts="")
        finished: set[Path] = set()

        def report(path: Path, counts: Counts) -> None:
            finished.add(path)
            progress.update(
                task,
                description=f"ingest {path.name}",
                completed=len(finished) - 1,
                counts=counts.summary(),
            )

        result = ingest_files(
            built,
            source,
            files,
            clock.now(),
            config.database.batch_size,
            report,
            classifier=Classifier.from_settings(config),
        )
        progress.update(task, completed=len(files))
    _print_result(result, "")
    if result.outcome == "failed":
        raise typer.Exit(1)
    if result.counts.new == result.counts.updated == result.counts.deleted == 0:
        out.print("nothing changed: every record was already stored as it is")


def _names(config: Settings, wanted: list[str] | None) -> list[str]:
    enabled = config.source_names()
    if not wanted:
        return enabled
    for name in wanted:
        if name not in enabled:
            raise ConfigError(
                f"source {name!r} is not configured or not enabled",
                f"enabled sources: {', '.join(enabled) or 'none'} (see config/sources.toml)",
            )
    return list(wanted)


def _print_result(result: RunResult, prefix: str) -> None:
    out.print(prefix + result.line(), markup=False, highlight=False)
    if result.hint:
        console.print(f"hint: {result.hint}", markup=False, highlight=False)
    for line in result.quarantined[:50]:
        console.print(f"quarantined: {line}", markup=False, highlight=False)
    if len(result.quarantined) > 50:
        console.print(f"… and {len(result.quarantined) - 50} more quarantined records")
    if result.failed_ids:
        shown = ", ".join(result.failed_ids[:20])
        console.print(f"never returned by the source: {shown}", markup=False)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
