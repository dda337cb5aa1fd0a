"""Behind a reverse proxy every request arrives from the proxy's address. The sign-up form
limits sign-ups per network address, so with `proxy_hops` the app must count each reader by the
address the proxy forwards, and only by the part of X-Forwarded-For the proxy wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from etl.digest.service import Digest
from etl.subscribers import store
from etl.subscribers.service import Subscribers
from etl.web import create_app
from tests.conftest import make_settings
from tests.web.test_subscriber_pages import KEY, subscribe

PROXY = "10.0.0.2"  # the one address the app sees when a proxy stands in front
LIMIT = 2


def make_app(url: str, engine: Engine, tmp_path: Path, proxy_hops: int) -> Flask:
    settings = make_settings(
        url,
        SECRET_KEY=KEY,
        **{"paths.var": str(tmp_path / "var"), "subscribers.form_limit": LIMIT},
    )
    readers = Subscribers.open(settings, engine)
    return create_app(settings, Digest.open(settings, engine), readers, proxy_hops=proxy_hops)


def through_proxy(app: Flask, forwarded_for: str) -> FlaskClient:
    """A browser whose requests reach the app through the proxy, which reports `forwarded_for`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = PROXY
    client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client


def sign_ups(client: FlaskClient, who: str, count: int) -> list[int]:
    return [subscribe(client, f"{who}{n}@example.org").status_code for n in range(count)]


def consent_remote(engine: Engine, email: str) -> str:
    with engine.connect() as conn:
        found = store.find(conn, email)
    assert found is not None, email
    return found["consent"]["remote"]


def test_with_one_proxy_hop_each_reader_gets_their_own_limit(
    sqlite_url: str, sqlite_engine: Engine, tmp_path: Path
) -> None:
    app = make_app(sqlite_url, sqlite_engine, tmp_path, proxy_hops=1)
    first = through_proxy(app, "203.0.113.9")
    assert sign_ups(first, "first", LIMIT) == [200] * LIMIT
    assert subscribe(first, "first-more@example.org").status_code == 429
    second = through_proxy(app, "198.51.100.20")
    assert sign_ups(second, "second", LIMIT) == [200] * LIMIT
    assert subscribe(second, "second-more@example.org").status_code == 429
    assert consent_remote(sqlite_engine, "first0@example.org") == "203.0.113.9"
    assert consent_remote(sqlite_engine, "second0@example.org") == "198.51.100.20"


def test_a_forged_forwarded_address_does_not_escape_the_limit(
    sqlite_url: str, sqlite_engine: Engine, tmp_path: Path
) -> None:
    """A client may send its own X-Forwarded-For; the proxy appends the real address, and one
    hop trusts only that last entry."""
    app = make_app(sqlite_url, sqlite_engine, tmp_path, proxy_hops=1)
    honest = through_proxy(app, "203.0.113.9")
    assert sign_ups(honest, "honest", LIMIT) == [200] * LIMIT
    forger = through_proxy(app, "192.0.2.77, 203.0.113.9")
    assert subscribe(forger, "forged@example.org").status_code == 429


def test_without_proxy_hops_the_header_is_not_believed(
    sqlite_url: str, sqlite_engine: Engine, tmp_path: Path
) -> None:
    """The default trusts no header (a client reaching the app directly could send any): all
    requests through the proxy share the proxy's one allowance."""
    app = make_app(sqlite_url, sqlite_engine, tmp_path, proxy_hops=0)
    earlier = through_proxy(app, "192.0.2.1")
    assert sign_ups(earlier, "earlier", LIMIT) == [200] * LIMIT
    later = through_proxy(app, "198.51.100.20")
    assert subscribe(later, "later@example.org").status_code == 429
    assert consent_remote(sqlite_engine, "earlier0@example.org") == PROXY


def test_a_negative_hop_count_is_refused(
    sqlite_url: str, sqlite_engine: Engine, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="proxy_hops"):
        make_app(sqlite_url, sqlite_engine, tmp_path, proxy_hops=-1)
