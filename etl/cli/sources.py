"""`mscwatch sources check`: what each configured query finds right now, without storing it."""

from __future__ import annotations

import json

import typer
from rich.table import Table
from rich.text import Text

from etl import clock
from etl.cli.common import console, out, settings
from etl.sources.base import CheckResult
from etl.sources.check import check_names, check_sources

app = typer.Typer(help="Test the configured sources' queries.", no_args_is_help=True)


@app.command()
def check(
    name: str = typer.Argument(None, help="Only this source, even if it is disabled."),
    show: int = typer.Option(5, "--show", min=0, max=100, help="Titles shown per source."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per source."),
) -> None:
    """Ask each enabled source's query once at its configured base URL and show the hit count
    (all time and over the last 30 days, where the service filters by date) and the first
    titles; each feed is fetched once. Nothing is stored and no cursor moves, so it needs no
    database. Exits 1 if a source failed."""
    config = settings()
    results = check_sources(config, check_names(config, name), clock.now(), show)
    if as_json:
        for result in results:
            typer.echo(json.dumps(result.as_json(), ensure_ascii=False))
    else:
        _render(results)
    failed = [part for result in results for part in _failures(result)]
    for source, result in failed:
        _say_failure(source, result)
    if failed:
        raise typer.Exit(1)


def _render(results: list[CheckResult]) -> None:
    days = next((result.recent_days for result in results if result.recent_days), 30)
    table = Table(title="Sources check", title_justify="left")
    for column in ("source", "answer", "hits", f"last {days} days"):
        table.add_column(column, justify="left" if column in ("source", "answer") else "right")
    parts = [part for result in results for part in _parts(result)]
    for label, part in parts:
        table.add_row(*_summary(label, part))
    out.print(table)
    for label, part in parts:
        _examples(label, part)


def _parts(result: CheckResult) -> list[tuple[str, CheckResult]]:
    """A source and, for the feed source, each of its feeds, with the label each is shown by."""
    return [(result.source, result)] + [(f"feed {feed.source}", feed) for feed in result.feeds]


def _summary(label: str, result: CheckResult) -> tuple[Text, Text, Text, Text]:
    return (
        Text(label),
        Text("ok" if result.ok else "failed", style="" if result.ok else "red"),
        Text(_number(result.hits)),
        Text(_number(result.hits_recent)),
    )


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def _examples(label: str, result: CheckResult) -> None:
    """The first hits as id, date and title; notes (warnings, a moved feed) beneath."""
    if result.examples:
        table = Table(title=f"{label}: first {len(result.examples)}", title_justify="left")
        for column in ("id", "date", "title"):
            table.add_column(column, overflow="fold")
        for example in result.examples:
            table.add_row(Text(example.id), Text(example.date or ""), Text(example.title))
        out.print(table)
    if result.ok:
        for note in result.notes:
            out.print(Text(f"{label}: {note}"))


def _failures(result: CheckResult) -> list[tuple[str, CheckResult]]:
    """Failed feeds are reported one by one: each has its own URL and answer."""
    parts = _parts(result)[1:] if result.feeds else _parts(result)
    return [(label, part) for label, part in parts if not part.ok]


def _say_failure(label: str, result: CheckResult) -> None:
    """One `error:` line that names the source once (transport errors already start with it),
    what the service said under it, and the `hint:` line."""
    error = result.error or "failed"
    console.print(
        Text(f"error: {error}" if error.startswith(f"{label}:") else f"error: {label}: {error}")
    )
    for note in result.notes:
        console.print(Text(f"  {note}"))
    if result.hint:
        console.print(Text(f"hint: {result.hint}"))
