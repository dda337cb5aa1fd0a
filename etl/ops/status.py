"""The facts behind `mscwatch status`, as plain data that the CLI (and later the web) renders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from etl.crontab import next_fire
from etl.db.locks import crawl_lock, is_held, job_lock
from etl.db.models import CrawlRun, DigestIssue, SourceCursor
from etl.db.states import DeliveryState, Outcome
from etl.mail import deliveries
from etl.mail.returns import recent_unmatched
from etl.ops.alerts import open_alerts
from etl.ops.health import Health
from etl.ops.history import health_of, job_facts, known_jobs
from etl.problems import Problem
from etl.settings import Settings

runs = CrawlRun.__table__
cursors = SourceCursor.__table__

COUNTS_SHOWN = ("new", "updated", "unchanged", "quarantined", "failed")
"""The run counts a status table shows, in order (fetched and deleted stay in the JSON)."""


@dataclass(frozen=True)
class LocalTimes:
    """Times as operators read them: in the schedule's timezone, the one the crontab lines
    are written in."""

    zone: ZoneInfo

    @classmethod
    def of(cls, settings: Settings) -> LocalTimes:
        return cls(ZoneInfo(settings.schedule.timezone))

    def __call__(self, value: datetime | None, never: str = "never") -> str:
        return value.astimezone(self.zone).strftime("%Y-%m-%d %H:%M") if value else never


def alert_text(alert: dict[str, Any], when: LocalTimes) -> Problem:
    code = "alert_open_mailed" if alert["notified_at"] else "alert_open_unmailed"
    return Problem(code, since=when(alert["opened_at"]))


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
        for run in conn.execute(select(runs).order_by(runs.c.started_at, runs.c.id)):
            last[run.source] = run
            if run.outcome in (Outcome.OK, Outcome.PARTIAL):
                success[run.source] = run.finished_at
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
    """Next fire time of a scheduled job, or None when the job is not scheduled (settings
    validated the expression already)."""
    expression = settings.scheduled_jobs().get(job)
    return next_fire(expression, settings.schedule.timezone, now) if expression else None


@dataclass
class JobStatus:
    job: str
    health: Health
    running: bool
    last_started: datetime | None
    last_outcome: str | None
    next_run: datetime | None
    alert: dict[str, Any] | None


def job_status(engine: Engine, settings: Settings, now: datetime) -> list[JobStatus]:
    """One entry per known job: its verdict, whether it runs now, and its open alert."""
    alerts = {alert["subject"]: alert for alert in open_alerts(engine)}
    result = []
    with engine.connect() as conn:
        histories = {job: job_facts(conn, settings, job) for job in known_jobs(settings)}
    for job, (runs, extra) in histories.items():
        health = health_of(settings, job, runs, now, **extra)
        source = job.removeprefix("crawl:")
        running = is_held(engine, job_lock(job)) or (
            source != job and is_held(engine, crawl_lock(source))
        )
        result.append(
            JobStatus(
                job,
                health,
                running,
                runs[0].started_at if runs else None,
                runs[0].outcome if runs else None,
                next_due(settings, job, now),
                alerts.get(job),
            )
        )
    return result


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


DELIVERY_STATES = tuple(DeliveryState)
"""The delivery counts an issue row shows, in order."""


@dataclass
class IssueStatus:
    number: int
    slug: str
    state: str
    approved_by: str
    sent_at: datetime | None
    deliveries: dict[str, int]
    in_doubt: int
    next_retry: datetime | None


def issue_status(engine: Engine, limit: int = 3) -> list[IssueStatus]:
    """The newest issues and where their deliveries stand: whether the week's issue went out,
    is going out, or is stuck (failures, retries waiting) is the other half of "is it healthy"."""
    issues = DigestIssue.__table__
    found = []
    with engine.connect() as conn:
        query = select(issues).order_by(issues.c.number.desc()).limit(limit)
        for row in conn.execute(query).mappings():
            standing = deliveries.summary(conn, row["id"])
            found.append(
                IssueStatus(
                    number=row["number"],
                    slug=row["slug"],
                    state=row["state"],
                    approved_by=row["approved_by"] or "",
                    sent_at=row["sent_at"],
                    deliveries={k: standing["states"].get(k, 0) for k in DELIVERY_STATES},
                    in_doubt=standing["in_doubt"],
                    next_retry=standing["next_retry"],
                )
            )
    return found


def unmatched_reports(engine: Engine, now: datetime) -> int:
    """Returned reports of the last weeks that could not be tied to our mail: many of them
    mean someone is sending forged reports, or the return path is misconfigured."""
    with engine.connect() as conn:
        return recent_unmatched(conn, now)
