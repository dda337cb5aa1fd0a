"""Jobs as the daemon runs them, on both databases: recorded, one at a time across processes,
and the operators mailed once when a job breaks and once when it recovers (through a real SMTP
server), not at every run."""

from __future__ import annotations

import email
import email.policy
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from etl.db import locks
from etl.db.models import Alert, CrawlRun, JobRun
from etl.digest.service import Digest
from etl.mail.transport import open_transport
from etl.ops.status import job_status
from etl.pipeline.crawl import run_crawl
from etl.replay import Corpus, ReplayServer, synthetic_article
from etl.replay.feeds import FeedServer
from etl.scheduler import runs
from etl.scheduler.jobs import JobContext
from etl.scheduler.runner import run_job
from etl.scheduler.stop import StopSignal
from etl.settings import Settings
from tests.conftest import make_settings
from tests.mail.conftest import SECRET, add_readers, approve_issue
from tests.support.smtp import Rule, SmtpServer

START = date(2026, 9, 1)
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
OPERATORS = ["ops@example.org", "oncall@example.org"]
DAY = timedelta(days=1)
FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Journal</title>'
    b"<link>https://journal.example.org/</link><item><title>Mesenchymal stem cells in glioma"
    b"</title><link>https://doi.org/10.1000/msc.1</link><guid>10.1000/msc.1</guid>"
    b"<pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>"
)


