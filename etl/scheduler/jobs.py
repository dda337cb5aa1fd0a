"""What each job does: thin calls into the same functions the commands use.

A job returns a `JobResult`; raising an `EtlError` is a failed run with that message. Jobs
check `ctx.stop` where they can stop cleanly (between crawl batches, between messages), so
SIGTERM never leaves half a batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from etl.classify.service import Classifier
from etl.db import locks
from etl.db.states import SENDABLE_STATES, Outcome
from etl.digest.service import Digest
from etl.errors import DigestError
from etl.mail.bounces import read_path
from etl.mail.returns import apply_readings
from etl.mail.transport import Transport
from etl.ops.alerts import review_job
from etl.ops.history import known_jobs
from etl.pipeline.crawl import run_crawl
from etl.scheduler.stop import StopSignal
from etl.settings import Settings


@dataclass
class JobContext:
    settings: Settings
    engine: Engine
    clock: Callable[[], datetime]
    stop: StopSignal
    transport: Callable[[], Transport]  # the mail relay or outbox, opened when needed


@dataclass
class JobResult:
    outcome: str = Outcome.OK
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def summary(self) -> str:
        counts = ", ".join(f"{value} {key}" for key, value in self.counts.items())
        return f"{counts} ({self.error})" if self.error else counts


def crawl(source: str, ctx: JobContext) -> JobResult:
    classifier = Classifier.from_settings(ctx.settings)
    (result,) = run_crawl(
        ctx.engine,
        ctx.settings,
        [source],
        ctx.clock(),
        classifier=classifier,
        stop=ctx.stop.is_set,
    )
    return JobResult(result.outcome, result.counts.as_dict(), result.error)


def digest_build(ctx: JobContext) -> JobResult:
    digest = _digest(ctx)
    now = ctx.clock()
    period = digest.period(None, now)
    try:
        outcome = digest.build(period, now)
    except DigestError:
        issue = _issue_for(digest, period.slug)
        if issue is None or issue["state"] == "draft":
            raise
        return JobResult(counts={"issue": issue["number"], "state": issue["state"]})
    if outcome.issue is None:
        return JobResult(counts={"items": 0})
    return JobResult(counts={"issue": outcome.issue["number"], "items": outcome.items})


def digest_send(ctx: JobContext) -> JobResult:
    """Send every approved (or half-sent) issue; with auto_send, approve the draft of the
    period that ended first. A draft nobody approved is reported, not sent."""
    digest = _digest(ctx)
    counts: dict[str, Any] = {"issues": 0, "sent": 0, "deferred": 0, "failed": 0}
    period = digest.period(None, ctx.clock())
    draft = _issue_for(digest, period.slug)
    if draft is not None and draft["state"] == "draft":
        if ctx.settings.schedule.auto_send:
            digest.approve(draft["slug"], "auto-send", ctx.clock())
        else:
            counts["waiting"] = draft["number"]  # a draft past the cut-off: editors' call
    due = [i for i in reversed(digest.list()) if i["state"] in SENDABLE_STATES]
    if not due:
        return JobResult(counts=counts)
    transport = ctx.transport()
    try:
        for issue in due:
            if ctx.stop.is_set():
                return JobResult("stopped", counts)
            _, report, standing = digest.send(
                issue["slug"], transport, ctx.clock, started=lambda s: ctx.stop.on_stop(s.stop)
            )
            counts["issues"] += 1
            counts["sent"] += report.sent
            counts["deferred"] += report.deferred
            counts["failed"] += report.failed
    finally:
        transport.close()
    return JobResult("stopped" if ctx.stop.is_set() else "ok", counts)


def archive_build(ctx: JobContext) -> JobResult:
    digest = _digest(ctx)
    from etl.studies.service import build_archive

    return JobResult(counts={"pages": build_archive(digest, ctx.settings.archive_dir)})


def bounces_process(ctx: JobContext) -> JobResult:
    settings = ctx.settings
    readings = read_path(Path(settings.mail.bounce_mailbox), settings.mail.unsubscribe_mailto)
    report = apply_readings(ctx.engine, settings, readings, ctx.clock())
    counts = {"messages": report.messages, **dict(report.events), "changed": len(report.changed)}
    return JobResult(counts=counts)


def health_check(ctx: JobContext) -> JobResult:
    """Review every other job's alert: the one place a job that stopped running at all (a
    daemon down, a schedule lost) is noticed. A job running now is left to its own run."""
    verdicts: dict[str, Any] = {}
    for job in known_jobs(ctx.settings):
        if job == "health:check":
            continue
        with locks.hold(ctx.engine, locks.job_lock(job)) as got:
            if not got:
                continue
            health = review_job(ctx.engine, ctx.settings, job, ctx.clock(), ctx.transport)
            verdicts[health.verdict] = verdicts.get(health.verdict, 0) + 1
    return JobResult(counts=verdicts)


def body(job: str) -> Callable[[JobContext], JobResult]:
    """The function a job id runs."""
    if job.startswith("crawl:"):
        source = job.removeprefix("crawl:")
        return lambda ctx: crawl(source, ctx)
    return {
        "digest:build": digest_build,
        "digest:send": digest_send,
        "archive:build": archive_build,
        "bounces:process": bounces_process,
        "health:check": health_check,
    }[job]


def _digest(ctx: JobContext) -> Digest:
    return Digest.open(ctx.settings, ctx.engine)


def _issue_for(digest: Digest, slug: str) -> dict[str, Any] | None:
    return next((issue for issue in digest.list() if issue["slug"] == slug), None)
