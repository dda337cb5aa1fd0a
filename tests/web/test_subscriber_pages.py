"""The subscriber pages: sign up, confirm by a button (never by merely opening the link), change
preferences, unsubscribe by button or by an RFC 8058 one-click POST, and a clear page that
changes nothing for every link that is damaged, forged, meant for another page or too old."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner
from sqlalchemy import Engine

from etl.classify.taxonomy import load_taxonomy
from etl.clock import now
from etl.digest.service import Digest
from etl.mail.tokens import make_token, read_token, serializer
from etl.mail.transport import SendError
from etl.settings import Settings
from etl.subscribers import store
from etl.subscribers.service import Subscribers
from etl.web import create_app
from tests.conftest import make_settings
from tests.support.wsgi import loopback

KEY = "k" * 32
NOINDEX = '<meta name="robots" content="noindex">'
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Site:
    settings: Settings
    engine: Engine
    app: Flask
    client: FlaskClient
    readers: Subscribers

    def reader(self, email: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            return store.find(conn, email)

    def token(self, purpose: str, email: str) -> str:
        return make_token(self.settings, purpose, email)


def open_site(url: str, engine: Engine, tmp_path: Path, **overrides: Any) -> Site:
    settings = make_settings(
        url, SECRET_KEY=KEY, **{"paths.var": str(tmp_path / "var")}, **overrides
    )
    readers = Subscribers.open(settings, engine)
    app = create_app(settings, Digest.open(settings, engine), readers)
    return Site(settings, engine, app, app.test_client(), readers)


@pytest.fixture
def site(sqlite_url: str, sqlite_engine: Engine, tmp_path: Path) -> Site:
    return open_site(sqlite_url, sqlite_engine, tmp_path)


def csrf_token(client: FlaskClient, url: str = "/subscribe") -> str:
    """The CSRF token of the form at `url`, as a browser would have it (the client keeps the
    session cookie that goes with it)."""
    page = client.get(url)
    assert page.status_code == 200, url
    found = CSRF.search(page.text)
    assert found, f"no CSRF token in the form at {url}"
    return found.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any], form: str = "") -> Any:
    """Open the page with the form, then send it, the way a person does."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, form or url)})


def subscribe(client: FlaskClient, email: str, lang: str = "", **fields: Any) -> Any:
    """Send the form, then wait for the confirmation email it queued (sent after the answer)."""
    url = f"/subscribe?lang={lang}" if lang else "/subscribe"
    answer = post_form(client, url, {"email": email, "language": "zh", **fields})
    client.application.extensions["mscwatch"].subscribers.drain(30)
    return answer


def without_nonce(page: str) -> str:
    """The page without its Content-Security-Policy nonce, which every response changes."""
    return re.sub(r' nonce="[\w-]+"', "", page)


def confirm_link(settings: Settings, email: str) -> str:
    """The confirmation link in the email the outbox holds for `email`."""
    raw = (settings.outbox_dir / f"confirm-{email}.eml").read_bytes()
    text = message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/confirm/\S+", text).group(0)


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def old_token(settings: Settings, purpose: str, email: str, days: float) -> str:
    """A genuine token, signed `days` ago."""

    class Past(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - days * 86400)

    signing = serializer(settings, purpose)
    signing.signer = Past
    return signing.dumps(email)


def tampered(token: str) -> str:
    """The token with one character of its payload changed, as a forger would."""
    spot = 3
    return token[:spot] + ("A" if token[spot] != "A" else "B") + token[spot + 1 :]


# -- subscribe and confirm ---------------------------------------------------------------------


def test_subscribe_then_confirm_by_button(db_url: str, engine: Engine, tmp_path: Path) -> None:
    site = open_site(db_url, engine, tmp_path)
    client = site.client
    answer = subscribe(client, "Reader@Example.org", language="en", topics=["trials", "safety"])
    assert answer.status_code == 200
    assert "请查收确认邮件" in answer.text
    reader = site.reader("reader@example.org")
    assert (reader["state"], reader["language"]) == ("pending", "en")
    assert sorted(reader["topics"]) == ["safety", "trials"]
    assert reader["consent"]["remote"] == "127.0.0.1"

    link = path_of(confirm_link(site.settings, "reader@example.org"))
    assert link.startswith("/confirm/")
    page = client.get(link)  # what a mail scanner does: it must not confirm anyone
    assert page.status_code == 200
    assert NOINDEX in page.text
    assert f'<form method="post" action="{link}">' in page.text
    assert "Confirm my subscription" in page.text  # the reader chose English
    assert CSRF.search(page.text)
    assert site.reader("reader@example.org")["state"] == "pending"

    token = CSRF.search(page.text).group(1)
    done = client.post(link, data={"csrf_token": token})
    assert done.status_code == 200
    assert "You are subscribed" in done.text
    assert 'href="/preferences/' in done.text
    reader = site.reader("reader@example.org")
    assert reader["state"] == "active"
    assert reader["confirmed_at"] is not None

    again = client.post(link, data={"csrf_token": token})
    assert again.status_code == 200
    assert "Already confirmed" in again.text
    assert site.reader("reader@example.org")["confirmed_at"] == reader["confirmed_at"]
    assert "Already confirmed" in client.get(link).text


