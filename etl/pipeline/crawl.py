"""Crawl: fetch each source from its cursor and store what it yields, one transaction per batch.

The cursor is saved in the same transaction as the records it covers, and only when the source
says a window is complete, so the watermark is never ahead of what was committed. One failing
source is recorded on its run and the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx
from sqlalchemy import Connection, Engine

from etl.classify.service import Classifier, classify_works
from etl.db import locks
from etl.db.states import Outcome
from etl.errors import SourceError
from etl.http import build_client
from etl.records import Batch, Counts
from etl.settings import Settings
from etl.sources import get_source
from etl.sources.base import FetchContext
from etl.works import store

log = logging.getLogger(__name__)
Progress = Callable[[str, str, int | None, Counts], None]


@dataclass(frozen=True)
class CrawlOptions:
    """How one crawl runs: from when, whether it writes, whom it tells, what it classifies with."""

    since: date | None = None
    dry_run: bool = False
    progress: Progress | None = None
    classifier: Classifier | None = None
    # Asked between batches: True ends the crawl there, everything fetched so far committed.
    stop: Callable[[], bool] | None = None


@dataclass
class RunResult:
    source: str
    outcome: str = Outcome.OK
    counts: Counts = field(default_factory=Counts)
    error: str | None = None
    hint: str | None = None  # what to do about `error`, when the source said
    failed_ids: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"{self.source}: {self.outcome}: {self.counts.summary()}"
        return f"{text} ({self.error})" if self.error else text


def merge_cursor(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Cursor after a committed batch: each watermark only moves forward.

    A dict value is a map of independent sub-cursors, not a watermark (the feed adapter keeps
    one ETag and Last-Modified per feed, and those have no order): the batch's entries replace
    the stored ones of the same name and the others are kept, so a source may save after each
    unit of work without repeating the state of the rest.
    """
    merged = dict(old or {})
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        elif key not in merged or value > merged[key]:
            merged[key] = value
    return merged


def run_crawl(
    engine: Engine,
    settings: Settings,
    sources: Sequence[str],
    now: datetime,
    since: date | None = None,
    dry_run: bool = False,
    transport: httpx.BaseTransport | None = None,
    progress: Progress | None = None,
    classifier: Classifier | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[RunResult]:
    """Crawl each named source; returns one result per source, whatever happened to the others.

    A source another process is crawling right now (its lock is held) is skipped, saying who:
    two crawls of one source would fetch everything twice and race on the watermark."""
    results = []
    options = CrawlOptions(since, dry_run, progress, classifier, stop)
    with build_client(settings.http, transport) as client:
        for name in sources:
            result = RunResult(name)
            results.append(result)
            if stop and stop():
                result.outcome = Outcome.STOPPED
                continue
            with locks.hold(engine, locks.crawl_lock(name)) as got:
                if not got and not dry_run:
                    who = locks.holder(engine, locks.crawl_lock(name))
                    result.outcome, result.error = (
                        Outcome.SKIPPED,
                        f"another crawl is running ({who})",
                    )
                    continue
                try:
                    _crawl_one(engine, settings, name, client, now, options, result)
                except SourceError as exc:
                    result.outcome, result.error = Outcome.FAILED, exc.message
                    log.error("%s: crawl failed: %s", name, exc.message)
                except Exception as exc:  # the next source still runs
                    result.outcome, result.error = Outcome.FAILED, _unexpected(exc)
                    log.exception("%s: crawl failed: %s", name, result.error)
    return results


def _crawl_one(
    engine: Engine,
    settings: Settings,
    name: str,
    client: httpx.Client,
    now: datetime,
    options: CrawlOptions,
    result: RunResult,
) -> None:
    source = get_source(name, settings)
    since, dry_run, progress = options.since, options.dry_run, options.progress
    with engine.connect() as conn:
        with conn.begin():
            cursor = store.load_cursor(conn, name)
            run_id = None
            if not dry_run:
                store.close_abandoned_runs(conn, name, now)
                detail: dict[str, Any] = {"cursor": cursor, "since": str(since or "")}
                run_id = store.start_run(conn, name, "crawl", now, detail)
        dry = conn.begin() if dry_run else None  # one transaction, rolled back at the end

        def report(text: str, total: int | None) -> None:
            if progress:
                progress(name, text, total, result.counts)

        ctx = FetchContext(client, cursor, now, since, report)
        interrupted: BaseException | None = None
        try:
            for batch in source.fetch(ctx):
                cursor = _store(conn, name, batch, cursor, run_id, now, result, options)
                if progress:
                    progress(name, "", None, result.counts)
                if options.stop and options.stop():
                    result.outcome = Outcome.STOPPED
                    break
        except SourceError as exc:
            result.outcome, result.error, result.hint = (
                Outcome.FAILED,
                exc.message,
                exc.hint or None,
            )
        except Exception as exc:  # a bug or a database error: recorded, never left "running"
            result.outcome, result.error = Outcome.FAILED, _unexpected(exc)
            log.exception("%s: crawl failed: %s", name, result.error)
        except BaseException as exc:  # a second Ctrl-C, SystemExit: recorded, then let through
            result.outcome, result.error = Outcome.FAILED, f"interrupted ({type(exc).__name__})"
            interrupted = exc
        finally:
            if dry is not None:
                dry.rollback()
        if result.outcome == Outcome.OK and (result.counts.failed or result.counts.quarantined):
            result.outcome = Outcome.PARTIAL
        if run_id is not None:
            with conn.begin():
                detail = {"cursor": cursor, "failed_ids": result.failed_ids[:200]}
                store.finish_run(
                    conn, run_id, result.counts, result.outcome, now, result.error, detail
                )
        if interrupted is not None:
            raise interrupted


def _unexpected(exc: Exception) -> str:
    """An error no adapter anticipated, named with its type (run with -v for the traceback)."""
    return f"unexpected {type(exc).__name__}: {exc}"


def _store(
    conn: Connection,
    name: str,
    batch: Batch,
    cursor: dict[str, Any] | None,
    run_id: int | None,
    now: datetime,
    result: RunResult,
    options: CrawlOptions,
) -> dict[str, Any] | None:
    def write() -> dict[str, Any] | None:
        touched: set[int] = set()
        counts = store.store_records(conn, batch.records, now, touched)
        store.store_quarantine(conn, batch.quarantined, run_id, now)
        if options.classifier is not None:
            classify_works(conn, touched, options.classifier, now)
        new_cursor = cursor
        if batch.cursor:
            new_cursor = merge_cursor(cursor, batch.cursor)
            store.save_cursor(conn, name, new_cursor, now)
        counts.fetched = batch.fetched
        counts.quarantined = len(batch.quarantined)
        counts.failed = len(batch.failed)
        result.counts.add(counts)
        return new_cursor

    if options.dry_run:
        new_cursor = write()
    else:
        with conn.begin():
            new_cursor = write()
    result.failed_ids.extend(batch.failed)
    result.quarantined.extend(item.describe() for item in batch.quarantined)
    return new_cursor
