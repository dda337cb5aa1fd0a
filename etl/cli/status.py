"""`mscwatch status`: how every source and job is: last runs, health, what is due, open alerts."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

import typer
from rich.console import JustifyMethod
from rich.markup import escape
from rich.table import Table

from etl import clock
from etl.cli.common import engine, out, settings
from etl.db.states import Verdict
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
)
from etl.settings import Settings


def status(
    as_json: bool = typer.Option(False, "--json", help="JSON for monitoring, not tables."),
) -> None:
    """Show each source's last run and watermark, and each job's health and next run."""
    print_status(settings(), as_json)


def print_status(config: Settings, as_json: bool = False) -> None:
    built = engine(config)
    now = clock.now()
    when = LocalTimes.of(config)
    sources = source_status(built, config, now)
    jobs = job_status(built, config, now)
    issues = issue_status(built)
    if as_json:
        shown = _as_json(sources, jobs) | {"issues": [asdict(issue) for issue in issues]}
        out.print_json(json.dumps(shown, default=_iso, ensure_ascii=False))
        return
    out.print(_sources_table(sources, when))
    for row in sources:
        if row.last_error:
            out.print(
                f"[bold]{row.source}[/bold] last error: {escape(row.last_error)}",
                highlight=False,
                soft_wrap=True,
            )
    out.print(_jobs_table(jobs, when))
    if issues:
        out.print(_issues_table(issues, when))
        for issue in issues:
            if issue.next_retry:
                out.print(
                    f"issue {issue.number}: {issue.deliveries['retry']} deliveries wait for a "
                    f"retry, the next at {when(issue.next_retry)}",
                    highlight=False,
                )
    for job in jobs:
        health = job.health
        if health.verdict not in FINE:
            out.print(
                f"[bold]{job.job}[/bold] {health.verdict}: {escape(health.reason)}",
                highlight=False,
                soft_wrap=True,
            )
        if job.alert:
            out.print(
                f"[bold]{job.job}[/bold] alert {alert_text(job.alert, when)}",
                highlight=False,
                soft_wrap=True,
            )


def _issues_table(issues: list[IssueStatus], when: LocalTimes) -> Table:
    table = Table(title="Issues (newest first) and their deliveries", title_justify="left")
    for column in ("issue", "state", "approved by", *DELIVERY_STATES, "in doubt", "sent at"):
        justify: JustifyMethod = (
            "right" if column in DELIVERY_STATES or column == "in doubt" else "left"
        )
        table.add_column(column, justify=justify)
    for issue in issues:
        table.add_row(
            f"{issue.number} ({issue.slug})",
            issue.state,
            issue.approved_by or "-",
            *(str(issue.deliveries[k]) for k in DELIVERY_STATES),
            str(issue.in_doubt),
            when(issue.sent_at, "-"),
        )
    return table


def _sources_table(rows: list[SourceStatus], when: LocalTimes) -> Table:
    table = Table(title=f"Sources (times in {when.zone})", title_justify="left")
    for column in (
        "source",
        "last run",
        "outcome",
        *COUNTS_SHOWN,
        "last success",
        "watermark",
        "next due",
    ):
        table.add_column(column, justify="right" if column in COUNTS_SHOWN else "left")
    for row in rows:
        counts = row.last_counts
        table.add_row(
            row.source,
            when(row.last_started),
            _outcome(row.last_outcome),
            *(str(counts.get(k, "")) if counts else "" for k in COUNTS_SHOWN),
            when(row.last_success),
            row.watermark or "",
            when(row.next_due),
        )
    return table


def _jobs_table(jobs: list[JobStatus], when: LocalTimes) -> Table:
    table = Table(title=f"Jobs (times in {when.zone})", title_justify="left")
    for column in ("job", "health", "last run", "outcome", "last success", "last failure"):
        table.add_column(column)
    table.add_column("next run")
    for job in jobs:
        outcome = "running" if job.running else job.last_outcome
        table.add_row(
            job.job,
            _verdict(job.health.verdict),
            when(job.last_started),
            _outcome(outcome),
            when(job.health.last_success),
            when(job.health.last_failure),
            when(job.next_run) if job.next_run else "not scheduled",
        )
    return table


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
