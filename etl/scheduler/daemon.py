"""`mscwatch run`: APScheduler 3 in the background, the main thread waiting for a signal.

Jobs live in memory and are re-added from config/schedule.toml at every start, with stable ids;
what a persistent job store would remember (did the 06:00 run happen before the restart?) is
read from the job runs instead, so a run missed during downtime still happens, once, at start-up
when it is within the misfire grace. Several daemons may run against one PostgreSQL: each job
takes its lock, and the second daemon to reach a job skips it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from etl.crontab import parse_cron, previous_fire
from etl.scheduler import runs
from etl.scheduler.jobs import JobContext
from etl.scheduler.runner import run_job

log = logging.getLogger("etl.scheduler")


def catch_up(
    schedule: dict[str, str],
    timezone: str,
    last_completed: dict[str, datetime],
    now: datetime,
    grace: timedelta,
) -> list[str]:
    """Jobs whose last time passed within the grace with no complete run since (the daemon
    was down, or a restart cut the run short): run them at start."""
    due = []
    for job, cron in schedule.items():
        fired = previous_fire(cron, timezone, now)
        if fired is None or now - fired > grace:
            continue
        started = last_completed.get(job)
        if started is None or started < fired:
            due.append(job)
    return due


class Daemon:
    """The scheduler and the jobs it runs; `start`, then `stop` from a signal handler."""

    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        settings = ctx.settings
        self.grace = timedelta(minutes=settings.schedule.misfire_grace_minutes)
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(settings.schedule.workers)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(self.grace.total_seconds()),
            },
            timezone=settings.schedule.timezone,
        )
        self.scheduler.add_listener(self._missed, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)

    def start(self) -> list[str]:
        """Add every job and start; returns the jobs run at once to catch up."""
        settings = self.ctx.settings
        schedule = settings.scheduled_jobs()
        zone = settings.schedule.timezone
        for job, cron in schedule.items():
            self.scheduler.add_job(
                run_job,
                parse_cron(cron, zone),
                args=(self.ctx, job, "schedule"),
                id=job,
                name=job,
                replace_existing=True,
            )
        now = self.ctx.clock()
        late = catch_up(schedule, zone, runs.last_completed(self.ctx.engine), now, self.grace)
        for job in late:
            self.scheduler.add_job(
                run_job, "date", run_date=now, args=(self.ctx, job, "catch-up"), id=f"{job}@start"
            )
        self.scheduler.start()
        for job in self.scheduler.get_jobs():
            if "@" not in job.id:
                log.info("%s: next run %s", job.id, job.next_run_time.isoformat())
        skipped = sorted(set(settings.schedule.jobs) - set(schedule))
        if skipped:
            log.info("not scheduled (source not enabled): %s", ", ".join(skipped))
        return late

    def stop(self) -> None:
        """Ask running jobs to stop at their next safe point, then wait for them."""
        self.ctx.stop.set()
        self.scheduler.shutdown(wait=True)

    def _missed(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning("%s: missed a run (busy or down past the grace)", event.job_id)
        else:
            log.warning("%s: still running from its last time; this run is skipped", event.job_id)
