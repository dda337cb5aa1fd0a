"""`mscwatch crawl` killed with SIGKILL at random points while the upstreams keep failing, then
started again until it finishes: the end state is the one an unkilled crawl reaches.

The crawl runs as a process of its own (PubMed, then ClinicalTrials.gov) against a replay server
in the test process that fails a large share of requests. Kill points are counted in requests
the process has made to one source, so a kill lands in the phase it was meant for however long
the process took to start: the first inside PubMed's first window (before any commit), later
ones part way through either source. A `running` crawl_run left behind by a killed process is
expected; the next process must start from the committed cursor all the same.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from etl.db.engine import make_engine, upgrade
from etl.pipeline.crawl import run_crawl
from etl.replay import FAULT_KINDS, Corpus, RecordedRequest, ReplayServer, StudyCorpus
from etl.settings import load_settings
from etl.works import store
from tests.conftest import CONFIG, ROOT, pg_schema_url
from tests.faults.conftest import (
    RATE,
    RETRY_AFTER,
    SLOW,
    TIMEOUT,
    Upstream,
    check_store,
    load_cursor,
    runs_of,
    status,
)

TRIES = 8  # at the fault rate, a request still fails all of them about once in 1,500
CAP = 60  # esearch's window: 400 records need about eight
PUBMED_DAYS, CTGOV_DAYS = 100, 60
FINISH_TIMEOUT = 90.0


def phase(request: RecordedRequest) -> str:
    return "pubmed" if request.path.endswith(".fcgi") else "ctgov"


def config_folder(tmp_path: Path, server: ReplayServer) -> Path:
    """The project's configuration with the two sources on the replay server, small windows and
    pages, a short timeout and quick retries."""
    today = datetime.now(UTC).date()
    pubmed_start = today - timedelta(days=PUBMED_DAYS)
    ctgov_start = today - timedelta(days=CTGOV_DAYS)
    folder = tmp_path / "config"
    shutil.copytree(CONFIG, folder)
    text = (folder / "settings.toml").read_text(encoding="utf-8")
    for old, new in (
        ("timeout = 30.0\n", f"timeout = {TIMEOUT}\n"),
        ("attempts = 5\n", f"attempts = {TRIES}\n"),
        ("backoff = 2.0\n", "backoff = 0.01\n"),
        ("backoff_max = 60.0\n", "backoff_max = 0.05\n"),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (folder / "settings.toml").write_text(text, encoding="utf-8")
    (folder / "sources.toml").write_text(
        f"""
[sources.pubmed]
base_url = "{server.url}"
query = '"mesenchymal stem cell*"[tiab] AND cancer*[tiab]'
start_date = "{pubmed_start}"
batch_size = 25
search_cap = {server.cap}
requests_per_second = 100

