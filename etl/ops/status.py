"""The facts behind `mscwatch status`, as plain data that the CLI (and later the web) renders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, select

from etl.db.models import CrawlRun, SourceCursor
from etl.errors import ConfigError
from etl.settings import Settings

runs = CrawlRun.__table__
cursors = SourceCursor.__table__


@dataclass
class SourceStatus:
    source: str
    last_started: datetime | None = None
    last_outcome: str | None = None
    last_counts: dict[str, int] | None = None
    last_error: str | None = None
    last_success: datetime | None = None
    watermark: str | None = None
    next_due: datetime | None = None


def source_status(engine: Engine, settings: Settings, now: datetime) -> list[SourceStatus]:
    """One entry per enabled source, and per source seen in the run log."""
    with engine.connect() as conn:
        last = {}
        success = {}
        for row in conn.execute(select(runs).order_by(runs.c.started_at, runs.c.id)):
            last[row.source] = row
            if row.outcome in ("ok", "partial"):
                success[row.source] = row.finished_at
        marks = {row.source: row.cursor for row in conn.execute(select(cursors))}
    names = list(dict.fromkeys([*settings.source_names(), *last]))
    result = []
    for name in names:
        item = SourceStatus(name, watermark=_watermark(marks.get(name)))
        row = last.get(name)
        if row is not None:
            item.last_started = row.started_at
            item.last_outcome = row.outcome
            item.last_error = row.error
            item.last_counts = {
                key: getattr(row, key)
                for key in (
                    "fetched",
                    "new",
                    "updated",
                    "unchanged",
                    "deleted",
                    "quarantined",
                    "failed",
                )
            }
        item.last_success = success.get(name)
        item.next_due = next_due(settings, f"crawl:{name}", now)
        result.append(item)
    return result


def next_due(settings: Settings, job: str, now: datetime) -> datetime | None:
    """Next fire time of a scheduled job, or None when the job is not scheduled."""
    expression = settings.schedule.jobs.get(job)
    if not expression:
        return None
    try:
        trigger = CronTrigger.from_crontab(expression, timezone=settings.schedule.timezone)
    except ValueError as exc:
        raise ConfigError(
            f"{settings.config_dir / 'schedule.toml'}: schedule.jobs.{job!r}: "
            f"{expression!r} is not a valid crontab expression: {exc}",
            'five fields: minute hour day month day-of-week, e.g. "0 6 * * mon-fri"',
        ) from None
    return trigger.get_next_fire_time(None, now)


def _watermark(cursor: dict[str, Any] | None) -> str | None:
    if not cursor:
        return None
    parts = []
    for key, value in sorted(cursor.items()):
        if isinstance(value, dict):  # per-feed state: say how many, and how many are disabled
            off = sum(
                1 for state in value.values() if isinstance(state, dict) and state.get("disabled")
            )
            parts.append(f"{len(value)} {key}" + (f" ({off} disabled)" if off else ""))
        else:
            parts.append(f"{key} {value}")
    return ", ".join(parts)
