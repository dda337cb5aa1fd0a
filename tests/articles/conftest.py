"""The demo's works on both databases, three of them picked by an editor: the ground every
article test writes on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from etl.articles.service import Articles
from etl.editors import review
from tests.conftest import make_settings
from tests.digest.conftest import load_demo

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SECRET = "a" * 40
# In vitro (mechanisms), a phase II paper (clinical, haematological), a registered trial
# (clinical and the trial table) and a pooled safety analysis (safety).
PICKS = [12, 15, 48, 26]


@pytest.fixture
def articles(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[Articles]:
    settings = make_settings(db_url, SECRET_KEY=SECRET, **{"paths.var": str(tmp_path / "var")})
    load_demo(engine, settings, tmp_path)
    with engine.begin() as conn:
        review.act(conn, PICKS, "pick", "editor", NOW)
    yield Articles.open(settings, engine)
