"""The record of job runs: started, finished, and those whose process died on the way."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select, update

from etl.db.models import CrawlRun, JobRun
from etl.db.states import Outcome

job_runs = JobRun.__table__
crawl_runs = CrawlRun.__table__


def start(engine: Engine, job: str, trigger: str, holder: str, now: datetime) -> int:
    statement = job_runs.insert().values(
        job=job, trigger=trigger, holder=holder, started_at=now, outcome=Outcome.RUNNING, counts={}
    )
    with engine.begin() as conn:
        run_id: int = conn.execute(statement.returning(job_runs.c.id)).scalar_one()
    return run_id


def finish(
    engine: Engine,
    run_id: int,
    outcome: str,
    counts: dict[str, Any],
    error: str | None,
    now: datetime,
) -> None:
    values = {"outcome": outcome, "counts": counts, "error": error, "finished_at": now}
    with engine.begin() as conn:
        conn.execute(update(job_runs).where(job_runs.c.id == run_id).values(**values))


def close_abandoned(engine: Engine, job: str, now: datetime) -> int:
    """Runs of `job` still marked running once the caller holds the job's lock belong to a
    process that died (its lock died with it): they become `interrupted`."""
    statement = (
        update(job_runs)
        .where(job_runs.c.job == job, job_runs.c.outcome == Outcome.RUNNING)
        .values(outcome="interrupted", finished_at=now, error="its process stopped mid-run")
    )
    with engine.begin() as conn:
        return conn.execute(statement).rowcount


def running(engine: Engine, job: str) -> dict[str, Any] | None:
    """The run of `job` marked running, newest first: who started it and when."""
    query = (
        select(job_runs)
        .where(job_runs.c.job == job, job_runs.c.outcome == Outcome.RUNNING)
        .order_by(job_runs.c.started_at.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def last_completed(engine: Engine) -> dict[str, datetime]:
    """When each job's latest run that went to its end started (a run stopped by a signal or
    a crash did not): what start-up catch-up compares with its last scheduled time."""
    query = (
        select(job_runs.c.job, func.max(job_runs.c.started_at))
        .where(job_runs.c.outcome.in_((Outcome.OK, Outcome.PARTIAL, Outcome.FAILED)))
        .group_by(job_runs.c.job)
    )
    with engine.connect() as conn:
        return {job: started for job, started in conn.execute(query)}