class Clock:
    """A day later at every run, so the history reads like a daily schedule."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def next_day(self) -> None:
        self.now += timedelta(days=1)


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer(Corpus.synthetic(60, START, date(2026, 11, 20))) as srv:
        yield srv


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as relay:
        yield relay


def settings_for(
    db_url: str, tmp_path: Path, server: ReplayServer, relay: SmtpServer, **more: Any
) -> Settings:
    return make_settings(
        db_url,
        SMTP_URL=relay.url,
        SECRET_KEY=SECRET,
        **{
            "paths.var": str(tmp_path / "var"),
            "sources.pubmed.base_url": server.url,
            "sources.pubmed.requests_per_second": 1000,
            "sources.pubmed.start_date": START.isoformat(),
            "sources.ctgov.enabled": False,
            "http.attempts": 1,
            "http.timeout": 2.0,
            "alerts.to": OPERATORS,
            "alerts.after_failures": 2,
            "delivery.failure_streak": 3,
            "delivery.retry_after": 0.01,
            "digest.empty": "notice",
            **more,
        },
    )


@pytest.fixture
def context(
    engine: Engine, db_url: str, tmp_path: Path, server: ReplayServer, smtp: SmtpServer
) -> Callable[..., JobContext]:
    def make(clock: Clock | None = None, **more: Any) -> JobContext:
        settings = settings_for(db_url, tmp_path, server, smtp, **more)
        return JobContext(
            settings, engine, clock or Clock(), StopSignal(), lambda: open_transport(settings)
        )

    return make


def alerts_mailed(relay: SmtpServer) -> list[tuple[str, str]]:
    found = []
    for message in relay.messages:
        parsed = email.message_from_bytes(message.data, policy=email.policy.default)
        if parsed["Subject"].startswith("[mscwatch]"):
            found.append((message.rcpt_tos[0], str(parsed["Subject"])))
    return found


def job_runs(engine: Engine, job: str) -> list[dict[str, Any]]:
    table = JobRun.__table__
    with engine.connect() as conn:
        query = select(table).where(table.c.job == job).order_by(table.c.id)
        return [dict(row) for row in conn.execute(query).mappings()]


def test_a_broken_source_alerts_once_and_its_recovery_once(
    context: Callable[..., JobContext], server: ReplayServer, smtp: SmtpServer, engine: Engine
) -> None:
    clock = Clock()
    ctx = context(clock)
    server.faults.queue("503", times=1000)
    first = run_job(ctx, "crawl:pubmed")
    assert first.outcome == "failed" and "503" in (first.error or "")
    assert alerts_mailed(smtp) == []  # one failure is not yet an incident
    (status,) = [s for s in job_status(engine, ctx.settings, clock()) if s.job == "crawl:pubmed"]
    assert status.health.verdict == "failing" and status.alert is None

    for _ in range(3):
        clock.next_day()
        assert run_job(ctx, "crawl:pubmed").outcome == "failed"
    mailed = alerts_mailed(smtp)
    assert mailed == [(to, "[mscwatch] crawl:pubmed is broken") for to in OPERATORS]
    body = email.message_from_bytes(smtp.messages[0].data, policy=email.policy.default)
    text = body.get_content()
    assert "4 runs in a row" not in text and "2 runs in a row; the last failed" in text
    assert "mscwatch sources check pubmed" in text
    assert body["Auto-Submitted"] == "auto-generated"
    (status,) = [s for s in job_status(engine, ctx.settings, clock()) if s.job == "crawl:pubmed"]
    assert status.health.verdict == "broken" and status.health.streak == 4
    assert status.alert is not None and status.alert["notified_at"] is not None

    server.faults.clear()
    clock.next_day()
    assert run_job(ctx, "crawl:pubmed").outcome == "ok"
    assert alerts_mailed(smtp)[2:] == [
        (to, "[mscwatch] crawl:pubmed works again") for to in OPERATORS
    ]
    clock.next_day()
    run_job(ctx, "crawl:pubmed")
    assert len(alerts_mailed(smtp)) == 4  # nothing more while it works
    with engine.connect() as conn:
        (incident,) = conn.execute(select(Alert.__table__)).mappings()
    assert incident["closed_at"] is not None and incident["recovery_notified_at"] is not None
    assert [r["outcome"] for r in job_runs(engine, "crawl:pubmed")] == ["failed"] * 4 + ["ok"] * 2


def test_an_alert_the_relay_refused_is_mailed_at_the_next_review(
    context: Callable[..., JobContext], server: ReplayServer, smtp: SmtpServer
) -> None:
    clock = Clock()
    ctx = context(clock)
    server.faults.queue("503", times=1000)
    refusal = smtp.add(Rule(match="example.org", reply="451 4.3.0 try later", times=1))
    for _ in range(2):
        run_job(ctx, "crawl:pubmed")
        clock.next_day()
    assert refusal.fired == 1 and alerts_mailed(smtp) == []
    run_job(ctx, "crawl:pubmed")
    assert [subject for _, subject in alerts_mailed(smtp)] == [
        "[mscwatch] crawl:pubmed is broken"
    ] * 2


def test_a_job_running_elsewhere_is_skipped_saying_who(
    context: Callable[..., JobContext], engine: Engine
) -> None:
    ctx = context()
    with locks.hold(engine, "job:digest:build") as got:
        assert got
        holder_run = runs.start(engine, "digest:build", "schedule", "pid 1 on elsewhere", NOW)
        result = run_job(ctx, "digest:build")
    assert result.outcome == "skipped"
    assert "its schedule run started" in (result.error or "")
    assert f"pid {os.getpid()} on" in (result.error or "")  # both databases name the holder
    assert [r["id"] for r in job_runs(engine, "digest:build")] == [holder_run]
    # The holder is gone (its lock with it): the next run marks its record interrupted.
    assert run_job(ctx, "digest:build").outcome == "ok"
    outcomes = [(r["outcome"], r["trigger"]) for r in job_runs(engine, "digest:build")]
    assert outcomes == [("interrupted", "schedule"), ("ok", "schedule")]


def test_a_manual_crawl_skips_a_source_a_job_is_crawling(
    context: Callable[..., JobContext], engine: Engine
) -> None:
    ctx = context()
    with locks.hold(engine, "crawl:pubmed") as got:
        assert got
        (result,) = run_crawl(engine, ctx.settings, ["pubmed"], NOW)
    assert result.outcome == "skipped" and "another crawl is running" in (result.error or "")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(JobRun.__table__)).scalar() == 0
    (again,) = run_crawl(engine, ctx.settings, ["pubmed"], NOW)
    assert again.outcome == "ok" and again.counts.new == 60


def test_a_stop_request_ends_a_crawl_between_batches(
    context: Callable[..., JobContext], engine: Engine, server: ReplayServer
) -> None:
    ctx = context()
    settings = ctx.settings.model_copy(
        update={
            "sources": ctx.settings.sources.model_copy(
                update={"pubmed": ctx.settings.sources.pubmed.model_copy(update={"batch_size": 10})}
            )
        }
    )
    batches = []

    def progress(name: str, text: str, total: int | None, counts: Any) -> None:
        if not text:
            batches.append(counts.fetched)
            if len(batches) == 2:
                ctx.stop.set()

    (result,) = run_crawl(
        engine, settings, ["pubmed"], NOW, progress=progress, stop=ctx.stop.is_set
    )
    assert result.outcome == "stopped" and result.counts.fetched == 20
    assert len(batches) == 2


def test_a_send_that_fails_alerts_at_once(
    context: Callable[..., JobContext], engine: Engine, smtp: SmtpServer
) -> None:
    ctx = context(Clock(datetime(2026, 11, 30, 2, 0, tzinfo=UTC)))
    add_readers(engine, [f"reader{i}@readers.example.net" for i in range(6)])
    approve_issue(Digest.open(ctx.settings, engine))
    smtp.add(Rule(match="readers.example.net", reply="550 5.1.1 no such user"))
    result = run_job(ctx, "digest:send")
    assert result.outcome == "failed" and "3 messages in a row were refused" in result.error
    assert [s for _, s in alerts_mailed(smtp)] == ["[mscwatch] digest:send is failing"] * 2
    body = email.message_from_bytes(smtp.messages[0].data, policy=email.policy.default)
    assert "Readers are waiting" in body.get_content()


def test_health_check_alerts_on_a_job_that_stopped_running(
    context: Callable[..., JobContext], engine: Engine, smtp: SmtpServer
) -> None:
    clock = Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # Monday 09:00 in Shanghai
    ctx = context(clock)
    assert run_job(ctx, "digest:build").outcome == "ok"
    clock.now += timedelta(days=8)  # a Monday 08:00 has passed, and its grace, without a run
    result = run_job(ctx, "health:check")
    assert result.outcome == "ok" and result.counts.get("late") == 1
    assert [s for _, s in alerts_mailed(smtp)] == ["[mscwatch] digest:build is late"] * 2
    run_job(ctx, "health:check")
    assert len(alerts_mailed(smtp)) == 2  # once per incident
    assert run_job(ctx, "digest:build").outcome == "ok"
    assert [s for _, s in alerts_mailed(smtp)][2:] == ["[mscwatch] digest:build works again"] * 2


def test_digest_send_mails_what_editors_approved_or_with_auto_send_the_draft(
    context: Callable[..., JobContext], engine: Engine, smtp: SmtpServer, tmp_path: Path
) -> None:
    clock = Clock(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))  # Monday 09:00 in Shanghai
    ctx = context(clock)
    readers = ["ada@readers.example.net", "bo@readers.example.net"]
    add_readers(engine, readers)
    built = run_job(ctx, "digest:build")
    assert built.outcome == "ok" and built.counts["issue"] == 1
    waiting = run_job(ctx, "digest:send")
    assert waiting.outcome == "ok" and waiting.counts["issues"] == 0
    assert waiting.counts["waiting"] == 1 and smtp.messages == []  # nobody approved it
    auto = context(clock, **{"schedule.auto_send": True})
    sent = run_job(auto, "digest:send")
    assert sent.outcome == "ok" and (sent.counts["issues"], sent.counts["sent"]) == (1, 2)
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == readers
    (issue,) = Digest.open(ctx.settings, engine).list()
    assert (issue["state"], issue["approved_by"]) == ("sent", "auto-send")
    assert run_job(auto, "digest:send").counts["issues"] == 0  # sent once
    pages = run_job(ctx, "archive:build")
    assert pages.outcome == "ok" and pages.counts["pages"] > 0
    assert (tmp_path / "var" / "archive" / "index.html").exists()


def test_a_source_that_sends_only_its_overlap_for_too_long_alerts_once_as_stale(
    context: Callable[..., JobContext], server: ReplayServer, smtp: SmtpServer, engine: Engine
) -> None:
    clock = Clock()
    ctx = context(clock, **{"sources.pubmed.overlap_days": 30})
    with engine.begin() as conn:  # news came daily before the first crawl here
        conn.execute(
            CrawlRun.__table__.insert(),
            [
                {"source": "pubmed", "mode": "crawl", "started_at": NOW - DAY * days,
                 "finished_at": NOW - DAY * days, "outcome": "ok", "fetched": 9, "new": 4}
                for days in (2, 1)
            ],
        )  # fmt: skip
    assert run_job(ctx, "crawl:pubmed").outcome == "ok"  # the whole corpus: news
    verdicts = []
    for _ in range(4):  # then only the overlap comes back, day after day
        clock.next_day()
        result = run_job(ctx, "crawl:pubmed")
        assert result.outcome == "ok" and result.counts["new"] == 0 and result.counts["fetched"]
        verdicts.append(pubmed_status(engine, ctx.settings, clock()).health.verdict)
    assert verdicts == ["quiet", "quiet", "stale", "stale"]
    assert alerts_mailed(smtp) == [(to, "[mscwatch] crawl:pubmed is stale") for to in OPERATORS]
    body = email.message_from_bytes(smtp.messages[0].data, policy=email.policy.default)
    assert "nothing new since 2026-11-24" in body.get_content()
    assert "mscwatch sources check pubmed" in body.get_content()

    clock.next_day()
    server.corpus.add_raw(40_009_999, synthetic_article(40_009_999, clock().date()), clock().date())
    assert run_job(ctx, "crawl:pubmed").counts["new"] == 1
    assert pubmed_status(engine, ctx.settings, clock()).health.verdict == "ok"
    assert [s for _, s in alerts_mailed(smtp)][2:] == ["[mscwatch] crawl:pubmed works again"] * 2


def test_a_gone_feed_makes_the_feed_job_disabled_until_it_is_fixed(
    engine: Engine, db_url: str, tmp_path: Path, smtp: SmtpServer
) -> None:
    with FeedServer() as feeds:
        feeds.serve("alive.xml", FEED)
        feeds.gone("old.xml")
        urls = {"alive": feeds.url + "alive.xml", "old": feeds.url + "old.xml"}

        def settings(urls: dict[str, str]) -> Settings:
            return make_settings(
                db_url, SMTP_URL=smtp.url, **{
                    "paths.var": str(tmp_path / "var"), "alerts.to": OPERATORS,
                    "sources.pubmed.enabled": False, "sources.ctgov.enabled": False,
                    "sources.feed.enabled": True, "http.timeout": 2.0,
                    "sources.feed.feeds": [{"name": n, "url": u} for n, u in urls.items()],
                },
            )  # fmt: skip

        gone = settings(urls)
        clock = Clock()
        ctx = JobContext(gone, engine, clock, StopSignal(), lambda: open_transport(gone))
        assert run_job(ctx, "crawl:feed").outcome == "ok"
        (status,) = [s for s in job_status(engine, gone, clock()) if s.job == "crawl:feed"]
        assert status.health.verdict == "disabled"
        assert "feed old" in status.health.reason and "410 Gone" in status.health.reason
        clock.next_day()
        run_job(ctx, "crawl:feed")
        assert alerts_mailed(smtp) == [
            (to, "[mscwatch] crawl:feed is disabled") for to in OPERATORS
        ]

        feeds.serve("moved.xml", FEED)
        fixed = settings({**urls, "old": feeds.url + "moved.xml"})
        clock.next_day()
        ctx = JobContext(fixed, engine, clock, StopSignal(), lambda: open_transport(fixed))
        run_job(ctx, "crawl:feed")
        (status,) = [s for s in job_status(engine, fixed, clock()) if s.job == "crawl:feed"]
        assert status.health.verdict in ("ok", "quiet")
        assert [s for _, s in alerts_mailed(smtp)][2:] == ["[mscwatch] crawl:feed works again"] * 2


def pubmed_status(engine: Engine, settings: Settings, now: datetime) -> Any:
    (status,) = [s for s in job_status(engine, settings, now) if s.job == "crawl:pubmed"]
    return status
