"""Two `mscwatch db upgrade` started at once (two containers starting together, say) on an
empty database: one migrates, the other waits for it and finds the schema current; neither
crashes. Real processes, on a fresh PostgreSQL schema and a fresh SQLite file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from etl.db.engine import current_revision, head_revision, make_engine
from tests.conftest import CONFIG, ROOT, pg_schema_url

ROUNDS = 3


def start_upgrade(url: str, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NCBI_API_KEY")}
    env.update(DATABASE_URL=url, PYTHONPATH=str(ROOT), COLUMNS="200")
    return subprocess.Popen(
        [sys.executable, "-m", "etl", "db", "upgrade"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def upgrade_twice_at_once(url: str, cwd: Path) -> None:
    both = [start_upgrade(url, cwd), start_upgrade(url, cwd)]
    answers = [p.communicate(timeout=180) for p in both]
    for process, (_, err) in zip(both, answers, strict=True):
        assert process.returncode == 0, err
        assert "Traceback" not in err
    said = sorted(" ".join(out.split()) for out, _ in answers)
    assert " migrated from empty to " in said[1] and " is up to date " in said[0], said
    engine = make_engine(url)
    try:
        assert current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(CONFIG, tmp_path / "config")
    return tmp_path


@pytest.mark.slow
def test_two_upgrades_at_once_on_an_empty_postgresql_schema(workdir: Path) -> None:
    for _ in range(ROUNDS):
        fresh = pg_schema_url()
        url = next(fresh)
        try:
            upgrade_twice_at_once(url, workdir)
        finally:
            next(fresh, None)  # drops the schema


@pytest.mark.slow
def test_two_upgrades_at_once_on_an_empty_sqlite_file(workdir: Path) -> None:
    for round_ in range(ROUNDS):
        upgrade_twice_at_once(f"sqlite:///{workdir / f'round{round_}.db'}", workdir)
