"""`mscwatch status`: one table row per source: last run, outcome, counts, watermark, next run."""

from __future__ import annotations

from datetime import datetime

from rich.table import Table

from etl import clock
from etl.cli.common import engine, out, settings
from etl.ops.status import source_status
from etl.settings import Settings


def status() -> None:
    """Show each source's last run, outcome, counts and when it is next due."""
    print_status(settings())


def print_status(config: Settings) -> None:
    rows = source_status(engine(config), config, clock.now())
    table = Table(title="Sources", title_justify="left")
    for column in (
        "source",
        "last run",
        "outcome",
        "new",
        "updated",
        "unchanged",
        "quarantined",
        "failed",
        "last success",
        "watermark",
        "next due",
    ):
        table.add_column(column, justify="right" if column in _NUMBERS else "left")
    for row in rows:
        counts = row.last_counts
        table.add_row(
            row.source,
            _when(row.last_started),
            _outcome(row.last_outcome),
            *(str(counts.get(k, "")) if counts else "" for k in _NUMBERS),
            _when(row.last_success),
            row.watermark or "",
            _when(row.next_due),
        )
    out.print(table)
    for row in rows:
        if row.last_error:
            out.print(f"[bold]{row.source}[/bold] last error: {row.last_error}", highlight=False)


_NUMBERS = ("new", "updated", "unchanged", "quarantined", "failed")


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "never"


def _outcome(value: str | None) -> str:
    colours = {"ok": "green", "partial": "yellow", "failed": "red", "running": "cyan"}
    return f"[{colours.get(value or '', 'white')}]{value or '-'}[/]"
