"""Returned mail acts only when it is tied to a message we sent: forged complaints, bounces and
unsubscribe requests are recorded and shown, never applied; genuine ones, built from what a
real SMTP server received from us, are applied. On both databases."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Engine, select

from etl.db.models import MailEvent as EventRow
from etl.mail import verp
from etl.mail.bounces import read_message
from etl.mail.returns import apply_readings
from etl.mail.tokens import make_token
from etl.mail.transport import SmtpTransport, parse_smtp_url
from etl.ops.status import unmatched_reports
from tests.mail.conftest import SECRET, Clock, later
from tests.support.smtp import Received, SmtpServer

VICTIM = "victim@example.org"
MALLORY = "mallory@example.net"
OTHER = "reader@example.com"
UNSUBSCRIBE = "unsubscribe@mscwatch.example.org"
PLAIN_RETURN = "digest@mscwatch.example.org"


def headers_of(raw: bytes) -> str:
    return raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8", "replace")


def dsn(to: str, recipient: str, returned: str, status: str = "5.1.1") -> bytes:
    """A delivery status notification as Postfix writes one, delivered to `to`."""
    return (
        "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\n"
        f"To: {to}\nDelivered-To: {to}\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nThe mail could not be delivered.\n\n"
        "--B\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.org\n\n"
        f"Final-Recipient: rfc822; {recipient}\nAction: failed\nStatus: {status}\n"
        f"Diagnostic-Code: smtp; 550 {status} User unknown\n\n"
        f"--B\nContent-Type: text/rfc822-headers\n\n{returned}\n\n"
        "--B--\n"
    ).encode()


def arf(recipient: str, returned: str) -> bytes:
    """A spam complaint as Yahoo sends one."""
    rcpt = f"Original-Rcpt-To: {recipient}\n" if recipient else ""
    return (
        "From: feedback@arf.mail.yahoo.com\nTo: fbl@mscwatch.example.org\n"
        "Subject: FW: this is spam\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="F"\n\n'
        "--F\nContent-Type: text/plain\n\nThis is an email abuse report.\n\n"
        "--F\nContent-Type: message/feedback-report\n\n"
        f"Feedback-Type: abuse\nUser-Agent: Yahoo!-Mail-Feedback/2.0\nVersion: 1\n{rcpt}\n"
        f"--F\nContent-Type: text/rfc822-headers\n\n{returned}\n\n"
        "--F--\n"
    ).encode()


def unsubscribe_mail(sender: str, subject: str) -> bytes:
    return (
        f"From: {sender}\nTo: {UNSUBSCRIBE}\nSubject: {subject}\n"
        "Message-ID: <x1@mail.example.net>\n\nplease remove me\n"
    ).encode()


def states(engine: Engine) -> dict[str, str]:
    from etl.db.models import Subscriber

    table = Subscriber.__table__
    with engine.connect() as conn:
        return dict(conn.execute(select(table.c.email, table.c.state)).all())


def sent(issue_maker: Any) -> tuple[Any, dict[str, Received]]:
    """The issue sent through a real SMTP server to three readers: what it received."""
    digest, issue = issue_maker([VICTIM, MALLORY, OTHER], **{"delivery.bounce_limit": 1})
    with SmtpServer() as server:
        transport = SmtpTransport(parse_smtp_url(server.url), timeout=5)
        digest.send(issue["slug"], transport, Clock())
        received = {m.rcpt_tos[0]: m for m in server.messages}
    return digest, received


def process(digest: Any, messages: dict[str, bytes]) -> Any:
    readings = [
        read_message(raw, name, digest.settings.mail.unsubscribe_mailto)
        for name, raw in messages.items()
    ]
    return apply_readings(digest.engine, digest.settings, readings, later(60))


def test_each_message_has_its_own_signed_return_path(issue_maker: Any) -> None:
    digest, received = sent(issue_maker)
    paths = {to: m.mail_from for to, m in received.items()}
    assert len(set(paths.values())) == 3
    for path in paths.values():
        local, domain = path.split("@")
        assert local.startswith("digest+d") and domain == "mscwatch.example.org"
        assert verp.delivery_of(SECRET, path) is not None
        assert verp.delivery_of("another key", path) is None
        assert verp.delivery_of(SECRET, path.replace("-", "-0", 1)) is None
    message_id = received[VICTIM].message_id
    guessable = hashlib.sha256(VICTIM.encode()).hexdigest()[:16]
    assert guessable not in message_id  # nobody can work it out from the address


def test_forged_reports_are_recorded_and_shown_never_applied(issue_maker: Any) -> None:
    digest, received = sent(issue_maker)
    slug = digest.list()[0]["slug"]
    guessed_id = f"<{slug}.{hashlib.sha256(VICTIM.encode()).hexdigest()[:16]}@mscwatch.example.org>"
    own = received[MALLORY]  # Mallory's genuine copy: her return path and Message-ID
    own_headers = headers_of(own.data)
    victim_path = received[VICTIM].mail_from
    forged_path = victim_path.rsplit("-", 1)[0] + "-0123456789abcdef@mscwatch.example.org"
    bad_token = make_token(digest.settings, "unsubscribe", VICTIM)[:-4] + "AAAA"
    forged = {
        "arf-invented.eml": arf(VICTIM, "From: digest@mscwatch.example.org\n"
                                "Message-ID: <invented.1@mscwatch.example.org>"),
        "arf-guessed-id.eml": arf("", f"From: digest@mscwatch.example.org\n"
                                  f"Message-ID: {guessed_id}"),
        "dsn-plain-path.eml": dsn(PLAIN_RETURN, VICTIM, f"Message-ID: {guessed_id}"),
        "dsn-bad-signature.eml": dsn(forged_path, VICTIM, "Message-ID: <x@example.org>"),
        "dsn-own-path-other-reader.eml": dsn(own.mail_from, VICTIM, own_headers),
        "unsubscribe-forged-from.eml": unsubscribe_mail(VICTIM, "unsubscribe"),
        "unsubscribe-bad-token.eml": unsubscribe_mail(VICTIM, f"unsubscribe-{bad_token}"),
    }  # fmt: skip
    report = process(digest, forged)
    assert states(digest.engine) == {VICTIM: "active", MALLORY: "active", OTHER: "active"}
    assert sorted(name for name, *_ in report.unmatched) == sorted(forged)
    assert not report.changed and not report.events
    why = {name: reason for name, _, _, reason in report.unmatched}
    assert "not tied to a message we sent" in why["arf-invented.eml"]
    assert "not tied to a message we sent" in why["arf-guessed-id.eml"]
    assert (
        f"names {VICTIM}, but our message went to {MALLORY}" in why["dsn-own-path-other-reader.eml"]
    )
    assert "no valid signed unsubscribe token" in why["unsubscribe-forged-from.eml"]
    with digest.engine.connect() as conn:
        rows = conn.execute(select(EventRow.__table__)).mappings().all()
    assert len(rows) == len(forged) and {r["outcome"] for r in rows} == {"unmatched"}
    assert all(r["reason"] for r in rows)
    assert unmatched_reports(digest.engine, later(120)) == len(forged)
    again = process(digest, forged)
    assert again.repeated == len(forged) and not again.unmatched  # recorded once
    # Mallory's own Message-ID, complaining "about" the victim, can only complain about herself
    own_complaint = process(digest, {"arf-own-id.eml": arf(VICTIM, own_headers)})
    assert own_complaint.changed == [(MALLORY, "active", "complained")]
    assert states(digest.engine)[VICTIM] == "active"


def test_genuine_reports_are_applied(issue_maker: Any) -> None:
    digest, received = sent(issue_maker)
    victim = received[VICTIM]
    other = received[OTHER]
    token = make_token(digest.settings, "unsubscribe", MALLORY)
    genuine = {
        # delivered to the victim's own return path, returning a copy of its headers
        "dsn.eml": dsn(victim.mail_from, VICTIM, headers_of(victim.data)),
        # Yahoo removes the recipient: our Message-ID names the delivery
        "arf.eml": arf("", headers_of(other.data).replace(OTHER, "redacted@yahoo.com")),
        # a mail client acting on List-Unsubscribe, from another address of the reader
        "unsubscribe.eml": unsubscribe_mail("alias@example.net", f"unsubscribe-{token}"),
    }
    report = process(digest, genuine)
    assert not report.unmatched, report.unmatched
    assert states(digest.engine) == {
        VICTIM: "bounced",
        OTHER: "complained",
        MALLORY: "unsubscribed",
    }
    with digest.engine.connect() as conn:
        outcomes = conn.execute(select(EventRow.__table__.c.outcome)).scalars().all()
    assert sorted(outcomes) == ["applied"] * 3
    assert unmatched_reports(digest.engine, later(120)) == 0


def test_a_report_reads_where_it_was_delivered_and_the_returned_return_path() -> None:
    returned = "Return-Path: <digest+d7-0123456789abcdef@mscwatch.example.org>\nMessage-ID: <a@b>"
    reading = read_message(dsn("fbl@mscwatch.example.org", VICTIM, returned), "x")
    assert reading.addressed_to == (
        "fbl@mscwatch.example.org",
        "digest+d7-0123456789abcdef@mscwatch.example.org",
    )


def test_ids_and_paths_are_keyed() -> None:
    path = verp.return_path("bounces@example.org", SECRET, 42)
    assert verp.delivery_of(SECRET, path) == 42
    assert verp.delivery_of(SECRET, path.upper()) == 42  # some relays change the case
    assert verp.delivery_of(SECRET, path.replace("d42", "d43")) is None
    assert verp.message_tag(SECRET, "2026-11-16", VICTIM) != verp.message_tag(
        "k" * 40, "2026-11-16", VICTIM
    )
