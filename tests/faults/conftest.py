"""What every fault test checks, against the database itself rather than the crawler's own counts.

A crawl that survives faults and kills must leave three things true after every run, finished
or not: no record stored twice, nothing stored that upstream does not hold, and no watermark that
claims a record the database does not have (a watermark ahead of the commits is how a crash turns
into a record that is never fetched). `Upstream` describes what the replay server holds, with the
dates each cursor field is compared with, so one set of checks serves every source.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from etl.pipeline.crawl import RunResult, run_crawl
from etl.replay import FAULT_KINDS, Corpus, RecordedRequest, ReplayServer, StudyCorpus
from etl.settings import Settings
from etl.works import store
from tests.conftest import CONFIG, ROOT

RATE = 0.4
"""Chance that a request gets a fault: well above a quarter, so that the share actually served
in a run of a few dozen requests stays above a quarter too."""
SLOW = 1.0
"""How long a `slow` fault stalls, in seconds: past the crawl's timeout below."""
TIMEOUT = 0.5
RETRY_AFTER = "0.2"
"""Retry-After on every 429 (seconds; real services send whole seconds, the client reads both)."""
FAST_HTTP = {"http.timeout": TIMEOUT, "http.backoff": 0.01, "http.backoff_max": 0.05}
FEW_TRIES = 2
"""Tries per request in the runs that are meant to give up part way."""
ENOUGH_TRIES = 8


@dataclass(frozen=True)
class Upstream:
    """What the replay server holds for one source: each record's id and, per cursor field, the
    date that field is compared with (`crdt`/`mdat` for PubMed, `last_update` for CT.gov)."""

    source: str
    scheme: str
    dates: dict[str, dict[str, date]]

    @property
    def ids(self) -> set[str]:
        return set(self.dates)

    @classmethod
    def pubmed(cls, corpus: Corpus) -> Upstream:
        records = (corpus.record(pmid) for pmid in corpus.pmids())
        dates = {r.pmid: {"crdt": r.crdt, "mdat": r.mdat} for r in records if r is not None}
        return cls("pubmed", "pmid", dates)

    @classmethod
    def ctgov(cls, studies: StudyCorpus) -> Upstream:
        dates = {}
        for study in studies.studies():
            protocol = study["protocolSection"]
            nct = protocol["identificationModule"]["nctId"]
            day = protocol["statusModule"]["lastUpdatePostDateStruct"]["date"]
            dates[nct] = {"last_update": date.fromisoformat(day)}
        return cls("ctgov", "nct", dates)


def check_store(engine: Engine, upstream: Upstream) -> set[str]:
    """Assert the invariants for one source and return the ids stored.

    Each stored record once, with its own identifier once and a work of its own (the synthetic
    records share no identifier and their titles differ by a number, so any sharing is a
    duplicate); nothing upstream does not hold; and every record at or before each watermark
    present."""
    records, ids = store.source_records, store.identifiers
    with engine.connect() as conn:
        rows = conn.execute(
            select(records.c.source_id, func.count(), func.min(records.c.work_id))
            .where(records.c.source == upstream.source)
            .group_by(records.c.source_id)
        ).all()
        owned = conn.execute(
            select(ids.c.value, ids.c.work_id).where(ids.c.scheme == upstream.scheme)
        ).all()
        cursor = store.load_cursor(conn, upstream.source)
    twice = {source_id: n for source_id, n, _ in rows if n != 1}
    assert not twice, f"{upstream.source}: stored more than once: {twice}"
    stored = {source_id for source_id, _, _ in rows}
    extra = stored - upstream.ids
    assert not extra, f"{upstream.source}: stored but not upstream: {sorted(extra)[:10]}"
    work_of = {source_id: work for source_id, _, work in rows}
    assert len(set(work_of.values())) == len(stored), f"{upstream.source}: records share works"
    counted = Counter(value for value, _ in owned)
    assert {v for v, n in counted.items() if n > 1} == set()
    assert dict(owned) == work_of, f"{upstream.source}: identifiers do not match the records"
    for field, mark in (cursor or {}).items():
        day = date.fromisoformat(mark)
        due = {i for i, dates in upstream.dates.items() if dates[field] <= day}
        missing = sorted(due - stored)
        assert not missing, (
            f"{upstream.source}: watermark {field}={mark} is ahead of the commits: "
            f"{len(missing)} records at or before it are missing, e.g. {missing[:5]}"
        )
    return stored


def load_cursor(engine: Engine, source: str) -> dict | None:
    with engine.connect() as conn:
        return store.load_cursor(conn, source)


def runs_of(engine: Engine, source: str) -> list:
    with engine.connect() as conn:
        query = select(store.crawl_runs).where(store.crawl_runs.c.source == source)
        return list(conn.execute(query.order_by(store.crawl_runs.c.id)))


def check_retry_after(requests: list[RecordedRequest]) -> int:
    """Assert the request after each 429 waited out its Retry-After; return how many were seen.

    A crawl asks one thing at a time, so the request after a 429 is its retry (or the next run's
    first request, later still)."""
    wait = float(RETRY_AFTER) - 0.01
    ordered = sorted(requests, key=lambda r: r.time)
    seen = 0
    for throttled, following in zip(ordered, ordered[1:], strict=False):
        if throttled.fault == "429":
            seen += 1
            gap = following.time - throttled.time
            assert gap >= wait, f"retried {gap:.3f}s after a 429 asking for {RETRY_AFTER}s"
    return seen


