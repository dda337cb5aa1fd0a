"""An approved issue and its readers, on both databases, for the sending tests.

The issue is the short "nothing new" kind, which needs no corpus: what these tests look at is
delivery, not content (the digest tests cover content, and the demo mails a full issue)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from etl.db.models import Subscriber
from etl.digest.service import Digest
from etl.settings import Settings
from tests.conftest import make_settings

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
SECRET = "s" * 40
FAST = {
    "digest.empty": "notice",
    "delivery.retry_after": 0.05,
    "delivery.retry_max": 0.2,
    "delivery.linger": 5,
}


class Clock:
    """Wall time shifted to the tests' fixed day, so retries fall due in real seconds."""

    def __init__(self) -> None:
        self.offset = NOW - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def settings_for(url: str, var: Path, **overrides: Any) -> Settings:
    values = {**FAST, "paths.var": str(var), **overrides}
    return make_settings(url, SECRET_KEY=SECRET, **values)


def add_readers(engine: Engine, emails: list[str], language: str = "zh") -> None:
    """Active readers, inserted directly (the subscriber rules have their own tests)."""
    rows = [
        {
            "email": e,
            "state": "active",
            "language": language,
            "topics": [],
            "source": "import",
            "consent": {},
            "bounces": 0,
            "last_error": "",
            "confirmations_sent": 0,
            "created_at": NOW,
            "confirmed_at": NOW,
            "changed_at": NOW,
        }
        for e in emails
    ]
    with engine.begin() as conn:
        conn.execute(insert(Subscriber), rows)


def approve_issue(digest: Digest, start: str = "2026-11-16") -> dict[str, Any]:
    outcome = digest.build(digest.period(start, NOW), NOW)
    assert outcome.issue is not None and outcome.issue["nothing_new"]
    return digest.approve(str(outcome.issue["number"]), "test", NOW)


@pytest.fixture
def issue_maker(
    engine: Engine, db_url: str, tmp_path: Path
) -> Iterator[Callable[..., tuple[Digest, dict[str, Any]]]]:
    """make(readers, **settings) -> (digest, approved issue) on this test's database."""

    def make(readers: list[str], **overrides: Any) -> tuple[Digest, dict[str, Any]]:
        settings = settings_for(db_url, tmp_path / "var", **overrides)
        digest = Digest.open(settings, engine)
        add_readers(engine, readers)
        return digest, approve_issue(digest)

    yield make


def later(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)
