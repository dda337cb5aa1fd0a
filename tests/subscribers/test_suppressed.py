"""An address that left (unsubscribed, bounced, complained) stays so whoever types it into the
form or an import: only its owner brings it back, by opening a confirmation link made after it
left. The form answers the same for every address, and never talks SMTP inside the request.
On both databases; the web part against a real (slow) SMTP server."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import Engine, update

from etl.db.models import Subscriber
from etl.digest.service import Digest
from etl.mail.tokens import make_token, serializer
from etl.settings import Settings
from etl.subscribers import store
from etl.subscribers.service import Subscribers
from etl.web import create_app
from tests.mail.conftest import settings_for
from tests.support.smtp import SmtpServer
from tests.web.test_subscriber_pages import CSRF

LEFT = ("unsubscribed", "bounced", "complained")

NONCE = re.compile(r' nonce="[^"]*"')


def token_at(settings: Settings, purpose: str, email: str, when: datetime) -> str:
    """A genuine token signed at `when`."""

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(when.timestamp())

    signing = serializer(settings, purpose)
    signing.signer = Then
    return signing.dumps(email)


def leave(engine: Engine, email: str, state: str, when: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(Subscriber.__table__)
            .where(Subscriber.__table__.c.email == email)
            .values(state=state, changed_at=when)
        )


def state_of(readers: Subscribers, email: str) -> str:
    with readers.engine.connect() as conn:
        found = store.find(conn, email)
    assert found is not None
    return found["state"]


@pytest.fixture
def readers(engine: Engine, db_url: str, tmp_path: Path) -> Subscribers:
    return Subscribers.open(settings_for(db_url, tmp_path / "var"), engine)


@pytest.mark.parametrize("state", LEFT)
def test_nobody_but_the_owner_brings_an_address_back(
    readers: Subscribers, tmp_path: Path, state: str
) -> None:
    now = datetime.now(UTC)
    email = "left@example.org"
    readers.add(email, "zh", confirmed=True, now=now - timedelta(days=30))
    early = token_at(readers.settings, "confirm", email, now - timedelta(days=1))
    leave(readers.engine, email, state, now - timedelta(seconds=2))
    # a stranger signs the address up on the form, twice, and an operator imports it
    asked = readers.subscribe_form(email, "en", ["trials"], "192.0.2.9", "UA", now)
    assert asked.action == "confirmation sent" and state_of(readers, email) == state
    again = readers.subscribe_form(email, "en", [], "192.0.2.9", "UA", now + timedelta(seconds=5))
    assert again.action == "unchanged" and state_of(readers, email) == state
    people = tmp_path / "people.csv"
    people.write_text(f"email,language,topics,state\n{email},zh,,active\n", encoding="utf-8")
    for confirmed in (True, False):
        report = readers.import_csv(people, confirmed=confirmed, now=now)
        assert [o.action for o in report.outcomes] == ["refused"]
    assert readers.add(email, confirmed=True, now=now).action == "refused"
    assert state_of(readers, email) == state
    assert readers.confirm(early, now).action == "refused"  # a link from before it left
    assert state_of(readers, email) == state
    (mailed,) = readers.drain(30)
    assert mailed.action == "confirmation sent"
    raw = (readers.settings.outbox_dir / f"confirm-{email}.eml").read_bytes()
    text = message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    token = text.split("/confirm/", 1)[1].split()[0]
    assert readers.confirm(token, datetime.now(UTC)).action == "confirmed"
    with readers.engine.connect() as conn:
        back = store.find(conn, email)
    assert back is not None and back["state"] == "active"
    assert (back["language"], back["topics"]) == ("en", ["trials"])  # what they asked for
    assert back["consent"]["remote"] == "192.0.2.9" and "confirmed_at" in back["consent"]


def test_an_import_never_confirms_what_the_form_asked_for_a_left_address(
    readers: Subscribers, tmp_path: Path
) -> None:
    """Form, then `import --confirmed`: once the way a left address became active."""
    now = datetime.now(UTC)
    readers.add("gone@example.org", confirmed=True, now=now - timedelta(days=3))
    readers.unsubscribe(make_token(readers.settings, "unsubscribe", "gone@example.org"), now)
    readers.subscribe_form("gone@example.org", "zh", [], "192.0.2.1", "UA", now)
    people = tmp_path / "people.csv"
    people.write_text("email\ngone@example.org\n", encoding="utf-8")
    report = readers.import_csv(people, confirmed=True, now=now)
    assert [o.action for o in report.outcomes] == ["refused"]
    assert state_of(readers, "gone@example.org") == "unsubscribed"
    readers.drain(30)


def test_the_form_answers_alike_and_mails_after_the_answer(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    with SmtpServer(delay=1.5) as relay:  # a slow relay: 1.5 s before each answer
        settings = settings_for(db_url, tmp_path / "var", SMTP_URL=relay.url)
        readers = Subscribers.open(settings, engine)
        app = create_app(settings, Digest.open(settings, engine), readers)
        now = datetime.now(UTC)
        readers.add("active@example.org", confirmed=True, now=now)
        readers.add("left@example.org", confirmed=True, now=now)
        readers.add("complained@example.org", confirmed=True, now=now)
        readers.add("waiting@example.org", now=now - timedelta(hours=1))  # pending, mailed
        leave(engine, "left@example.org", "unsubscribed", now)
        leave(engine, "complained@example.org", "complained", now)
        relay.wait_for(1)  # the pending reader's first confirmation
        addresses = ["new@example.org", "active@example.org", "waiting@example.org",
                     "left@example.org", "complained@example.org"]  # fmt: skip
        answers: dict[str, Any] = {}
        seconds: dict[str, float] = {}
        for address in addresses:
            client = app.test_client()
            token = CSRF.search(client.get("/subscribe").text).group(1)
            form = {"email": address, "language": "zh", "csrf_token": token}
            started = time.perf_counter()
            answers[address] = client.post("/subscribe", data=form)
            seconds[address] = time.perf_counter() - started
        # No SMTP in the request: every answer came well before the relay could have answered
        assert max(seconds.values()) < 1.0, seconds
        assert max(seconds.values()) - min(seconds.values()) < 0.5, seconds
        assert {a.status_code for a in answers.values()} == {200}
        # One answer for every state (but for the nonce each page's Content-Security-Policy holds).
        assert len({NONCE.sub("", a.text) for a in answers.values()}) == 1
        outcomes = {o.email: o.action for o in readers.drain(60)}
        assert outcomes == {
            "new@example.org": "confirmation sent",
            "waiting@example.org": "confirmation sent",
            "left@example.org": "confirmation sent",
            "complained@example.org": "confirmation sent",
        }
        mailed = sorted(m.rcpt_tos[0] for m in relay.messages[1:])
    assert mailed == sorted(outcomes)
    assert state_of(readers, "left@example.org") == "unsubscribed"
    assert state_of(readers, "complained@example.org") == "complained"
    assert state_of(readers, "active@example.org") == "active"
