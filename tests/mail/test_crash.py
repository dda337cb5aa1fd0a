"""Sender processes killed with SIGKILL at random moments, then started again: every reader
gets the issue, and a crash costs at most one extra copy, of the message its sender had in
hand once the relay had all of it, with the same Message-ID (see etl/mail/sender.py). Also two
senders side by side on one PostgreSQL, splitting the work without sending anything twice."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from etl.db.models import Delivery, DigestIssue, Subscriber
from etl.digest.service import Digest
from etl.settings import load_settings
from tests.conftest import CONFIG, ROOT, pg_schema_url
from tests.mail.conftest import SECRET, add_readers, approve_issue
from tests.support.smtp import SmtpServer, read_spool

READERS = [f"reader{i:03d}@example.org" for i in range(240)]


def config_folder(tmp_path: Path) -> Path:
    """The project's configuration with small batches and quick retries, for the senders."""
    folder = tmp_path / "config"
    shutil.copytree(CONFIG, folder)
    mail = (folder / "mail.toml").read_text(encoding="utf-8")
    for old, new in (
        ("batch_size = 100", "batch_size = 10"),
        ("retry_after = 300", "retry_after = 0.05"),
        ("retry_max = 21600", "retry_max = 0.5"),
    ):
        assert old in mail
        mail = mail.replace(old, new)
    (folder / "mail.toml").write_text(mail, encoding="utf-8")
    digest = (folder / "digest.toml").read_text(encoding="utf-8")
    (folder / "digest.toml").write_text(
        digest.replace('empty = "skip"', 'empty = "notice"'), encoding="utf-8"
    )
    return folder


def prepare(url: str, tmp_path: Path) -> tuple[Path, dict[str, str], Engine]:
    folder = config_folder(tmp_path)
    env = {"DATABASE_URL": url, "SECRET_KEY": SECRET}
    settings = load_settings(folder, env=env, overrides={"paths.var": str(tmp_path / "var")})
    from etl.db.engine import make_engine, upgrade

    engine = make_engine(url)
    OPEN.append(engine)
    upgrade(engine)
    add_readers(engine, READERS)
    digest = Digest.open(settings, engine)
    approve_issue(digest)
    return folder, env, engine


OPEN: list[Engine] = []


@pytest.fixture(autouse=True)
def _dispose() -> Iterator[None]:
    """Engines are closed even when a test fails half-way, so no open connection is left to
    be reported against whichever test runs next."""
    yield
    while OPEN:
        OPEN.pop().dispose()


def sender(folder: Path, env: dict[str, str], smtp_url: str, log: str) -> subprocess.Popen[bytes]:
    """`mscwatch digest send 1` in a process of its own; its output goes to a log file."""
    environment = {**os.environ, **env, "SMTP_URL": smtp_url, "PYTHONPATH": str(ROOT)}
    with (folder.parent / log).open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "etl", "--config", str(folder), "digest", "send", "1"],
            env=environment,
            cwd=folder.parent,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def finish(process: subprocess.Popen[bytes], folder: Path, log: str) -> None:
    process.wait(timeout=120)
    assert process.returncode == 0, (folder.parent / log).read_text(encoding="utf-8")


def rows(engine: Engine) -> dict[str, dict[str, Any]]:
    d, s = Delivery.__table__, Subscriber.__table__
    query = select(d, s.c.email).join(s, s.c.id == d.c.subscriber_id)
    with engine.connect() as conn:
        return {r["email"]: dict(r) for r in conn.execute(query).mappings()}


def issue_sent(engine: Engine) -> bool:
    """Every delivery done and the issue marked sent: a sender started now would refuse."""
    issues = DigestIssue.__table__
    with engine.connect() as conn:
        return conn.execute(select(issues.c.state)).scalar() == "sent"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.db'}"
    else:
        yield from pg_schema_url()


def test_killed_senders_resume_and_each_reader_gets_the_issue_once(
    database: str, tmp_path: Path
) -> None:
    folder, env, engine = prepare(database, tmp_path)
    chance = random.Random(20261130)
    spool = tmp_path / "spool"
    kills = mid_send = 0
    with SmtpServer(spool=spool, delay=0.02) as server:
        for run in range(12):
            if issue_sent(engine):  # the last kill came after the issue was done
                break
            before = len(server.messages)
            process = sender(folder, env, server.url, f"run-{run}.log")
            # Kill at a random moment once sending has begun: how long a process takes to
            # start depends on the machine's load, not on what this test is about.
            started = time.monotonic()
            while len(server.messages) == before and process.poll() is None:
                assert time.monotonic() - started < 60, "the sender never began"
                time.sleep(0.01)
            time.sleep(chance.uniform(0.0, 1.0))
            if process.poll() is not None:  # done before the kill came
                finish(process, folder, f"run-{run}.log")
                break
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
            mid_send += before < len(server.messages) < len(READERS)
        else:
            if not issue_sent(engine):
                finish(sender(folder, env, server.url, "last.log"), folder, "last.log")
    received = Counter(message.rcpt_tos[0] for message in read_spool(spool))
    assert kills >= 6 and mid_send >= 4, (kills, mid_send)  # the kills did hit sending
    assert set(received) == set(READERS)  # nobody missed
    found = rows(engine)
    twice = {reader for reader, n in received.items() if n > 1}
    assert all(n <= 2 for n in received.values())
    assert sum(n - 1 for n in received.values()) <= kills  # at most one extra copy per crash
    for reader in twice:  # only a message in the window, resent with the same Message-ID
        assert found[reader]["in_doubt"], reader
    for message in read_spool(spool):
        assert message.message_id == found[message.rcpt_tos[0]]["message_id"]
    assert {r["state"] for r in found.values()} == {"sent"}
    print(f"{kills} kills, {mid_send} while sending, {len(twice)} readers got a second copy")
    engine.dispose()


def test_two_senders_share_one_issue_on_postgresql(tmp_path: Path) -> None:
    for url in pg_schema_url():
        folder, env, engine = prepare(url, tmp_path)
        with SmtpServer(delay=0.005) as server:
            first = sender(folder, env, server.url, "first.log")
            second = sender(folder, env, server.url, "second.log")
            finish(first, folder, "first.log")
            finish(second, folder, "second.log")
            received = Counter(message.rcpt_tos[0] for message in server.messages)
        assert received == Counter(READERS)  # every reader exactly once
        found = rows(engine)
        by_sender = Counter(r["claimed_by"] for r in found.values())
        assert len(by_sender) == 2 and min(by_sender.values()) >= 10, by_sender
        assert {r["state"] for r in found.values()} == {"sent"}
        assert not any(r["in_doubt"] for r in found.values())
        engine.dispose()