def check_faults_retried(asked: list[RecordedRequest], gave_up: bool) -> None:
    """Assert each fault one run met was answered by asking the same again, so no error page,
    stall or cut-off body was ever taken as an answer; and that a run which gave up ended on a
    fault (it gave up for the faults, not for something else)."""
    for faulted, following in zip(asked, asked[1:], strict=False):
        if faulted.fault is None:
            continue
        if faulted.fault == "error_xml" and "WebEnv" in faulted.params:
            continue  # NCBI's "Unable to obtain query": the history is gone, fetched by id
        again = (following.method, following.path, following.params)
        assert again == (faulted.method, faulted.path, faulted.params), (
            f"a {faulted.fault} on {faulted.path} was not asked again: {following}"
        )
    if gave_up:
        assert asked and asked[-1].fault is not None, "the run gave up without a fault"


def fault_share(requests: list[RecordedRequest]) -> float:
    """The share of requests the fault plan answered, which the requirement puts at 25 % or more."""
    return sum(r.fault is not None for r in requests) / max(len(requests), 1)


def cli(*args: str, database_url: str, config: Path = CONFIG) -> subprocess.CompletedProcess:
    """`python -m etl --config CONFIG ARGS…` as an operator runs it, on the given database."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NCBI_API_KEY")}
    env.update({"DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)})
    return subprocess.run(
        [sys.executable, "-m", "etl", "--config", str(config), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@dataclass(frozen=True)
class Status:
    """`mscwatch status` as read back: the table's cells by source and column, and the lines
    under it (the last errors) with runs of whitespace squashed, since rich wraps long ones."""

    rows: dict[str, dict[str, str]]
    notes: str


def status(database_url: str, config: Path = CONFIG) -> Status:
    """Run `mscwatch status` in a process of its own and read its table back."""
    result = cli("status", database_url=database_url, config=config)
    assert result.returncode == 0, result.stderr
    header: list[str] = []
    rows: dict[str, dict[str, str]] = {}
    notes = []
    for line in result.stdout.splitlines():
        cells = [cell.strip() for cell in line.strip()[1:-1].split(line.strip()[:1] or "|")]
        if line.startswith("┃"):
            header = cells
        elif line.startswith("│") and cells[0]:
            row = rows[cells[0]] = dict(zip(header, cells, strict=True))
        elif line.startswith("│"):  # a cell too wide for its column goes on below
            for column, more in zip(header, cells, strict=True):
                row[column] = f"{row[column]} {more}".strip()
        elif not line.startswith(("┏", "┡", "└", "Sources")):
            notes.append(line)
    return Status(rows, " ".join(" ".join(notes).split()))


def crawl_under_faults(
    engine: Engine,
    db_url: str,
    server: ReplayServer,
    upstream: Upstream,
    source: str,
    settings_for: Callable[[int], Settings],
    now: datetime,
) -> None:
    """The scenario both sources go through: runs with too few tries give up part way and must
    each leave the database consistent, recorded and shown in `status`; a run with enough tries
    under the same faults completes the set; a clean re-run then adds nothing."""

    def crawl(settings: Settings) -> RunResult:
        (result,) = run_crawl(engine, settings, [source], now)
        return result

    few = settings_for(FEW_TRIES)
    failed: list[RunResult] = []
    partway = 0  # failed runs that had committed some windows or pages, but not all
    for _ in range(4):
        before = len(server.requests)
        result = crawl(few)
        check_faults_retried(server.requests[before:], result.outcome == "failed")
        stored = check_store(engine, upstream)
        (*_, run) = runs_of(engine, source)
        assert (run.outcome, run.error) == (result.outcome, result.error)
        assert run.finished_at is not None
        # Upstream returns every record it lists: one reported missing was an error read as an
        # answer.
        assert result.outcome in ("ok", "failed") and not result.failed_ids, result.line()
        if result.outcome != "failed":
            continue
        assert f"failed after {FEW_TRIES} tries; last: " in result.error
        partway += load_cursor(engine, source) is not None and stored != upstream.ids
        if not failed:
            shown = status(db_url)
            assert shown.rows[source]["outcome"] == "failed"
            assert f"{source} last error: {result.error}" in shown.notes
        failed.append(result)
    assert len(failed) >= 2 and partway >= 1, [r.line() for r in failed]

    before = len(server.requests)
    result = crawl(settings_for(ENOUGH_TRIES))
    assert result.outcome == "ok", result.error
    check_faults_retried(server.requests[before:], gave_up=False)
    assert check_store(engine, upstream) == upstream.ids

    faulty = list(server.requests)
    server.faults.clear()
    again = crawl(few)
    assert (again.outcome, again.counts.new, again.counts.updated) == ("ok", 0, 0)
    assert check_store(engine, upstream) == upstream.ids
    assert fault_share(faulty) >= 0.25, fault_share(faulty)
    assert set(server.faults.injected) == set(FAULT_KINDS), server.faults.injected
    assert check_retry_after(faulty) >= 1
    assert status(db_url).rows[source]["outcome"] == "ok"
