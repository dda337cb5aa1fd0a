"""The login's and the sign-up form's limits hold against requests sent all at once: a real
threaded server on loopback, on SQLite and PostgreSQL, and many clients released together, so
every request is counted against the limit before any has finished."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from etl.clock import now
from etl.db.models import Subscriber
from etl.digest.service import Digest
from etl.editors import accounts
from etl.subscribers.service import Subscribers
from etl.web import create_app
from tests.conftest import make_settings
from tests.support.wsgi import Loopback, loopback

KEY = "k" * 32
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CLIENTS = 20
FORM_LIMIT = 3


@pytest.fixture
def served(db_url: str, engine: Engine, tmp_path: Path) -> Iterator[Loopback]:
    settings = make_settings(
        db_url,
        SECRET_KEY=KEY,
        **{"paths.var": str(tmp_path / "var"), "subscribers.form_limit": FORM_LIMIT},
    )
    with loopback() as server:
        digest = Digest.open(settings, engine)
        server.app = create_app(settings, digest, Subscribers.open(settings, engine))
        yield server


def all_at_once(
    server: Loopback, form_page: str, post: Callable[[httpx.Client, str, int], httpx.Response]
) -> list[int]:
    """CLIENTS browsers each open the form (their own cookie and CSRF token), then all send it
    at the same moment; the answers' status codes."""
    clients = [httpx.Client(base_url=server.url, timeout=60) for _ in range(CLIENTS)]
    try:
        tokens = [CSRF.search(c.get(form_page).text).group(1) for c in clients]
        start = threading.Barrier(CLIENTS)

        def send(n: int) -> int:
            start.wait()
            return post(clients[n], tokens[n], n).status_code

        with ThreadPoolExecutor(CLIENTS) as pool:
            return list(pool.map(send, range(CLIENTS)))
    finally:
        for client in clients:
            client.close()


def test_parallel_wrong_passwords_get_no_more_checks_than_the_limit(
    served: Loopback, engine: Engine
) -> None:
    accounts.add(engine, "li@example.org", PASSWORD, now())

    def wrong(client: httpx.Client, token: str, n: int) -> httpx.Response:
        form = {"name": "li@example.org", "password": f"guess number {n}", "csrf_token": token}
        return client.post("/editor/login", data=form)

    answers = all_at_once(served, "/editor/login", wrong)
    assert sorted(answers) == [401] * accounts.LOGIN_LIMIT + [429] * (
        CLIENTS - accounts.LOGIN_LIMIT
    )
    with httpx.Client(base_url=served.url) as late:  # the right password waits too
        token = CSRF.search(late.get("/editor/login").text).group(1)
        form = {"name": "li@example.org", "password": PASSWORD, "csrf_token": token}
        assert late.post("/editor/login", data=form).status_code == 429


def test_right_passwords_do_not_use_up_the_limit(served: Loopback, engine: Engine) -> None:
    accounts.add(engine, "li@example.org", PASSWORD, now())
    for _ in range(2 * accounts.LOGIN_LIMIT):
        with httpx.Client(base_url=served.url) as browser:
            token = CSRF.search(browser.get("/editor/login").text).group(1)
            form = {"name": "li@example.org", "password": PASSWORD, "csrf_token": token}
            assert browser.post("/editor/login", data=form).status_code == 303
    assert accounts.sessions_of(engine, "li@example.org") == 2 * accounts.LOGIN_LIMIT


def test_parallel_sign_ups_from_one_address_stop_at_the_limit(
    served: Loopback, engine: Engine
) -> None:
    def sign_up(client: httpx.Client, token: str, n: int) -> httpx.Response:
        form = {"email": f"reader{n}@example.org", "language": "zh", "csrf_token": token}
        return client.post("/subscribe", data=form)

    answers = all_at_once(served, "/subscribe", sign_up)
    assert answers.count(429) == CLIENTS - FORM_LIMIT
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(Subscriber.__table__)).scalar()
    assert stored == FORM_LIMIT