def test_the_answer_does_not_tell_who_is_subscribed(site: Site) -> None:
    site.readers.add("known@example.org", "zh", confirmed=True, now=now())
    site.readers.add("waiting@example.org", "zh", now=now())  # pending, just asked to confirm
    answers = {
        email: subscribe(site.client, email)
        for email in ("new@example.org", "known@example.org", "waiting@example.org")
    }
    assert {a.status_code for a in answers.values()} == {200}
    assert len({without_nonce(a.text) for a in answers.values()}) == 1
    assert "请查收确认邮件" in answers["new@example.org"].text
    assert "new@example.org" not in answers["new@example.org"].text
    assert site.reader("new@example.org")["state"] == "pending"
    assert site.reader("known@example.org")["state"] == "active"
    assert not (site.settings.outbox_dir / "confirm-known@example.org.eml").exists()


def test_a_bad_address_shows_the_form_again_with_the_reason(site: Site) -> None:
    answer = subscribe(site.client, "reader.example.org", language="en", topics=["trials"])
    assert answer.status_code == 400
    assert "邮箱地址中缺少 @" in answer.text
    assert 'value="reader.example.org"' in answer.text
    assert re.search(r'value="en" checked', answer.text)
    assert re.search(r'value="trials" checked', answer.text)
    assert not re.search(r'value="safety" checked', answer.text)
    assert site.readers.listing() == []

    english = subscribe(site.client, "reader@localhost", lang="en")
    assert english.status_code == 400
    assert "This address does not look right" in english.text
    assert "<h1>Subscribe to MSC Oncology Watch</h1>" in english.text

    empty = subscribe(site.client, "   ")
    assert empty.status_code == 400
    assert "请填写邮箱地址" in empty.text

    hostile = subscribe(site.client, '"><script>alert(1)</script>@example.org')
    assert hostile.status_code == 400
    assert "<script>alert(1)" not in hostile.text
    assert "&lt;script&gt;alert(1)" in hostile.text
    assert site.readers.listing() == []


def test_an_unknown_topic_or_language_is_refused(site: Site) -> None:
    answer = subscribe(site.client, "reader@example.org", topics=["trials", "gossip"])
    assert answer.status_code == 400
    assert "请从列表中选择关注的内容" in answer.text
    wrong = subscribe(site.client, "reader@example.org", language="fr")
    assert wrong.status_code == 400
    assert "请选择中文或 English" in wrong.text
    assert site.readers.listing() == []


def from_address(site: Site, remote: str) -> FlaskClient:
    client = site.app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote
    return client


def test_too_many_sign_ups_from_one_network_address(
    sqlite_url: str, sqlite_engine: Engine, tmp_path: Path
) -> None:
    site = open_site(sqlite_url, sqlite_engine, tmp_path, **{"subscribers.form_limit": 3})
    limit = site.settings.subscribers.form_limit
    client = from_address(site, "203.0.113.7")
    for n in range(limit):
        assert subscribe(client, f"reader{n}@example.org").status_code == 200
    answer = subscribe(client, "one-more@example.org")
    assert answer.status_code == 429
    window = site.settings.subscribers.form_window_minutes
    assert answer.headers["Retry-After"] == str(int(window * 60))
    assert "请稍后再试" in answer.text
    assert site.reader("one-more@example.org") is None
    elsewhere = from_address(site, "198.51.100.9")
    assert subscribe(elsewhere, "one-more@example.org").status_code == 200


