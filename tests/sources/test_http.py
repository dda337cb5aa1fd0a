"""The HTTP edge offline: a host name that does not resolve and a port that refuses connections
are said at once, naming the host, with a hint for the source; the retries that do happen are
logged when they are decided, before the wait."""

from __future__ import annotations

import logging
import socket
import time
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine

from etl.errors import SourceUnreachableError
from etl.http import RetryPolicy, build_client, request
from etl.pipeline.crawl import run_crawl
from etl.replay import Corpus, ReplayServer
from etl.settings import HttpSettings
from etl.sources.check import check_sources
from tests.conftest import make_settings

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
NOWHERE = "http://nonexistent.invalid/api/v2/"


@pytest.fixture
def refused_url() -> str:
    """A loopback port nothing listens on (bound, then closed: the kernel refuses it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def ask(url: str, sleeps: Sleeps) -> None:
    with build_client(HttpSettings(timeout=2.0)) as client:
        request(client, "GET", url, lambda r: r.content, what="ctgov: studies page 1",
                policy=RetryPolicy(attempts=5, sleep=sleeps),
                setting="[sources.ctgov] base_url in config/sources.toml")  # fmt: skip


def test_a_host_name_that_does_not_resolve_is_said_at_once() -> None:
    sleeps = Sleeps()
    started = time.monotonic()
    with pytest.raises(SourceUnreachableError) as caught:
        ask(NOWHERE + "studies", sleeps)
    assert sleeps == [] and time.monotonic() - started < 10  # no retry, no backoff
    error = caught.value
    assert error.message.startswith("ctgov: studies page 1: the host name nonexistent.invalid")
    assert "does not resolve" in error.message
    assert "[sources.ctgov] base_url" in error.hint and "network" in error.hint
    assert "NCBI_API_KEY" not in error.hint


def test_a_refused_connection_is_said_at_once_with_host_and_port(refused_url: str) -> None:
    sleeps = Sleeps()
    with pytest.raises(SourceUnreachableError) as caught:
        ask(refused_url, sleeps)
    port = refused_url.rsplit(":", 1)[1].rstrip("/")
    assert sleeps == [] and f"127.0.0.1:{port} refused the connection" in caught.value.message


def test_retries_are_logged_as_they_are_decided(caplog: pytest.LogCaptureFixture) -> None:
    seen_at_sleep: list[list[str]] = []

    def sleep(seconds: float) -> None:  # what the operator has read when the wait begins
        seen_at_sleep.append([r.getMessage() for r in caplog.records if r.name == "etl.http"])

    answers = iter([httpx.Response(503), httpx.Response(200, content=b"ok")])
    transport = httpx.MockTransport(lambda req: next(answers))
    with (
        caplog.at_level(logging.WARNING, logger="etl.http"),
        httpx.Client(transport=transport) as client,
    ):
        body = request(client, "GET", "http://127.0.0.1:9/x", lambda r: r.content,
                       what="ctgov: studies page 1",
                       policy=RetryPolicy(attempts=3, backoff=0.5, sleep=sleep))  # fmt: skip
    assert body == b"ok"
    assert seen_at_sleep == [["ctgov: studies page 1: answered HTTP 503; retrying in 0.5s (try 1)"]]


def test_sources_check_names_the_host_and_fits_the_hint_to_the_source() -> None:
    settings = make_settings(**{"sources.ctgov.base_url": NOWHERE, "http.attempts": 5})
    (result,) = check_sources(settings, ["ctgov"], NOW)
    assert not result.ok and "nonexistent.invalid does not resolve" in (result.error or "")
    assert "[sources.ctgov] base_url" in result.hint and "NCBI_API_KEY" not in result.hint


def test_a_crawl_of_a_refused_source_fails_at_once_with_its_hint(
    sqlite_engine: Engine, sqlite_url: str, refused_url: str
) -> None:
    settings = make_settings(sqlite_url, **{
        "sources.pubmed.base_url": refused_url, "sources.ctgov.enabled": False,
        "http.attempts": 5, "http.backoff": 5.0,
    })  # fmt: skip
    started = time.monotonic()
    (result,) = run_crawl(sqlite_engine, settings, ["pubmed"], NOW)
    assert time.monotonic() - started < 10
    assert result.outcome == "failed" and "refused the connection" in (result.error or "")
    assert result.hint and "[sources.pubmed] base_url" in result.hint


def test_only_pubmed_suggests_an_api_key_when_the_service_stays_busy() -> None:
    corpus = Corpus.synthetic(5, NOW.date(), NOW.date())
    with ReplayServer(corpus, studies=None) as server:
        server.faults.queue("503", times=100)
        settings = make_settings(**{
            "sources.pubmed.base_url": server.url, "sources.pubmed.requests_per_second": 1000,
            "sources.ctgov.base_url": server.url + "api/v2/",
            "http.attempts": 2, "http.backoff": 0.01, "http.backoff_max": 0.02,
        })  # fmt: skip
        pubmed, ctgov = check_sources(settings, ["pubmed", "ctgov"], NOW)
    assert "failed after 2 tries" in (pubmed.error or "") and "NCBI_API_KEY" in pubmed.hint
    assert "failed after 2 tries" in (ctgov.error or "") and "NCBI_API_KEY" not in ctgov.hint
