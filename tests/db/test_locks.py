"""Named locks on both databases: one holder at a time, and a lock that dies with its holder,
even one killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import Engine

from etl.db.locks import hold, holder, is_held
from tests.conftest import ROOT

HOLDER = """
import sys, time
from etl.db.engine import make_engine
from etl.db.locks import hold
with hold(make_engine(sys.argv[1]), "job:crawl:pubmed") as got:
    print("held" if got else "taken", flush=True)
    time.sleep(60)
"""


def test_one_holder_at_a_time(engine: Engine) -> None:
    assert not is_held(engine, "job:digest")
    with hold(engine, "job:digest") as first:
        assert first and is_held(engine, "job:digest")
        with hold(engine, "job:digest") as second:
            assert not second
        assert "nobody" not in holder(engine, "job:digest")
        assert not is_held(engine, "job:other")
    assert not is_held(engine, "job:digest")


def test_a_killed_holder_releases_its_lock(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "held"
        assert is_held(engine, "job:crawl:pubmed")
        who = holder(engine, "job:crawl:pubmed")
        assert f"pid {process.pid} on " in who  # on PostgreSQL too, by its session's name
        if engine.dialect.name == "postgresql":
            assert "database session" in who
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()  # type: ignore[union-attr]
    for _ in range(50):  # the server notices the dropped session within moments
        if not is_held(engine, "job:crawl:pubmed"):
            break
        time.sleep(0.1)
    assert not is_held(engine, "job:crawl:pubmed")


def test_installations_in_other_schemas_do_not_block_each_other() -> None:
    """Advisory locks are server-wide; the key carries the database and schema."""
    from etl.db.engine import make_engine
    from tests.conftest import pg_schema_url

    for first in pg_schema_url():
        for second in pg_schema_url():
            one, other = make_engine(first), make_engine(second)
            with hold(one, "job:crawl:pubmed") as got:
                assert got and is_held(one, "job:crawl:pubmed")
                assert not is_held(other, "job:crawl:pubmed")
            one.dispose()
            other.dispose()