def test_when_the_confirmation_cannot_be_sent(
    sqlite_url: str, sqlite_engine: Engine, tmp_path: Path
) -> None:
    class Down:
        def send(self, mail_from: str, to: str, raw: bytes, key: str) -> str:
            raise SendError(None, "connection refused", relay=True)

        def close(self) -> None:
            pass

    settings = make_settings(sqlite_url, SECRET_KEY=KEY, **{"paths.var": str(tmp_path / "v")})
    taxonomy = load_taxonomy(settings.taxonomy_path)
    readers = Subscribers(settings, sqlite_engine, taxonomy, transport=lambda _settings: Down())
    app = create_app(settings, Digest.open(settings, sqlite_engine), readers)
    client = app.test_client()
    answer = post_form(client, "/subscribe?lang=en", {"email": "reader@example.org"})
    assert answer.status_code == 200  # the answer comes before the email is tried
    (failed,) = readers.drain(30)
    assert failed.action == "confirmation failed" and "connection refused" in failed.detail
    reader = readers.listing(("pending",))[0]
    assert reader["confirmations_sent"] == 0  # it did not go out: the allowance is intact


def test_the_form_in_either_language(site: Site) -> None:
    zh = site.client.get("/subscribe")
    assert zh.status_code == 200
    assert '<html lang="zh-CN">' in zh.text
    assert "订阅《间充质干细胞肿瘤研究周报》" in zh.text
    assert 'href="/subscribe?lang=en"' in zh.text
    assert re.search(r'value="zh" checked', zh.text)
    assert "临床试验动态" in zh.text
    assert "提交即表示您同意" in zh.text
    assert not re.search(r'type="checkbox"[^>]* checked', zh.text)  # none ticked: everything
    assert NOINDEX not in zh.text
    en = site.client.get("/subscribe?lang=en")
    assert '<html lang="en">' in en.text
    assert "Subscribe to MSC Oncology Watch" in en.text
    assert 'href="/subscribe"' in en.text
    assert re.search(r'value="en" checked', en.text)
    assert "Trial updates" in en.text
    assert "By subscribing you agree" in en.text
    assert '<html lang="zh-CN">' in site.client.get("/subscribe?lang=fr").text
    assert site.client.get("/healthz").status_code == 200


# -- CSRF ----------------------------------------------------------------------------------------


def test_posts_without_a_csrf_token_are_refused(site: Site) -> None:
    assert site.app.config.get("WTF_CSRF_ENABLED", True) is True  # on unless a test turns it off
    site.readers.add("pending@example.org", "zh", now=now())
    site.readers.add("active@example.org", "zh", ["trials"], confirmed=True, now=now())
    before = site.reader("pending@example.org"), site.reader("active@example.org")

    answer = site.client.post("/subscribe", data={"email": "new@example.org", "language": "zh"})
    assert answer.status_code == 400
    assert "页面已过期" in answer.text
    assert 'href="/subscribe"' in answer.text
    assert site.reader("new@example.org") is None

    confirm = f"/confirm/{site.token('confirm', 'pending@example.org')}"
    assert site.client.post(confirm).status_code == 400
    preferences = f"/preferences/{site.token('preferences', 'active@example.org')}"
    assert site.client.post(preferences, data={"language": "en"}).status_code == 400

    # A token from another visitor's session is no better.
    stranger = csrf_token(site.app.test_client())
    data = {"email": "new@example.org", "language": "zh", "csrf_token": stranger}
    assert site.client.post("/subscribe", data=data).status_code == 400
    assert site.client.post(confirm, data={"csrf_token": stranger}).status_code == 400
    assert (site.reader("pending@example.org"), site.reader("active@example.org")) == before
    assert site.reader("new@example.org") is None


# -- unsubscribe ---------------------------------------------------------------------------------


def test_opening_the_unsubscribe_link_changes_nothing(site: Site) -> None:
    site.readers.add("reader@example.org", "en", confirmed=True, now=now())
    before = site.reader("reader@example.org")
    link = f"/unsubscribe/{site.token('unsubscribe', 'reader@example.org')}"
    page = site.client.get(link)
    assert page.status_code == 200
    assert NOINDEX in page.text
    assert f'<form method="post" action="{link}">' in page.text
    assert "<h1>Unsubscribe</h1>" in page.text
    assert 'href="/preferences/' in page.text
    assert site.reader("reader@example.org") == before

    done = site.client.post(link)  # the button
    assert done.status_code == 200
    assert "You are unsubscribed" in done.text
    reader = site.reader("reader@example.org")
    assert (reader["state"], reader["last_error"]) == ("unsubscribed", "by web")
    assert "You are unsubscribed" in site.client.get(link).text


