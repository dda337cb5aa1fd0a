"""`mscwatch status`: how every source and job is: last runs, health, what is due, open alerts."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import typer
from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.table import Table

from etl import clock
from etl.cli.common import engine, out, settings
from etl.db.states import DeliveryState, Verdict
from etl.mail.returns import UNMATCHED_DAYS
from etl.ops.health import ALARMING, FINE
from etl.ops.status import (
    COUNTS_SHOWN,
    DELIVERY_STATES,
    IssueStatus,
    JobStatus,
    LocalTimes,
    SourceStatus,
    alert_text,
    issue_status,
    job_status,
    source_status,
    unmatched_reports,
)
from etl.settings import Settings


def status(
    as_json: bool = typer.Option(False, "--json", help="JSON for monitoring, not tables."),
    wide: bool = typer.Option(
        False, "--wide", help="Every column, however wide the terminal (tables then wrap)."
    ),
) -> None:
    """Show each source's last run and watermark, and each job's health and next run."""
    print_status(settings(), as_json, wide)


@dataclass(frozen=True)
class Column:
    """A status table's column; `drop` > 0 means it may be left out to fit the terminal,
    the highest first."""

    name: str
    drop: int = 0
    justify: JustifyMethod = "left"


def fit(title: str, columns: list[Column], rows: list[list[str]], wide: bool) -> Table:
    """The table with as many columns as fit the terminal without wrapping (all with `wide`):
    the optional ones go, least needed first, and the caption says how many."""
    shown = list(range(len(columns)))
    optional = sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: -columns[i].drop)
    while True:
        table = Table(title=title, title_justify="left", caption_justify="left")
        for i in shown:
            table.add_column(columns[i].name, justify=columns[i].justify)
        for row in rows:
            table.add_row(*(row[i] for i in shown))
        hidden = len(columns) - len(shown)
        if hidden:
            table.caption = f"{hidden} column(s) left out to fit: --wide shows them"
        natural = out.measure(table, options=out.options.update_width(10_000)).maximum
        if wide or not optional or natural <= out.width:
            return table
        shown.remove(optional.pop(0))


def print_status(config: Settings, as_json: bool = False, wide: bool = False) -> None:
    # --wide: every column at its natural width; the terminal wraps the long lines. Output to
    # a file or a pipe is whole too, unless COLUMNS says how wide the reader's screen is.
    wide = wide or not (out.is_terminal or os.environ.get("COLUMNS"))
    screen = Console(width=10_000, force_terminal=out.is_terminal) if wide else out
    built = engine(config)
    now = clock.now()
    when = LocalTimes.of(config)
    sources = source_status(built, config, now)
    jobs = job_status(built, config, now)
    issues = issue_status(built)
    unmatched = unmatched_reports(built, now)
    if as_json:
        shown = _as_json(sources, jobs) | {"issues": [asdict(issue) for issue in issues]}
        shown["unmatched_reports"] = unmatched
        screen.print_json(json.dumps(shown, default=_iso, ensure_ascii=False))
        return
    screen.print(_sources_table(sources, when, wide))
    for row in sources:
        if row.last_error:
            screen.print(
                f"[bold]{row.source}[/bold] last error: {escape(row.last_error)}",
                highlight=False,
                soft_wrap=True,
            )
    screen.print(_jobs_table(jobs, when, wide))
    if issues:
        screen.print(_issues_table(issues, when, wide))
        for issue in issues:
            if issue.next_retry:
                screen.print(
                    f"issue {issue.number}: {issue.deliveries['retry']} deliveries wait for a "
                    f"retry, the next at {when(issue.next_retry)}",
                    highlight=False,
                )
    if unmatched:
        screen.print(
            f"{unmatched} returned reports in the last {UNMATCHED_DAYS} days were not tied to a "
            "message we sent and were not applied (`mscwatch bounces process` lists them)",
            style="yellow",
            highlight=False,
            soft_wrap=True,
        )
    for job in jobs:
        health = job.health
        if health.verdict not in FINE:
            screen.print(
                f"[bold]{job.job}[/bold] {health.verdict}: {escape(health.reason)}",
                highlight=False,
                soft_wrap=True,
            )
        if job.alert:
            screen.print(
                f"[bold]{job.job}[/bold] alert {alert_text(job.alert, when)}",
                highlight=False,
                soft_wrap=True,
            )


def _issues_table(issues: list[IssueStatus], when: LocalTimes, wide: bool) -> Table:
    drops = {
        DeliveryState.QUEUED: 0,
        DeliveryState.CLAIMED: 5,
        DeliveryState.RETRY: 3,
        DeliveryState.FAILED: 1,
        DeliveryState.SKIPPED: 4,
    }
    columns = [
        Column("issue"),
        Column("state"),
        Column("approved by", 6),
        *(Column(k, drops.get(k, 0), "right") for k in DELIVERY_STATES),
        Column("in doubt", 2, "right"),
        Column("sent at", 7),
    ]
    rows = [
        [
            f"{issue.number} ({issue.slug})",
            issue.state,
            issue.approved_by or "-",
            *(str(issue.deliveries[k]) for k in DELIVERY_STATES),
            str(issue.in_doubt),
            when(issue.sent_at, "-"),
        ]
        for issue in issues
    ]
    return fit("Issues (newest first) and their deliveries", columns, rows, wide)


def _sources_table(rows: list[SourceStatus], when: LocalTimes, wide: bool) -> Table:
    drops = {"updated": 3, "unchanged": 4, "quarantined": 5, "failed": 1}
    columns = [
        Column("source"),
        Column("last run"),
        Column("outcome"),
        *(Column(k, drops.get(k, 0), "right") for k in COUNTS_SHOWN),
        Column("last success", 6),
        Column("watermark", 7),
        Column("next due", 2),
    ]
    cells = []
    for row in rows:
        counts = row.last_counts
        cells.append(
            [
                row.source,
                when(row.last_started),
                _outcome(row.last_outcome),
                *(str(counts.get(k, "")) if counts else "" for k in COUNTS_SHOWN),
                when(row.last_success),
                row.watermark or "",
                when(row.next_due),
            ]
        )
    return fit(f"Sources (times in {when.zone})", columns, cells, wide)


def _jobs_table(jobs: list[JobStatus], when: LocalTimes, wide: bool) -> Table:
    columns = [
        Column("job"),
        Column("health"),
        Column("last run"),
        Column("outcome", 2),
        Column("last success", 4),
        Column("last failure", 5),
        Column("next run", 1),
    ]
    rows = [
        [
            job.job,
            _verdict(job.health.verdict),
            when(job.last_started),
            _outcome("running" if job.running else job.last_outcome),
            when(job.health.last_success),
            when(job.health.last_failure),
            when(job.next_run) if job.next_run else "not scheduled",
        ]
        for job in jobs
    ]
    return fit(f"Jobs (times in {when.zone})", columns, rows, wide)


def _as_json(sources: list[SourceStatus], jobs: list[JobStatus]) -> dict[str, Any]:
    return {
        "sources": [asdict(row) for row in sources],
        "jobs": [
            {
                "job": job.job,
                "health": job.health.verdict,
                "reason": job.health.reason,
                "streak": job.health.streak,
                "running": job.running,
                "last_run": job.last_started,
                "last_outcome": job.last_outcome,
                "last_success": job.health.last_success,
                "last_failure": job.health.last_failure,
                "last_error": job.health.last_error,
                "next_run": job.next_run,
                "alert_open_since": job.alert["opened_at"] if job.alert else None,
            }
            for job in jobs
        ],
    }


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _outcome(value: str | None) -> str:
    colours = {
        "ok": "green",
        "partial": "yellow",
        "failed": "red",
        "running": "cyan",
        "interrupted": "magenta",
    }
    return f"[{colours.get(value or '', 'white')}]{value or '-'}[/]"


def _verdict(value: str) -> str:
    colours: dict[str, str] = {Verdict.OK: "green", Verdict.QUIET: "green",
               Verdict.PARTIAL: "yellow", Verdict.FAILING: "yellow"}  # fmt: skip
    return f"[{colours.get(value, 'red' if value in ALARMING else 'white')}]{value}[/]"