[sources.ctgov]
base_url = "{server.ctgov_url}"
query_term = '"mesenchymal stromal cell"'
start_date = "{ctgov_start}"
page_size = 12
requests_per_second = 10
""",
        encoding="utf-8",
    )
    return folder


def start_crawl(folder: Path, database_url: str, log: Path) -> subprocess.Popen[bytes]:
    """`python -m etl crawl` in a process of its own, its output in a log file."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NCBI_API_KEY")}
    env.update({"DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)})
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "etl", "--config", str(folder), "crawl"],
            env=env,
            cwd=folder.parent,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def kill_due(
    server: ReplayServer,
    before: int,
    process: subprocess.Popen[bytes],
    source: str,
    count: int,
) -> bool:
    """Whether the process has made `count` requests to `source` since request `before` (or, for
    PubMed, moved on to CT.gov), or has ended by itself."""
    phases = [phase(r) for r in server.requests[before:]]
    moved_on = source == "pubmed" and "ctgov" in phases
    return phases.count(source) >= count or moved_on or process.poll() is not None


def wait_until(done: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out: the crawl seems to hang"
        time.sleep(0.002)


@pytest.fixture(scope="module")
def corpora() -> tuple[Corpus, StudyCorpus]:
    """Records dated up to yesterday: the crawl's own clock is the wall clock."""
    today = datetime.now(UTC).date()
    corpus = Corpus.synthetic(400, today - timedelta(days=PUBMED_DAYS), today - timedelta(days=1))
    studies = StudyCorpus.synthetic(
        150, today - timedelta(days=CTGOV_DAYS), today - timedelta(days=1)
    )
    return corpus, studies


@pytest.fixture(scope="module")
def unkilled(
    corpora: tuple[Corpus, StudyCorpus], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The end state of the same crawl left alone (in this process, no faults), once for both
    databases."""
    folder = tmp_path_factory.mktemp("unkilled")
    url = f"sqlite:///{folder / 'unkilled.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with ReplayServer(corpora[0], cap=CAP, studies=corpora[1]) as server:
        settings = load_settings(config_folder(folder, server), env={"DATABASE_URL": url})
        results = run_crawl(engine, settings, ["pubmed", "ctgov"], datetime.now(UTC))
    assert [r.outcome for r in results] == ["ok", "ok"], [r.line() for r in results]
    state = _state(engine)
    engine.dispose()
    return state


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'killed.db'}"
    else:
        yield from pg_schema_url()


@pytest.mark.slow
def test_crawl_killed_at_random_points_ends_as_an_unkilled_one(
    database: str,
    tmp_path: Path,
    corpora: tuple[Corpus, StudyCorpus],
    unkilled: dict[str, Any],
) -> None:
    corpus, studies = corpora
    upstreams = [Upstream.pubmed(corpus), Upstream.ctgov(studies)]
    engine = make_engine(database)
    upgrade(engine)
    chance = random.Random(20261124)
    # (source, how many of its requests the process makes before the kill). The first lands in
    # PubMed's first window, whose commit needs six (four searches to split the range, two
    # fetches); a kill meant for PubMed falls at the latest where the process moves on to CT.gov.
    targets = [
        ("pubmed", chance.randint(1, 2)),
        ("pubmed", chance.randint(3, 15)),
        ("ctgov", chance.randint(1, 10)),
        ("pubmed", chance.randint(3, 10)),
        ("ctgov", chance.randint(2, 6)),
    ]
    killed: list[str] = []
    with ReplayServer(corpus, cap=CAP, studies=studies) as server:
        server.faults.slow_seconds, server.faults.retry_after = SLOW, RETRY_AFTER
        server.faults.random(RATE, FAULT_KINDS, seed=31)
        folder = config_folder(tmp_path, server)
        for number, (source, count) in enumerate(targets):
            cursors = {u.source: load_cursor(engine, u.source) for u in upstreams}
            last_run = max((r.id for u in upstreams for r in runs_of(engine, u.source)), default=0)
            before = len(server.requests)
            process = start_crawl(folder, database, tmp_path / f"run-{number}.log")

            wait_until(partial(kill_due, server, before, process, source, count), FINISH_TIMEOUT)
            if number:  # between requests: parsing, storing, committing
                time.sleep(chance.uniform(0, 0.03))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                killed.append(phase(server.requests[-1]))
            process.wait(timeout=FINISH_TIMEOUT)
            for upstream in upstreams:
                check_store(engine, upstream)
            if number == 0:
                assert process.returncode == -signal.SIGKILL
                assert load_cursor(engine, "pubmed") is None  # killed inside the first window
            _check_started_from(engine, upstreams, last_run, cursors)

        assert len(killed) >= 4 and {"pubmed", "ctgov"} <= set(killed), killed
        for attempt in range(3):  # a request may still fail every try; the next run goes on
            log = tmp_path / f"last-{attempt}.log"
            process = start_crawl(folder, database, log)
            process.wait(timeout=FINISH_TIMEOUT)
            if process.returncode == 0:
                break
            assert "failed after" in log.read_text(encoding="utf-8"), log.read_text()
        assert process.returncode == 0, log.read_text(encoding="utf-8")
        assert sum(server.faults.injected.values()) >= 0.25 * len(server.requests)

    for upstream in upstreams:
        assert check_store(engine, upstream) == upstream.ids
    assert _state(engine) == unkilled
    for upstream in upstreams:
        outcomes = [r.outcome for r in runs_of(engine, upstream.source)]
        assert outcomes[-1] == "ok"
        assert set(outcomes) <= {"ok", "failed", "running", "interrupted"}, outcomes
    shown = status(database, folder)
    assert shown.rows["pubmed"]["outcome"] == shown.rows["ctgov"]["outcome"] == "ok"
    print(f"kills: {killed}; faults: {dict(server.faults.injected)}")
    engine.dispose()


def _check_started_from(
    engine: Engine, upstreams: list[Upstream], last_run: int, cursors: dict[str, Any]
) -> None:
    """The runs a process began start from the cursor committed before it, whatever runs a
    killed process left `running`."""
    for upstream in upstreams:
        for run in runs_of(engine, upstream.source):
            if run.id > last_run and run.outcome in ("running", "interrupted"):
                assert run.detail["cursor"] == cursors[upstream.source]


def _state(engine: Engine) -> dict[str, Any]:
    """What a crawl leaves: each record's content hash by source and id, and the cursors."""
    records = store.source_records
    with engine.connect() as conn:
        rows = conn.execute(select(records.c.source, records.c.source_id, records.c.content_hash))
        stored = {(source, source_id): digest for source, source_id, digest in rows}
        cursors = {row.source: row.cursor for row in conn.execute(select(store.cursors))}
    return {"records": stored, "cursors": cursors}
