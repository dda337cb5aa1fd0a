"""Running one job: under its lock, recorded, logged in one line, and its alert reviewed.

The daemon and `mscwatch run --job` both come through here, so a job behaves the same however
it was started. The lock (etl/db/locks.py) dies with its process, so a crashed run never blocks
the next one; its record, left `running`, becomes `interrupted` when the next run takes the lock.
"""

from __future__ import annotations

import logging
import time

from etl.db import locks
from etl.db.states import Outcome
from etl.errors import EtlError
from etl.ops.alerts import review_job
from etl.scheduler import runs
from etl.scheduler.jobs import JobContext, JobResult, body

log = logging.getLogger("etl.jobs")


def run_job(ctx: JobContext, job: str, trigger: str = "schedule") -> JobResult:
    """Run `job` unless another process runs it now (then: skipped, saying who)."""
    with locks.hold(ctx.engine, locks.job_lock(job)) as got:
        if not got:
            who = holder(ctx, job)
            log.warning("%s is already running (%s): this run is skipped", job, who)
            return JobResult("skipped", error=f"already running: {who}")
        return _run_held(ctx, job, trigger)


def holder(ctx: JobContext, job: str) -> str:
    """Who runs `job` now: the lock's holder, and the run it recorded."""
    who = locks.holder(ctx.engine, locks.job_lock(job))
    current = runs.running(ctx.engine, job)
    if current is not None:
        started = current["started_at"].astimezone().strftime("%Y-%m-%d %H:%M:%S")
        who += f"; its {current['trigger']} run started {started}"
    return who


def _run_held(ctx: JobContext, job: str, trigger: str) -> JobResult:
    started = ctx.clock()
    abandoned = runs.close_abandoned(ctx.engine, job, started)
    if abandoned:
        log.info("%s: %d earlier run(s) had died mid-way; marked interrupted", job, abandoned)
    run_id = runs.start(ctx.engine, job, trigger, locks.holder_description(), started)
    clock = time.monotonic()
    try:
        result = body(job)(ctx)
    except EtlError as exc:
        result = JobResult("failed", error=exc.message)
    except Exception as exc:  # a bug must not kill the daemon; the traceback goes to the log
        log.exception("%s failed unexpectedly", job)
        result = JobResult("failed", error=f"{type(exc).__name__}: {exc}")
    runs.finish(ctx.engine, run_id, result.outcome, result.counts, result.error, ctx.clock())
    seconds = time.monotonic() - clock
    level = logging.ERROR if result.outcome == Outcome.FAILED else logging.INFO
    log.log(
        level,
        "%s %s in %.1fs: %s",
        job,
        result.outcome,
        seconds,
        result.summary() or "nothing to do",
        extra={
            "job": job,
            "trigger": trigger,
            "outcome": result.outcome,
            "counts": result.counts,
            "seconds": round(seconds, 3),
            "error": result.error,
        },
    )
    if job != "health:check":
        review_job(ctx.engine, ctx.settings, job, ctx.clock(), ctx.transport)
    return result
