"""`mscwatch run` as operators run it, in processes of its own: it catches up a run missed
while it was down, stops cleanly on SIGTERM between two batches, lets two daemons on one
PostgreSQL share the jobs without running one twice, and refuses a bad crontab line by name."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from sqlalchemy import Engine, func, select

from etl.db.engine import make_engine, upgrade
from etl.db.models import CrawlRun, JobRun
from etl.replay import Corpus, ReplayServer
from etl.works import store
from tests.conftest import CONFIG, ROOT, pg_schema_url

START = date(2026, 9, 1)
RECORDS = 80


def config_folder(tmp_path: Path, server: ReplayServer, jobs: dict[str, str]) -> Path:
    """The project's configuration pointed at the replay server, crawling slowly in small
    batches so a signal can land mid-crawl, with the given schedule."""
    folder = tmp_path / "config"
    shutil.copytree(CONFIG, folder)
    edits = {
        "sources.toml": {
            ("sources", "pubmed"): {
                "base_url": server.url,
                "start_date": START,
                "batch_size": 10,
                "requests_per_second": 2.0,
            },
            ("sources", "ctgov"): {"enabled": False},
        },
        "schedule.toml": {("schedule",): {"jobs": jobs, "workers": 2}},
        "settings.toml": {("paths",): {"var": str(tmp_path / "var")}},
    }
    for name, tables in edits.items():
        path = folder / name
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for keys, values in tables.items():
            table = data
            for key in keys:
                table = table[key]
            table.update(values)
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return folder


def daemon(folder: Path, url: str, log: str, *args: str) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    environment.pop("SMTP_URL", None)
    with (folder.parent / log).open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "etl", "--config", str(folder), *args, "run"],
            env=environment,
            cwd=folder.parent,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def wait_for(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def table_rows(engine: Engine, model: type) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(model.__table__)).mappings()]


def finished(engine: Engine) -> bool:
    return any(
        r["job"] == "crawl:pubmed" and r["finished_at"] is not None
        for r in table_rows(engine, JobRun)
    )


def stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(store.source_records)).scalar_one()


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer(Corpus.synthetic(RECORDS, START, date(2026, 11, 20))) as srv:
        yield srv


@pytest.mark.slow
def test_sigterm_stops_the_crawl_between_batches_and_the_daemon_cleanly(
    tmp_path: Path, server: ReplayServer, db_url: str
) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    # "Every minute": its last time is always within the grace, so start-up catches it up.
    folder = config_folder(tmp_path, server, {"crawl:pubmed": "* * * * *"})
    process = daemon(folder, db_url, "run.log")
    try:
        wait_for(lambda: stored(engine) >= 20)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
    log = (tmp_path / "run.log").read_text()
    assert "catching up crawl:pubmed" in log and "scheduler stopped" in log, log
    assert "SIGTERM: stopping after the running jobs' current batch" in log
    (crawl,) = table_rows(engine, CrawlRun)
    assert crawl["outcome"] == "stopped" and 20 <= crawl["fetched"] < RECORDS
    assert stored(engine) == crawl["fetched"]  # every fetched batch committed, none half
    (run,) = table_rows(engine, JobRun)
    assert (run["job"], run["trigger"], run["outcome"]) == ("crawl:pubmed", "catch-up", "stopped")
    # The next start goes on from the committed windows and finishes the set.
    process = daemon(folder, db_url, "again.log")
    try:
        wait_for(lambda: stored(engine) == RECORDS, timeout=90)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
    assert "catching up crawl:pubmed" in (tmp_path / "again.log").read_text()  # cut short
    engine.dispose()


@pytest.mark.slow
def test_two_daemons_on_one_postgresql_run_each_job_once(
    tmp_path: Path, server: ReplayServer
) -> None:
    for url in pg_schema_url():
        engine = make_engine(url)
        upgrade(engine)
        folder = config_folder(tmp_path, server, {"crawl:pubmed": "* * * * *"})
        database = engine
        first = daemon(folder, url, "first.log", "--log-format", "json")
        second = daemon(folder, url, "second.log", "--log-format", "json")
        try:
            # Until the crawl's run is recorded as done: a SIGTERM between its last batch and
            # its end would (rightly) make it "stopped".
            wait_for(lambda database=database: finished(database), timeout=90)
            for process in (first, second):
                process.send_signal(signal.SIGTERM)
            assert first.wait(timeout=30) == 0 and second.wait(timeout=30) == 0
        finally:
            first.kill()
            second.kill()
        lines = [
            json.loads(line)
            for name in ("first.log", "second.log")
            for line in (tmp_path / name).read_text().splitlines()
            if line.startswith("{")
        ]
        skipped = [x for x in lines if "is already running" in x["message"]]
        done = [x for x in lines if x.get("job") == "crawl:pubmed" and x.get("outcome")]
        runs = table_rows(engine, JobRun)
        # One daemon ran the catch-up; the other was told who holds the job, or came later.
        assert len([r for r in runs if r["trigger"] == "catch-up"]) == 1, runs
        assert all("mscwatch pid" in x["message"] for x in skipped)
        # The catch-up stored everything (a run at the next minute, if any, found nothing new).
        assert any(x["counts"]["new"] == RECORDS and x["outcome"] == "ok" for x in done), done
        assert len(table_rows(engine, CrawlRun)) == len(runs)  # no crawl ran twice at once
        engine.dispose()


def test_a_bad_crontab_line_stops_start_up_naming_the_file_and_the_job(
    tmp_path: Path, server: ReplayServer
) -> None:
    folder = config_folder(tmp_path, server, {"crawl:pubmed": "0 6 * * *", "digest:send": "0 9"})
    process = daemon(folder, f"sqlite:///{tmp_path / 'db.sqlite'}", "bad.log")
    assert process.wait(timeout=60) == 1
    log = (tmp_path / "bad.log").read_text()
    assert f"error: {folder / 'schedule.toml'}: schedule.jobs.'digest:send': '0 9' has 2" in log
    assert "hint: five fields" in log
