"""Reading run history for the health verdicts: crawl jobs from the crawl runs of their source
(so a crawl started by hand counts too), every other job from its job runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select

from etl.crontab import previous_fire
from etl.db.models import CrawlRun, JobRun
from etl.db.states import Outcome
from etl.ops.health import Health, RunFacts, judge
from etl.problems import Problem
from etl.settings import Settings
from etl.works.store import load_cursor

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


def news_times(conn: Connection, job: str, limit: int = 10) -> list[datetime] | None:
    """When the newest crawl runs that brought something new started, newest first, however far
    back (None for jobs that do not fetch): the history a long silence is measured against."""
    if not job.startswith("crawl:"):
        return None
    query = (
        select(crawl_runs.c.started_at)
        .where(
            crawl_runs.c.source == job.removeprefix("crawl:"),
            crawl_runs.c.mode == "crawl",
            crawl_runs.c.outcome.in_((Outcome.OK, Outcome.PARTIAL)),
            crawl_runs.c.new > 0,
        )
        .order_by(crawl_runs.c.started_at.desc(), crawl_runs.c.id.desc())
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


def disabled_part(conn: Connection, settings: Settings, job: str) -> Problem | None:
    """What a source stopped fetching by itself and waits for the operator about: the
    configured feeds its cursor marks gone (410)."""
    if job != "crawl:feed" or settings.sources.feed is None:
        return None
    from etl.sources.feed.source import disabled_feeds

    cursor = load_cursor(conn, "feed")
    gone = disabled_feeds(settings.sources.feed, cursor)
    if not gone:
        return None
    feeds = tuple(
        Problem("health_disabled_feed", name=name, reason=reason) for name, reason in gone.items()
    )
    return Problem("health_disabled", feeds=feeds)


def job_facts(
    conn: Connection, settings: Settings, job: str
) -> tuple[list[RunFacts], dict[str, Any]]:
    """Everything the verdict reads from the database: the runs, and `judge`'s other facts."""
    extra = {"news": news_times(conn, job), "disabled": disabled_part(conn, settings, job)}
    return run_history(conn, job), extra


def due_time(settings: Settings, job: str, now: datetime) -> datetime | None:
    """When the job was last due on its schedule (None: not scheduled)."""
    cron = settings.scheduled_jobs().get(job)
    return previous_fire(cron, settings.schedule.timezone, now) if cron else None


def grace(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.schedule.misfire_grace_minutes)


def job_health(engine: Engine, settings: Settings, job: str, now: datetime) -> Health:
    with engine.connect() as conn:
        runs, extra = job_facts(conn, settings, job)
    return health_of(settings, job, runs, now, **extra)


def health_of(
    settings: Settings, job: str, runs: list[RunFacts], now: datetime, **extra: Any
) -> Health:
    """The verdict on `job` from its runs (newest first), with the settings' thresholds;
    `extra` is what `job_facts` read besides the runs."""
    return judge(
        runs,
        now,
        after_failures=settings.alerts.after_failures,
        due=due_time(settings, job, now),
        grace=grace(settings),
        **extra,
    )


def known_jobs(settings: Settings) -> list[str]:
    """Jobs to report on: the scheduled ones, and a crawl job per enabled source."""
    crawls = [f"crawl:{name}" for name in settings.source_names()]
    return list(dict.fromkeys([*crawls, *settings.scheduled_jobs()]))
