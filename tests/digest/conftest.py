"""A database holding the demo's papers and trials, classified, with a week of changes on top:
the ground every digest test builds issues on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from etl.classify.service import Classifier
from etl.demo import CORPUS, STUDIES, STUDY_UPDATES, UPDATE_FILE
from etl.digest.service import Digest
from etl.pipeline.ingest import ingest_files
from etl.settings import Settings
from tests.conftest import make_settings

FIRST_LOAD = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
UPDATES = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)
WEEKS = ("2026-11-09", "2026-11-16", "2026-11-23")


def load_demo(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    """The demo corpus, then (a week later) the update file and three changed trials."""
    classifier = Classifier.from_settings(settings)
    ingest_files(engine, "pubmed", [CORPUS], FIRST_LOAD, classifier=classifier)
    ingest_files(engine, "ctgov", [STUDIES], FIRST_LOAD, classifier=classifier)
    ingest_files(engine, "pubmed", [UPDATE_FILE], UPDATES, classifier=classifier)
    changed = tmp_path / "changed-studies.json"
    changed.write_text(STUDY_UPDATES.read_text(encoding="utf-8"), encoding="utf-8")
    ingest_files(engine, "ctgov", [changed], UPDATES, classifier=classifier)


@pytest.fixture
def digest_settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, **{"paths.var": str(tmp_path / "var")})


@pytest.fixture
def digest(engine: Engine, digest_settings: Settings, tmp_path: Path) -> Iterator[Digest]:
    load_demo(engine, digest_settings, tmp_path)
    yield Digest.open(digest_settings, engine)


def week(digest: Digest, start: str):  # type: ignore[no-untyped-def]
    return digest.period(start, FIRST_LOAD)


def publish(digest: Digest, number: int) -> None:
    """Mark an issue sent, as delivery will once it has gone out."""
    from etl.digest import store

    with digest.engine.begin() as conn:
        issue = store.find_issue(conn, str(number))
        store.set_state(conn, issue["id"], "sent", UPDATES)


def studies_in(path: Path) -> list[str]:
    return [s["protocolSection"]["identificationModule"]["nctId"]
            for s in json.loads(path.read_text(encoding="utf-8"))["studies"]]  # fmt: skip


@pytest.fixture(scope="package")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Digest]:
    """Three weekly issues on SQLite, the first two sent: read-only ground for rendering tests."""
    from etl.db.engine import make_engine, upgrade

    folder = tmp_path_factory.mktemp("built")
    url = f"sqlite:///{folder / 'digest.db'}"
    settings = make_settings(url, **{"paths.var": str(folder / "var")})
    engine = make_engine(url)
    upgrade(engine)
    load_demo(engine, settings, folder)
    digest = Digest.open(settings, engine)
    for start in WEEKS:
        digest.build(digest.period(start, FIRST_LOAD), UPDATES)
    publish(digest, 1)
    publish(digest, 2)
    yield digest
    engine.dispose()
