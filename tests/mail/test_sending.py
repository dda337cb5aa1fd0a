"""Sending an issue to a real SMTP server on loopback: one message per reader over one
connection, deferrals retried, refusals recorded, connections lost and found again."""

from __future__ import annotations

import email
import email.policy
from typing import Any

import pytest
from sqlalchemy import select

from etl.db.models import Delivery, Subscriber
from etl.errors import ConfigError, DeliveryError, DigestError
from etl.mail.tokens import read_token
from etl.mail.transport import (
    OutboxTransport,
    SmtpTransport,
    open_transport,
    parse_smtp_url,
)
from tests.mail.conftest import Clock, settings_for
from tests.support.smtp import Rule, SmtpServer, client_context, self_signed

READERS = [f"reader{i:02d}@example.org" for i in range(12)]


def deliveries(digest: Any) -> dict[str, dict[str, Any]]:
    query = select(Delivery.__table__, Subscriber.__table__.c.email).join(
        Subscriber.__table__, Subscriber.__table__.c.id == Delivery.__table__.c.subscriber_id
    )
    with digest.engine.connect() as conn:
        return {row["email"]: dict(row) for row in conn.execute(query).mappings()}


def subscriber(digest: Any, address: str) -> dict[str, Any]:
    table = Subscriber.__table__
    with digest.engine.connect() as conn:
        return dict(conn.execute(select(table).where(table.c.email == address)).mappings().one())


def smtp(server: SmtpServer, **kwargs: Any) -> SmtpTransport:
    return SmtpTransport(parse_smtp_url(server.url), timeout=5, **kwargs)


def test_every_reader_gets_one_message_over_one_connection(issue_maker: Any) -> None:
    digest, issue = issue_maker(READERS)
    with SmtpServer() as server:
        done, report, standing = digest.send(issue["slug"], smtp(server), Clock())
        received = server.messages
    assert done["state"] == "sent" and done["sent_at"] is not None
    assert report.sent == len(READERS) and standing["states"] == {"sent": len(READERS)}
    assert sorted(r.rcpt_tos[0] for r in received) == READERS
    assert {r.session for r in received} == {received[0].session}  # one connection
    rows = deliveries(digest)
    for message in received:
        to = message.rcpt_tos[0]
        parsed = email.message_from_bytes(message.data, policy=email.policy.default)
        assert parsed["To"] == to and parsed["Message-ID"] == rows[to]["message_id"]
        assert parsed["Subject"].startswith("间充质干细胞肿瘤研究周报")
        unsubscribe, mailto = (u.strip(" <>") for u in parsed["List-Unsubscribe"].split(","))
        token = unsubscribe.rsplit("/", 1)[1]
        assert read_token(digest.settings, "unsubscribe", token, None) == to
        assert mailto.endswith(f"?subject=unsubscribe-{token}")
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        body = parsed.get_body(("plain",)).get_content()
        assert unsubscribe in body and "%%" not in body
    with pytest.raises(DigestError, match="is sent"):
        digest.send(issue["slug"], smtp(server), Clock())


def test_deferrals_are_retried_until_accepted(issue_maker: Any) -> None:
    digest, issue = issue_maker(READERS[:4])
    with SmtpServer() as server:
        rule = server.add(Rule("reader01", reply="451 4.3.0 Try again later", times=2))
        done, report, _ = digest.send(issue["slug"], smtp(server), Clock())
        received = server.messages
    assert rule.fired == 2 and report.deferred == 2 and report.sent == 4
    assert sorted(r.rcpt_tos[0] for r in received) == READERS[:4]
    row = deliveries(digest)["reader01@example.org"]
    assert row["state"] == "sent" and row["attempts"] == 3 and done["state"] == "sent"


def test_a_refusal_fails_the_delivery_and_bounces_the_address(issue_maker: Any) -> None:
    digest, issue = issue_maker(READERS[:5], **{"delivery.bounce_limit": 1})
    with SmtpServer() as server:
        server.add(Rule("reader01", reply="550 5.1.1 No such user"))
        server.add(Rule("reader02", stage="data", reply="554 5.7.1 Rejected by policy"))
        done, report, standing = digest.send(issue["slug"], smtp(server), Clock())
        received = server.messages
    assert len(received) == 3 and report.failed == 2 and report.bounced == 1
    assert standing["states"] == {"sent": 3, "failed": 2} and done["state"] == "sent"
    rows = deliveries(digest)
    assert rows["reader01@example.org"]["last_code"] == 550
    assert "5.1.1" in rows["reader01@example.org"]["last_error"]
    assert subscriber(digest, "reader01@example.org")["state"] == "bounced"
    # a policy refusal is about our mail, not the address: it does not count against them
    policy = subscriber(digest, "reader02@example.org")
    assert policy["state"] == "active" and policy["bounces"] == 0


