"""`mscwatch status`: how every source and job is: last runs, health, what is due, open alerts."""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from etl import clock
from etl.cli.common import engine, out, settings
from etl.ops.status import JobStatus, SourceStatus, job_status, source_status
from etl.settings import Settings


def status(
    as_json: bool = typer.Option(False, "--json", help="JSON for monitoring, not tables."),
) -> None:
    """Show each source's last run and watermark, and each job's health and next run."""
    print_status(settings(), as_json)


def print_status(config: Settings, as_json: bool = False) -> None:
    built = engine(config)
    now = clock.now()
    _zone.set(ZoneInfo(config.schedule.timezone))
    sources = source_status(built, config, now)
    jobs = job_status(built, config, now)
    if as_json:
        out.print_json(json.dumps(_as_json(sources, jobs), default=_iso, ensure_ascii=False))
        return
    out.print(_sources_table(sources))
    for row in sources:
        if row.last_error:
            out.print(
                f"[bold]{row.source}[/bold] last error: {escape(row.last_error)}",
                highlight=False,
                soft_wrap=True,
            )
    out.print(_jobs_table(jobs))
    for job in jobs:
        health = job.health
        if health.verdict not in ("ok", "quiet", "never run"):
            out.print(
                f"[bold]{job.job}[/bold] {health.verdict}: {escape(health.reason)}",
                highlight=False,
                soft_wrap=True,
            )
        if job.alert:
            mailed = "operators mailed" if job.alert["notified_at"] else "not mailed"
            out.print(
                f"[bold]{job.job}[/bold] alert open since {_when(job.alert['opened_at'])} "
                f"({mailed})",
                highlight=False,
                soft_wrap=True,
            )


def _sources_table(rows: list[SourceStatus]) -> Table:
    table = Table(title=f"Sources (times in {_zone.get()})", title_justify="left")
    for column in (
        "source",
        "last run",
        "outcome",
        *_NUMBERS,
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
    return table


def _jobs_table(jobs: list[JobStatus]) -> Table:
    zone = _zone.get()
    table = Table(title=f"Jobs (times in {zone})", title_justify="left")
    for column in ("job", "health", "last run", "outcome", "last success", "last failure"):
        table.add_column(column)
    table.add_column("next run")
    for job in jobs:
        outcome = "running" if job.running else job.last_outcome
        table.add_row(
            job.job,
            _verdict(job.health.verdict),
            _when(job.last_started),
            _outcome(outcome),
            _when(job.health.last_success),
            _when(job.health.last_failure),
            _when(job.next_run) if job.next_run else "not scheduled",
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


_NUMBERS = ("new", "updated", "unchanged", "quarantined", "failed")


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _when(value: datetime | None) -> str:
    return value.astimezone(_zone.get()).strftime("%Y-%m-%d %H:%M") if value else "never"


# Times are shown in the schedule's timezone, the one the crontab lines are written in.
_zone: ContextVar[ZoneInfo | None] = ContextVar("zone", default=None)


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
    colours = {"ok": "green", "quiet": "green", "partial": "yellow", "failing": "yellow"}
    return f"[{colours.get(value, 'red' if value in ('broken', 'late') else 'white')}]{value}[/]"
