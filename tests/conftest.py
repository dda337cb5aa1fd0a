"""Shared fixtures: real databases (SQLite file and a private PostgreSQL schema), settings,
the replay server, and a guard that keeps every test off the network."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from etl.db.engine import make_engine, upgrade
from etl.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
# The corpus of real service responses lives outside the project (it is not ours to ship):
# MSCWATCH_SAMPLES names it, by default `shared/samples` beside the project folder.
SAMPLES = Path(os.environ.get("MSCWATCH_SAMPLES") or ROOT.parent / "shared" / "samples")
SAMPLES_MISSING = (
    f"the sample corpus is not at {SAMPLES}: set MSCWATCH_SAMPLES to the folder of recorded "
    'service responses (README, "Tests")'
)


def samples_present() -> bool:
    return SAMPLES.is_dir()


def sample_files(folder: str, pattern: str) -> list[Path]:
    """The corpus files a parametrized test runs over. Without the corpus, one path that does
    not exist, so the test is collected, and skipped (or failed under CI) by name rather than
    silently dropped as an empty parameter set."""
    found = sorted((SAMPLES / folder).glob(pattern))
    return found if samples_present() else [SAMPLES / folder / pattern]


def _missing_sample(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) comes from reading the absent corpus."""
    seen: BaseException | None = exc
    while seen is not None:
        if str(SAMPLES) in f"{getattr(seen, 'filename', '') or ''} {seen}":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def need_samples() -> None:
    """Skip a test that needs the absent corpus, naming the folder; under CI (CI=true) fail it,
    so a CI run never passes by skipping what it was meant to test."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{SAMPLES_MISSING}; CI must run these tests", pytrace=False)
    pytest.skip(SAMPLES_MISSING)


def _skipping_an_absent_corpus() -> Generator[None, Any, Any]:
    """The body of both hook wrappers below: a failure that comes from reading the absent
    corpus becomes a skip (a failure under CI) naming the folder; any other failure stays."""
    try:
        return (yield)
    except Exception as exc:
        if samples_present() or not _missing_sample(exc):
            raise
        need_samples()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    return (yield from _skipping_an_absent_corpus())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    return (yield from _skipping_an_absent_corpus())


CONFIG = ROOT / "config"
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests talk to loopback servers only; anything else is a bug in the test."""
    real_connect = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith(("127.", "/")) or host in ("::1", "localhost")
        ):
            raise RuntimeError(f"tests must not use the network (tried {address!r})")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def samples() -> Path:
    """The corpus folder; a test asking for it is skipped (failed under CI) without it."""
    if not samples_present():
        need_samples()
    return SAMPLES


def pg_schema_url() -> Iterator[str]:
    """A URL whose connections work in a fresh, private schema, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each database test runs on both databases the service supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    else:
        yield from pg_schema_url()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


def migrated(url: str) -> Iterator[Engine]:
    built = make_engine(url)
    upgrade(built)
    yield built
    built.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database, once on SQLite and once on PostgreSQL."""
    yield from migrated(db_url)


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """A migrated SQLite file, for tests whose subject is not the database."""
    yield from migrated(sqlite_url)


def make_settings(db_url: str = "sqlite:///:memory:", **overrides: Any) -> Settings:
    """The project's own config files, with test overrides and no secrets from the environment."""
    env = {"DATABASE_URL": db_url}
    secrets = {k: overrides.pop(k) for k in list(overrides) if k.isupper()}
    env.update(secrets)
    return load_settings(CONFIG, env=env, overrides=overrides)


# Browser tests: Debian's Chromium driven by Playwright, never a downloaded browser.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "test-artifacts"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session; each test opens its own pages."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install Debian's chromium package (.ci/run does) "
            "or set CHROMIUM_PATH"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def artifacts() -> Path:
    """Where tests leave screenshots for people to look at (kept after the run)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
