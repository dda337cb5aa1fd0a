"""Reading run history for the health verdicts: crawl jobs from the crawl runs of their source
(so a crawl started by hand counts too), every other job from its job runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select

from etl.crontab import previous_fire
from etl.db.models import CrawlRun, JobRun
from etl.ops.health import Health, RunFacts, judge
from etl.settings import Settings

crawl_runs = CrawlRun.__table__
job_runs = JobRun.__table__
DEPTH = 20  # runs read per job: enough for streaks and "the history says otherwise"


def run_history(conn: Connection, job: str, limit: int = DEPTH) -> list[RunFacts]:
    """The newest runs of `job`, newest first."""
    if job.startswith("crawl:"):
        query = (
            select(crawl_runs)
            .where(crawl_runs.c.source == job.removeprefix("crawl:"), crawl_runs.c.mode == "crawl")
            .order_by(crawl_runs.c.started_at.desc(), crawl_runs.c.id.desc())
            .limit(limit)
        )
        return [
            RunFacts(row.started_at, row.outcome, row.error, row.fetched, row.new)
            for row in conn.execute(query)
        ]
    query = (
        select(job_runs)
        .where(job_runs.c.job == job)
        .order_by(job_runs.c.started_at.desc(), job_runs.c.id.desc())
        .limit(limit)
    )
    return [RunFacts(row.started_at, row.outcome, row.error) for row in conn.execute(query)]


def due_time(settings: Settings, job: str, now: datetime) -> datetime | None:
    """When the job was last due on its schedule (None: not scheduled)."""
    cron = settings.scheduled_jobs().get(job)
    return previous_fire(cron, settings.schedule.timezone, now) if cron else None


def grace(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.schedule.misfire_grace_minutes)


def job_health(engine: Engine, settings: Settings, job: str, now: datetime) -> Health:
    with engine.connect() as conn:
        return health_of(settings, job, run_history(conn, job), now)


def health_of(settings: Settings, job: str, runs: list[RunFacts], now: datetime) -> Health:
    """The verdict on `job` from its runs (newest first), with the settings' thresholds."""
    return judge(
        runs,
        now,
        after_failures=settings.alerts.after_failures,
        due=due_time(settings, job, now),
        grace=grace(settings),
    )


def known_jobs(settings: Settings) -> list[str]:
    """Jobs to report on: the scheduled ones, and a crawl job per enabled source."""
    crawls = [f"crawl:{name}" for name in settings.source_names()]
    return list(dict.fromkeys([*crawls, *settings.scheduled_jobs()]))
