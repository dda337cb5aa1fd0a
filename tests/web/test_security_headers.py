"""Every page carries the security headers (a Content-Security-Policy whose nonce is on the
page's own scripts and styles and nowhere else, framing refused, no MIME sniffing, a Referrer
-Policy); over HTTPS, directly or behind a trusted proxy, also HSTS and a Secure session
cookie; and no server starts with a SECRET_KEY short enough to guess."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine

from etl.clock import now
from etl.digest.service import Digest
from etl.editors import accounts
from etl.errors import ConfigError
from etl.ops.configuration import check
from etl.subscribers.service import Subscribers
from etl.web import create_app
from etl.web.app import require_secret_key
from tests.conftest import make_settings
from tests.digest.conftest import FIRST_LOAD, UPDATES, WEEKS, load_demo, publish
from tests.web.test_editor_pages import KEY, PASSWORD, log_in

NONCE = re.compile(r"script-src 'nonce-([A-Za-z0-9_-]{16,})'")


def make_app(url: str, engine: Engine, tmp_path: Path, proxy_hops: int = 0) -> Flask:
    settings = make_settings(url, SECRET_KEY=KEY, **{"paths.var": str(tmp_path / "var")})
    readers = Subscribers.open(settings, engine)
    return create_app(settings, Digest.open(settings, engine), readers, proxy_hops=proxy_hops)


@pytest.fixture
def app(sqlite_url: str, sqlite_engine: Engine, tmp_path: Path) -> Flask:
    """The demo's first issue sent, so the archive has pages, and an editor account."""
    load_demo(sqlite_engine, make_settings(sqlite_url), tmp_path)
    accounts.add(sqlite_engine, "li@example.org", PASSWORD, now(), "Li Wei")
    built = make_app(sqlite_url, sqlite_engine, tmp_path)
    digest = built.extensions["mscwatch"].digest
    digest.build(digest.period(WEEKS[0], FIRST_LOAD), UPDATES)
    publish(digest, 1)
    return built


def assert_protected(answer: object, path: str) -> str:
    headers = answer.headers  # type: ignore[attr-defined]
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy, path
    assert "'unsafe-inline'" not in policy and "base-uri 'none'" in policy, path
    assert headers["X-Frame-Options"] == "DENY", path
    assert headers["X-Content-Type-Options"] == "nosniff", path
    assert headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin"), path
    assert "Strict-Transport-Security" not in headers, path  # plain HTTP
    nonce = NONCE.search(policy).group(1)
    assert f"style-src 'nonce-{nonce}'" in policy, path
    return nonce


def assert_only_own_inline_code(html: str, nonce: str, path: str) -> None:
    """Every <script> and <style> carries this response's nonce; no style or on… attribute,
    which no nonce can allow."""
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
        assert f'nonce="{nonce}"' in tag, (path, tag)
    assert not re.search(r"<[^>]+\sstyle=", html), path
    assert not re.search(r"<[^>]+\son[a-z]+=", html), path


def test_every_kind_of_page_carries_the_headers(app: Flask) -> None:
    client = app.test_client()
    slug = WEEKS[0]
    pages = ["/", "/en/", f"/issues/{slug}/", f"/issues/{slug}/en/", "/subscribe",
             "/subscribe?lang=en", "/editor/login", "/feed.atom", "/healthz"]  # fmt: skip
    nonces = set()
    for path in pages:
        answer = client.get(path)
        assert answer.status_code == 200, path
        nonce = assert_protected(answer, path)
        nonces.add(nonce)
        if answer.content_type.startswith("text/html"):
            assert "<style" in answer.text, path
            assert_only_own_inline_code(answer.text, nonce, path)
    assert len(nonces) == len(pages)  # a fresh nonce for every response
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert_protected(missing, "404")

    assert log_in(client).status_code == 303
    for path in ("/editor/", "/editor/queue?since=2000-01-01", "/editor/operators",
                 "/editor/issues", "/editor/issues/1", "/editor/issues/1/preview/en",
                 "/editor/duplicates", "/editor/briefs"):  # fmt: skip
        answer = client.get(path)
        assert answer.status_code == 200, path
        nonce = assert_protected(answer, path)
        assert_only_own_inline_code(answer.text, nonce, path)
    queue = client.get("/editor/queue?since=2000-01-01").text
    assert re.search(r"<script nonce=\"[^\"]+\">", queue)  # the queue's keyboard script
    framed = client.get("/editor/issues/1/email/en")  # the preview's frame keeps its own
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert framed.headers["Content-Security-Policy"].startswith("sandbox")
    assert framed.headers["X-Content-Type-Options"] == "nosniff"


def test_over_https_hsts_and_a_secure_session_cookie(app: Flask) -> None:
    client = app.test_client()
    site = "https://watch.example.org"
    page = client.get("/editor/login", base_url=site)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    form = {"name": "li@example.org", "password": PASSWORD, "csrf_token": token}
    answer = client.post(  # over HTTPS the CSRF check wants the Referer a browser sends
        "/editor/login", data=form, base_url=site, headers={"Referer": site + "/editor/login"}
    )
    assert answer.status_code == 303
    cookie = answer.headers["Set-Cookie"]
    assert "; Secure" in cookie and "HttpOnly" in cookie
    plain = app.test_client()
    assert log_in(plain).status_code == 303
    assert plain.get_cookie("session").secure is False


@pytest.mark.parametrize(("hops", "secure"), [(1, True), (0, False)])
def test_behind_a_proxy_the_forwarded_scheme_counts_only_when_trusted(
    sqlite_url: str, sqlite_engine: Engine, tmp_path: Path, hops: int, secure: bool
) -> None:
    accounts.add(sqlite_engine, "li@example.org", PASSWORD, now())
    client = make_app(sqlite_url, sqlite_engine, tmp_path, proxy_hops=hops).test_client()
    client.environ_base.update(
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_REFERER="https://localhost/editor/login",
    )
    page = client.get("/subscribe")
    assert ("Strict-Transport-Security" in page.headers) is secure
    answer = log_in(client)
    assert answer.status_code == 303
    assert ("; Secure" in answer.headers["Set-Cookie"]) is secure


@pytest.mark.parametrize("key", ["", "short", "k" * 31])
def test_a_short_or_missing_secret_key_is_refused(key: str) -> None:
    settings = make_settings(SECRET_KEY=key)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        require_secret_key(settings)
    findings = [f for f in check(settings) if f.where == "SECRET_KEY"]
    assert findings
    if key:
        assert findings[0].level == "error"
        assert f"only {len(key)} characters, at least 32" in findings[0].text
    require_secret_key(make_settings(SECRET_KEY="k" * 32))
    assert not [f for f in check(make_settings(SECRET_KEY="k" * 32)) if f.where == "SECRET_KEY"]