def test_lost_connections_are_reopened_and_nothing_is_sent_twice(issue_maker: Any) -> None:
    digest, issue = issue_maker(READERS[:6])
    with SmtpServer() as server:
        server.add(Rule("reader02", stage="data", drop=True, times=1))
        server.add(Rule("reader04", reply="421 4.7.0 Too busy, closing", times=1))
        done, report, _ = digest.send(issue["slug"], smtp(server), Clock())
        received = server.messages
        connections = server.connections
    assert sorted(r.rcpt_tos[0] for r in received) == READERS[:6]
    assert report.deferred == 2 and done["state"] == "sent"
    assert connections == 3  # the first, and one after each loss


def test_a_relay_that_keeps_refusing_stops_the_run_and_keeps_the_rest(issue_maker: Any) -> None:
    digest, issue = issue_maker(READERS, **{"delivery.failure_streak": 3})
    with SmtpServer() as server:
        server.add(Rule("", reply="451 4.7.1 Greylisted"))
        with pytest.raises(DeliveryError, match="3 messages in a row"):
            digest.send(issue["slug"], smtp(server), Clock())
    rows = deliveries(digest)
    assert sorted(r["state"] for r in rows.values()).count("retry") == 3
    assert sum(r["state"] == "queued" for r in rows.values()) == len(READERS) - 3
    assert digest.issue(issue["slug"])["state"] == "sending"
    with SmtpServer() as server:  # the relay is back: the next run finishes the issue
        done, report, _ = digest.send(issue["slug"], smtp(server), Clock())
        assert sorted(r.rcpt_tos[0] for r in server.messages) == READERS
    assert done["state"] == "sent"


def test_an_unreachable_relay_loses_nothing(issue_maker: Any) -> None:
    digest, issue = issue_maker(READERS[:3])
    with SmtpServer() as server:
        url = server.url
    transport = SmtpTransport(parse_smtp_url(url), timeout=2)  # the server is gone
    slept: list[float] = []
    with pytest.raises(DeliveryError, match="cannot be used"):
        digest.send(
            issue["slug"], transport, Clock(), started=lambda s: setattr(s, "sleep", slept.append)
        )
    assert slept == [1.0, 2.0]  # two more tries, backing off
    rows = deliveries(digest)
    assert {r["state"] for r in rows.values()} == {"queued"}
    assert all(r["attempts"] <= 1 for r in rows.values())


def test_a_reader_who_leaves_before_their_turn_is_skipped(issue_maker: Any) -> None:
    digest, issue = issue_maker(READERS[:3])
    digest.start_sending(issue["slug"], Clock()())
    table = Subscriber.__table__
    with digest.engine.begin() as conn:
        conn.execute(table.update().where(table.c.email == READERS[1]).values(state="unsubscribed"))
    with SmtpServer() as server:
        done, report, _ = digest.send(issue["slug"], smtp(server), Clock())
        assert sorted(r.rcpt_tos[0] for r in server.messages) == [READERS[0], READERS[2]]
    assert report.skipped == 1 and deliveries(digest)[READERS[1]]["state"] == "skipped"
    assert done["state"] == "sent"


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_tls_and_login(issue_maker: Any, tmp_path: Any, mode: str) -> None:
    digest, issue = issue_maker(READERS[:2])
    context, cert = self_signed(tmp_path)
    options = (
        {"tls": context, "require_starttls": True}
        if mode == "starttls"
        else {"tls": context, "implicit_tls": True}
    )
    with SmtpServer(auth=("digest", "p@ss word"), **options) as server:
        target = parse_smtp_url(server.url)
        assert target.user == "digest" and target.password == "p@ss word"
        assert (target.starttls, target.implicit_tls) == (mode == "starttls", mode == "implicit")
        transport = SmtpTransport(target, timeout=5, context=client_context(cert))
        done, report, _ = digest.send(issue["slug"], transport, Clock())
        assert len(server.messages) == 2 and done["state"] == "sent"


def test_smtp_url_forms_and_mistakes() -> None:
    assert parse_smtp_url("smtp://relay.example.org").port == 25
    target = parse_smtp_url("smtp://u%40x:p%3Aw@relay.example.org?starttls=true")
    assert (target.port, target.user, target.password) == (587, "u@x", "p:w")
    assert parse_smtp_url("smtps://relay.example.org").port == 465
    assert "***" in target.masked and "p:w" not in target.masked
    for bad, words in (
        ("http://relay.example.org", "scheme"),
        ("smtp://", "no host"),
        ("smtp://relay.example.org:x", "port"),
        ("smtp://relay.example.org?tls=1", "unknown option"),
        ("smtps://relay.example.org?starttls=true", "already uses TLS"),
    ):
        with pytest.raises(ConfigError, match=words):
            parse_smtp_url(bad)


def test_without_smtp_url_messages_go_to_the_outbox(tmp_path: Any) -> None:
    settings = settings_for("sqlite:///:memory:", tmp_path / "var")
    transport = open_transport(settings)
    assert isinstance(transport, OutboxTransport)
    with_url = settings_for(
        "sqlite:///:memory:", tmp_path / "var", SMTP_URL="smtp://relay.example.org:2525"
    )
    assert isinstance(open_transport(with_url), SmtpTransport)