MULTIPART = (
    b"--b0und4ry\r\n"
    b'Content-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
    b"One-Click\r\n"
    b"--b0und4ry--\r\n"
)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"List-Unsubscribe=One-Click"),
        ("multipart/form-data; boundary=b0und4ry", MULTIPART),
    ],
    ids=["urlencoded", "multipart"],
)
def test_one_click_unsubscribe(site: Site, content_type: str, body: bytes) -> None:
    site.readers.add("reader@example.org", "zh", confirmed=True, now=now())
    link = f"/unsubscribe/{site.token('unsubscribe', 'reader@example.org')}"
    provider = site.app.test_client(use_cookies=False)  # a mailbox provider: no cookies, no CSRF
    answer = provider.post(link, data=body, headers={"Content-Type": content_type})
    assert answer.status_code == 200
    assert "Location" not in answer.headers
    assert "您已退订" in answer.text
    reader = site.reader("reader@example.org")
    assert (reader["state"], reader["last_error"]) == ("unsubscribed", "by one-click")

    repeat = provider.post(link, data=body, headers={"Content-Type": content_type})
    assert repeat.status_code == 200
    assert without_nonce(repeat.text) == without_nonce(answer.text)
    assert site.reader("reader@example.org") == reader


def test_unsubscribing_an_address_that_is_gone(site: Site) -> None:
    link = f"/unsubscribe/{site.token('unsubscribe', 'erased@example.org')}"
    assert site.client.get(link).status_code == 200
    answer = site.app.test_client(use_cookies=False).post(link, data=b"List-Unsubscribe=One-Click")
    assert answer.status_code == 200
    assert "不在订阅名单中" in answer.text


# -- preferences ---------------------------------------------------------------------------------


def test_preferences_show_and_save(site: Site) -> None:
    site.readers.add("reader@example.org", "zh", ["trials"], confirmed=True, now=now())
    link = f"/preferences/{site.token('preferences', 'reader@example.org')}"
    page = site.client.get(link)
    assert page.status_code == 200
    assert NOINDEX in page.text
    assert "reader@example.org" in page.text
    assert re.search(r'value="zh" checked', page.text)
    assert re.search(r'value="trials" checked', page.text)
    assert not re.search(r'value="safety" checked', page.text)
    # the page signs a fresh unsubscribe link (its timestamp is the page's, not the test's)
    unsubscribe = re.search(r'href="/unsubscribe/([^"]+)"', page.text)
    assert unsubscribe is not None
    found = read_token(site.settings, "unsubscribe", unsubscribe.group(1), None)
    assert found == "reader@example.org"

    saved = post_form(site.client, link, {"language": "en", "topics": ["safety", "platforms"]})
    assert saved.status_code == 200
    assert "Your preferences have been saved." in saved.text  # now in the chosen language
    assert re.search(r'value="en" checked', saved.text)
    assert re.search(r'value="safety" checked', saved.text)
    assert not re.search(r'value="trials" checked', saved.text)
    reader = site.reader("reader@example.org")
    assert reader["language"] == "en"
    assert sorted(reader["topics"]) == ["platforms", "safety"]

    everything = post_form(site.client, link, {"language": "en"})
    assert everything.status_code == 200
    assert site.reader("reader@example.org")["topics"] == []


def test_preferences_refuse_an_unknown_topic(site: Site) -> None:
    site.readers.add("reader@example.org", "en", ["trials"], confirmed=True, now=now())
    before = site.reader("reader@example.org")
    link = f"/preferences/{site.token('preferences', 'reader@example.org')}"
    answer = post_form(site.client, link, {"language": "zh", "topics": ["trials", "gossip"]})
    assert answer.status_code == 400
    assert "Please choose topics from the list." in answer.text
    assert "saved" not in answer.text
    wrong = post_form(site.client, link, {"language": "fr", "topics": ["trials"]})
    assert wrong.status_code == 400
    assert "Please choose 中文 or English." in wrong.text
    assert site.reader("reader@example.org") == before


# -- links that do not work ----------------------------------------------------------------------


def bad_tokens(settings: Settings, purpose: str, email: str) -> dict[str, str]:
    other = "unsubscribe" if purpose != "unsubscribe" else "confirm"
    good = make_token(settings, purpose, email)
    tokens = {
        "garbage": "not-a-token",
        "other purpose": make_token(settings, other, email),
        "tampered": tampered(good),
        "other key": make_token(make_settings(SECRET_KEY="x" * 32), purpose, email),
    }
    days = {
        "confirm": settings.subscribers.confirm_days,
        "preferences": settings.subscribers.preferences_days,
    }
    if purpose in days:  # unsubscribe links never expire
        tokens["expired"] = old_token(settings, purpose, email, days[purpose] + 1)
    return tokens


