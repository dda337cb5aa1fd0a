"""The demo's papers and trials, classified and linked, on SQLite and on PostgreSQL: the ground
the evidence map's tests read (read-only, so one load per database serves them all)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from etl.db.engine import make_engine, upgrade
from etl.evidence.service import EvidenceMap
from etl.settings import Settings
from tests.conftest import make_settings, pg_schema_url
from tests.digest.conftest import load_demo


@dataclass
class Ground:
    url: str
    settings: Settings
    engine: Engine
    evidence: EvidenceMap


def _ground(url: str, folder: Path) -> Iterator[Ground]:
    settings = make_settings(url, **{"paths.var": str(folder / "var"), "SECRET_KEY": "k" * 40})
    engine = make_engine(url)
    upgrade(engine)
    load_demo(engine, settings, folder)
    yield Ground(url, settings, engine, EvidenceMap.open(settings, engine))
    engine.dispose()


@pytest.fixture(scope="package", params=["sqlite", "postgresql"])
def ground(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Ground]:
    folder = tmp_path_factory.mktemp(f"evidence-{request.param}")
    if request.param == "sqlite":
        yield from _ground(f"sqlite:///{folder / 'evidence.db'}", folder)
    else:
        for url in pg_schema_url():
            yield from _ground(url, folder)


@pytest.fixture(scope="package")
def sqlite_ground(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ground]:
    """For tests whose subject is not the database (pages, browser, charts)."""
    folder = tmp_path_factory.mktemp("evidence-pages")
    yield from _ground(f"sqlite:///{folder / 'evidence.db'}", folder)