@pytest.mark.parametrize("purpose", ["confirm", "preferences", "unsubscribe"])
def test_bad_links_change_nothing(site: Site, purpose: str) -> None:
    site.readers.add("pending@example.org", "en", ["trials"], now=now())
    site.readers.add("active@example.org", "en", ["trials"], confirmed=True, now=now())
    email = "pending@example.org" if purpose == "confirm" else "active@example.org"
    before = site.readers.listing()
    good = site.token(purpose, email)
    assert site.client.get(f"/{purpose}/{good}").status_code == 200  # the real one works
    csrf = csrf_token(site.client, f"/{purpose}/{good}") if purpose != "unsubscribe" else ""
    form = {"csrf_token": csrf, "language": "zh", "topics": ["safety"]}
    for kind, token in bad_tokens(site.settings, purpose, email).items():
        for method in ("get", "post"):
            if method == "get":
                answer = site.client.get(f"/{purpose}/{token}")
            elif purpose == "unsubscribe":
                one_click = site.app.test_client(use_cookies=False)
                answer = one_click.post(f"/{purpose}/{token}", data=b"List-Unsubscribe=One-Click")
            else:
                answer = site.client.post(f"/{purpose}/{token}", data=form)
            where = f"{method} {purpose} with a {kind} token"
            assert answer.status_code == 400, where
            assert "链接无效或已过期" in answer.text, where
            assert "我们没有做任何更改" in answer.text, where
            assert NOINDEX in answer.text, where
    assert site.readers.listing() == before

    english = site.client.get(f"/{purpose}/nope", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert "This link is not valid or has expired" in english.text


def test_confirm_links_for_addresses_that_left_or_are_gone(site: Site) -> None:
    site.readers.add("left@example.org", "zh", confirmed=True, now=now())
    site.readers.unsubscribe_address("left@example.org", now(), "web")
    before = site.reader("left@example.org")
    link = f"/confirm/{site.token('confirm', 'left@example.org')}"
    assert site.client.get(link).status_code == 400
    refused = post_form(site.client, link, {}, form="/subscribe")
    assert refused.status_code == 400
    assert "无法用这个链接确认订阅" in refused.text
    preferences = site.client.get(f"/preferences/{site.token('preferences', 'left@example.org')}")
    assert "您目前没有订阅" in preferences.text
    assert 'href="/subscribe"' in preferences.text
    assert site.reader("left@example.org") == before

    gone = f"/confirm/{site.token('confirm', 'gone@example.org')}"
    assert site.client.get(gone).status_code == 404
    answer = site.client.post(gone, data={"csrf_token": csrf_token(site.client)})
    assert answer.status_code == 404
    assert "找不到这个订阅" in answer.text
    preferences = f"/preferences/{site.token('preferences', 'gone@example.org')}"
    assert site.client.get(preferences).status_code == 404


# -- in a browser --------------------------------------------------------------------------------


@pytest.fixture
def served(sqlite_url: str, sqlite_engine: Engine, tmp_path: Path) -> Iterator[Site]:
    """The app on a free loopback port, its links pointing at where it really listens."""
    with loopback() as server:
        site = open_site(
            sqlite_url, sqlite_engine, tmp_path, **{"archive.base_url": server.url + "/"}
        )
        server.app = site.app
        yield site


def test_a_reader_subscribes_confirms_and_leaves_in_a_browser(
    served: Site, browser: Any, artifacts: Path
) -> None:
    base = served.settings.archive.base_url
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(base + "subscribe")
        page.fill("#email", "browser@example.org")
        page.check("input[name=topics][value=trials]")
        page.screenshot(path=str(artifacts / "web-subscribe-form.png"), full_page=True)
        page.click("button[type=submit]")
        assert page.locator("h1").inner_text() == "请查收确认邮件"
        assert served.reader("browser@example.org")["state"] == "pending"

        link = confirm_link(served.settings, "browser@example.org")
        assert link.startswith(base + "confirm/")
        page.goto(link)
        assert page.locator("h1").inner_text() == "确认订阅"
        assert served.reader("browser@example.org")["state"] == "pending"
        page.click("button[type=submit]")
        assert page.locator("h1").inner_text() == "订阅成功"
        page.screenshot(path=str(artifacts / "web-subscribe-confirmed.png"), full_page=True)
        reader = served.reader("browser@example.org")
        assert (reader["state"], reader["topics"]) == ("active", ["trials"])

        page.click("a[href^='/preferences/']")
        assert page.locator("h1").inner_text() == "订阅偏好"
        page.click("a[href^='/unsubscribe/']")
        assert page.locator("h1").inner_text() == "退订"
        assert served.reader("browser@example.org")["state"] == "active"
        page.click("button[type=submit]")
        assert page.locator("h1").inner_text() == "您已退订"
        reader = served.reader("browser@example.org")
        assert (reader["state"], reader["last_error"]) == ("unsubscribed", "by web")
    finally:
        page.close()
