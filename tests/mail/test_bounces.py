"""Returned mail: the events each kind of message gives, read from hand-written messages shaped
like those real MTAs and feedback loops send (see data/bounces/README.md)."""

from __future__ import annotations

import base64
import hashlib
import mailbox
from dataclasses import replace
from pathlib import Path

import pytest

from etl.mail.bounces import (
    BOUNCE,
    COMPLAINT,
    SOFT_BOUNCE,
    UNSUBSCRIBE,
    MailEvent,
    Reading,
    read_message,
    read_path,
)

DATA = Path(__file__).parent / "data" / "bounces"
UNSUBSCRIBE_ADDRESS = "unsubscribe@mscwatch.example.org"
TOKEN = "InpoYW5nLnNhbkBsYWIuZXhhbXBsZS5jbiI.awZbPw.pYUcQIJQwwJysFSSoZPTO2qPn94"


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def read(name: str, unsubscribe_address: str = UNSUBSCRIBE_ADDRESS) -> Reading:
    return read_message(fixture(name), name, unsubscribe_address)


def undigested(reading: Reading) -> Reading:
    """The reading without its digest and addresses, to compare with an expected one."""
    return replace(reading, digest="", addressed_to=())


FIXTURE_EVENTS = {
    "postfix-user-unknown.eml": MailEvent(
        BOUNCE,
        "reader.one@example.net",
        "5.1.1",
        "550 5.1.1 <Reader.One@example.net>: Recipient address rejected: User unknown in "
        "virtual mailbox table",
        "<2026-11-30.3f2a9c1d7e8b4a05@mscwatch.example.org>",
    ),
    "postfix-delayed.eml": MailEvent(
        SOFT_BOUNCE,
        "lab@slow.example.com",
        "4.4.1",
        "connect to mx.slow.example.com[203.0.113.40]:25: Connection timed out",
        "<2026-11-30.8d41e07b2c9f6a13@mscwatch.example.org>",
    ),
    "exim-mailbox-full.eml": MailEvent(
        BOUNCE,
        "cheng.li@example.com.cn",
        "5.0.0",
        "552 5.2.2 <cheng.li@example.com.cn>: user mailbox is full",
        "<2026-11-30.0b7c5e2f94a1d368@mscwatch.example.org>",
    ),
    "outlook-recipient-not-found.eml": MailEvent(
        BOUNCE,
        "j.doe@contoso.example",
        "5.1.10",
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
        "<2026-11-30.5e0c2b9a71d4f836@mscwatch.example.org>",
    ),
    "gmail-failed-timeout.eml": MailEvent(
        SOFT_BOUNCE,
        "wei.zhang@lab.example.edu",
        "4.4.1",
        "The recipient server did not accept our requests to connect. For more information, "
        "go to https://support.google.com/mail/answer/7720 [lab.example.edu 192.0.2.33: "
        "timed out]",
        "<2026-11-30.c7f3a0e5d9b21486@mscwatch.example.org>",
    ),
    "arf-yahoo-abuse.eml": MailEvent(
        COMPLAINT,
        "msc.reader.example@yahoo.com",
        "",
        "feedback report: abuse (Yahoo!-Mail-Feedback/2.0)",
        "<2026-11-30.2b9e4d7a0c6f1385@mscwatch.example.org>",
    ),
    "qmail-failure-notice.eml": MailEvent(
        BOUNCE,
        "gone.reader@old-isp.example",
        "5.1.1",
        "Sorry, no mailbox here by that name. (#5.1.1)",
        "<2026-11-30.6c2e8f0a3d7b9154@mscwatch.example.org>",
    ),
    "exim-plain-user-unknown.eml": MailEvent(
        BOUNCE,
        "old.reader@oldhost.example.net",
        "5.1.1",
        "SMTP error from remote mail server after RCPT TO:<old.reader@oldhost.example.net>: "
        "host store2.oldhost.example.net [198.51.100.61]: 550 5.1.1 "
        "<old.reader@oldhost.example.net>: Recipient address rejected: User unknown in local "
        "recipient table",
        "<2026-11-30.e4a9d2c7b1f05836@mscwatch.example.org>",
    ),
    "unsubscribe-mailto.eml": MailEvent(UNSUBSCRIBE, "zhang.san@lab.example.cn", token=TOKEN),
}


@pytest.mark.parametrize("name", sorted(FIXTURE_EVENTS))
def test_each_fixture_gives_its_event(name: str) -> None:
    assert undigested(read(name)) == Reading(name, [FIXTURE_EVENTS[name]])


@pytest.mark.parametrize("name", sorted(FIXTURE_EVENTS))
def test_crlf_line_ends_read_the_same(name: str) -> None:
    """Mail as stored by most delivery agents has CRLF line ends; the fixtures have LF."""
    raw = fixture(name).replace(b"\n", b"\r\n")
    assert read_message(raw, name, UNSUBSCRIBE_ADDRESS).events == [FIXTURE_EVENTS[name]]


def test_auto_submitted_on_bounces_does_not_hide_them() -> None:
    """Postfix, Exim, Outlook and Gmail all mark their bounces auto-replied."""
    for name in (
        "postfix-user-unknown.eml",
        "exim-mailbox-full.eml",
        "outlook-recipient-not-found.eml",
    ):
        assert b"Auto-Submitted: auto-replied" in fixture(name)
        assert read(name).events[0].kind == BOUNCE


def test_out_of_office_is_ignored() -> None:
    assert undigested(read("autoreply-outlook-zh.eml")) == Reading(
        "autoreply-outlook-zh.eml", [], ignored="auto-reply"
    )


def test_rfc2047_subject_alone_marks_an_auto_reply() -> None:
    """Without Auto-Submitted, only the decoded subject ("自动答复: ...") says what it is."""
    raw = b"\n".join(
        line
        for line in fixture("autoreply-outlook-zh.eml").split(b"\n")
        if not line.startswith((b"Auto-Submitted:", b"X-Auto-Response-Suppress:"))
    )
    assert "自动答复".encode() not in raw
    assert read_message(raw, "oof").ignored == "auto-reply"


def test_gb2312_encoded_chinese_subject() -> None:
    subject = (
        "=?gb2312?B?" + base64.b64encode("自动回复：我在休假".encode("gb2312")).decode() + "?="
    )
    raw = (
        f"From: reader@example.cn\nTo: digest@mscwatch.example.org\nSubject: {subject}\n\n"
        "我在休假。\n"
    ).encode()
    assert read_message(raw, "qq").ignored == "auto-reply"


@pytest.mark.parametrize(
    "header",
    ["X-Autoreply: yes", "Precedence: auto_reply", "Auto-Submitted: auto-generated"],
)
def test_auto_reply_headers(header: str) -> None:
    raw = f"From: a@example.com\nTo: digest@mscwatch.example.org\n{header}\nSubject: Hi\n\nx\n"
    assert read_message(raw.encode(), "x").ignored == "auto-reply"


def test_auto_submitted_no_is_not_an_auto_reply() -> None:
    raw = b"From: a@example.com\nTo: x@mscwatch.example.org\nAuto-Submitted: no\nSubject: Hi\n\nx\n"
    assert read_message(raw, "x").ignored == "not a delivery report"


def test_message_without_useful_content_is_ignored() -> None:
    assert undigested(read("no-content.eml")) == Reading(
        "no-content.eml", [], ignored="not a delivery report"
    )


def test_broken_message_sets_error() -> None:
    reading = read("broken-binary.eml")
    assert reading.events == []
    assert reading.error == "not a mail message: no header fields"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\r\n\r\n",
        bytes(range(256)) * 8,
        b"\x00\x00\x00\x00From: x\n",
        b"Content-Type: multipart/report; report-type=delivery-status\n\nno boundary at all\n",
        b"From: =?utf-8?q?=E2=80?= <@@@>, <,,>\nTo: :;<>\nSubject: =?bogus?b?!!!?=\n\n\xff\xfe",
        b"Content-Type: multipart/report; boundary=b; report-type=delivery-status\n\n"
        b"--b\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
        b"!!!not base64!!!\n--b--\n",
    ],
)
def test_bad_input_never_raises(raw: bytes) -> None:
    reading = read_message(raw, "bad", UNSUBSCRIBE_ADDRESS)
    assert reading.name == "bad"
    assert reading.events == []
    assert reading.error or reading.ignored


def test_digest_identifies_the_message_bytes() -> None:
    """Reading the same mailbox twice must be recognisable, whatever the message gave."""
    for name in ("postfix-user-unknown.eml", "no-content.eml", "broken-binary.eml"):
        assert read(name).digest == hashlib.sha256(fixture(name)).hexdigest()
    assert read_message(b"", "empty").digest == hashlib.sha256(b"").hexdigest()
    assert read_message(b"From: a@b.example\n\n1\n", "x").digest != (
        read_message(b"From: a@b.example\n\n2\n", "x").digest
    )


def test_empty_message_is_an_error() -> None:
    assert read_message(b"", "empty").error == "empty message"


def test_message_the_parser_cannot_handle_gives_an_error() -> None:
    """Parts nested thousands deep exhaust the parser's recursion."""
    nested = b"".join(
        b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1) for i in range(3000)
    )
    raw = b"From: a@example.com\nContent-Type: multipart/mixed; boundary=b0\n\n" + nested
    reading = read_message(raw, "deep")
    assert reading.events == []
    assert reading.error.startswith("could not parse: RecursionError")


# Delivery status notifications built inline, for the rules the fixtures do not reach.


def dsn(*recipients: str, to: str = "bounces@mscwatch.example.org", part: str = "") -> bytes:
    status = part or (
        "Content-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mail.mscwatch.example.org\n\n" + "\n".join(recipients)
    )
    return (
        "From: MAILER-DAEMON@mail.mscwatch.example.org (Mail Delivery System)\n"
        f"To: {to}\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nSee the report.\n\n"
        f"--B\n{status}\n"
        "--B\nContent-Type: text/rfc822-headers\n\n"
        "From: digest@mscwatch.example.org\nMessage-ID: <1.a@mscwatch.example.org>\n\n"
        "--B--\n"
    ).encode()


def recipient(address: str, action: str, status: str = "", diagnostic: str = "") -> str:
    lines = [f"Final-Recipient: rfc822; {address}", f"Action: {action}"]
    if status:
        lines.append(f"Status: {status}")
    if diagnostic:
        lines.append(f"Diagnostic-Code: smtp; {diagnostic}")
    return "\n".join(lines) + "\n"


def kinds(reading: Reading) -> list[tuple[str, str, str]]:
    return [(e.kind, e.address, e.status) for e in reading.events]


def test_one_event_per_failed_or_delayed_recipient() -> None:
    raw = dsn(
        recipient("a@example.com", "failed", "5.1.1", "550 5.1.1 no such user"),
        recipient("b@example.com", "delivered", "2.0.0"),
        recipient("c@example.com", "delayed", "4.2.2", "452 4.2.2 mailbox full"),
        recipient("d@example.com", "relayed", "2.0.0"),
        recipient("e@example.com", "expanded", "2.0.0"),
        recipient("f@example.com", "failed", "4.4.7", "retry timeout exceeded"),
    )
    reading = read_message(raw, "multi")
    assert kinds(reading) == [
        (BOUNCE, "a@example.com", "5.1.1"),
        (SOFT_BOUNCE, "c@example.com", "4.2.2"),
        (SOFT_BOUNCE, "f@example.com", "4.4.7"),
    ]
    assert {e.message_id for e in reading.events} == {"<1.a@mscwatch.example.org>"}


def test_report_of_successes_only_is_ignored() -> None:
    reading = read_message(dsn(recipient("b@example.com", "delivered", "2.0.0")), "ok")
    assert undigested(reading) == Reading(
        "ok", [], ignored="delivery report without failures (delivered)"
    )


@pytest.mark.parametrize(
    "diagnostic, kind, status",
    [
        ("550 User unknown", BOUNCE, "5.0.0"),
        ("550-5.1.1 The email account that you tried to reach does not exist", BOUNCE, "5.1.1"),
        ("421 Service not available, try later", SOFT_BOUNCE, "4.0.0"),
    ],
)
def test_status_missing_is_derived_from_the_smtp_code(
    diagnostic: str, kind: str, status: str
) -> None:
    reading = read_message(dsn(recipient("a@example.com", "failed", "", diagnostic)), "x")
    assert kinds(reading) == [(kind, "a@example.com", status)]
    assert reading.events[0].diagnostic == diagnostic


def test_original_recipient_is_preferred_and_prefixes_stripped() -> None:
    block = (
        "Final-Recipient: RFC822;<r.one@mail.example.net>\n"
        "Original-Recipient: rfc822;Reader.One@Example.NET\n"
        "Action: failed\nStatus: 5.1.1\n"
    )
    assert kinds(read_message(dsn(block), "x")) == [(BOUNCE, "reader.one@example.net", "5.1.1")]


def test_blocks_run_together_are_still_told_apart() -> None:
    """A separating line holding a space is no blank line to the parser."""
    part = (
        "Content-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.org\n \n"
        "Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1\n \n"
        "Final-Recipient: rfc822; b@example.com\nAction: delayed\nStatus: 4.4.1\n"
    )
    assert kinds(read_message(dsn(part=part), "x")) == [
        (BOUNCE, "a@example.com", "5.1.1"),
        (SOFT_BOUNCE, "b@example.com", "4.4.1"),
    ]


def test_global_delivery_status() -> None:
    """RFC 6533 reports (sent for SMTPUTF8 mail) are parsed like an attached message."""
    part = (
        "Content-Type: message/global-delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.org\n\n"
        + recipient("a@example.com", "failed", "5.1.1")
        + "\n"
        + recipient("b@example.com", "failed", "5.2.1")
    )
    assert kinds(read_message(dsn(part=part), "x")) == [
        (BOUNCE, "a@example.com", "5.1.1"),
        (BOUNCE, "b@example.com", "5.2.1"),
    ]


def test_base64_encoded_delivery_status() -> None:
    text = "Reporting-MTA: dns; mx.example.org\n\n" + recipient("a@example.com", "failed", "5.1.1")
    encoded = base64.encodebytes(text.encode()).decode()
    part = "Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n" + encoded
    assert kinds(read_message(dsn(part=part), "x")) == [(BOUNCE, "a@example.com", "5.1.1")]


def test_message_id_from_gmail_per_message_field_when_nothing_is_returned() -> None:
    raw = fixture("gmail-failed-timeout.eml")
    returned = raw.index(b"--000000000000b5a1c00623f0a9e1\nContent-Type: message/rfc822")
    raw = raw[:returned] + b"--000000000000b5a1c00623f0a9e1--\n"
    assert read_message(raw, "gmail").events == [FIXTURE_EVENTS["gmail-failed-timeout.eml"]]


def test_diagnostic_is_one_line_of_at_most_300_characters() -> None:
    long = "550 5.7.1 " + "policy rejection " * 40
    event = read_message(dsn(recipient("a@example.com", "failed", "5.7.1", long)), "x").events[0]
    assert len(event.diagnostic) <= 300
    assert "\n" not in event.diagnostic
    assert event.diagnostic.startswith("550 5.7.1 policy rejection")


def test_report_sent_to_the_unsubscribe_address_is_still_a_report() -> None:
    raw = dsn(recipient("a@example.com", "failed", "5.1.1"), to=UNSUBSCRIBE_ADDRESS)
    assert kinds(read_message(raw, "x", UNSUBSCRIBE_ADDRESS)) == [
        (BOUNCE, "a@example.com", "5.1.1")
    ]
    raw = fixture("arf-yahoo-abuse.eml").replace(b"fbl@mscwatch", b"unsubscribe@mscwatch")
    assert read_message(raw, "x", UNSUBSCRIBE_ADDRESS).events[0].kind == COMPLAINT


# Feedback reports


def arf(feedback_type: str, rcpt_to: str = "") -> bytes:
    field = f"Original-Rcpt-To: {rcpt_to}\n" if rcpt_to else ""
    return (
        "From: scomp@aol.net\nTo: fbl@mscwatch.example.org\nSubject: Email Feedback Report\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="F"\n\n'
        "--F\nContent-Type: text/plain\n\nThis is an email abuse report.\n\n"
        "--F\nContent-Type: message/feedback-report\n\n"
        f"Feedback-Type: {feedback_type}\nUser-Agent: AOL SComp\nVersion: 1\n{field}\n"
        "--F\nContent-Type: text/rfc822-headers\n\n"
        "From: digest@mscwatch.example.org\nTo: redacted@aol.com\n"
        "Message-ID: <2.b@mscwatch.example.org>\n\n"
        "--F--\n"
    ).encode()


def test_complaint_prefers_original_rcpt_to() -> None:
    reading = read_message(arf("abuse", "<Some.One@AOL.com>"), "aol")
    assert reading.events == [
        MailEvent(
            COMPLAINT,
            "some.one@aol.com",
            "",
            "feedback report: abuse (AOL SComp)",
            "<2.b@mscwatch.example.org>",
        )
    ]


@pytest.mark.parametrize("feedback_type", ["fraud", "virus", "other"])
def test_other_complaint_types(feedback_type: str) -> None:
    assert kinds(read_message(arf(feedback_type, "x@aol.com"), "aol")) == [
        (COMPLAINT, "x@aol.com", "")
    ]


def test_not_spam_report_gives_nothing() -> None:
    reading = read_message(arf("not-spam", "x@aol.com"), "aol")
    assert undigested(reading) == Reading("aol", [], ignored="feedback report: not-spam")


def test_read_receipt_is_ignored() -> None:
    raw = (
        b"From: a@example.com\nTo: digest@mscwatch.example.org\nSubject: Read: issue 48\n"
        b'Content-Type: multipart/report; report-type=disposition-notification; boundary="R"\n\n'
        b"--R\nContent-Type: text/plain\n\nRead.\n"
        b"--R\nContent-Type: message/disposition-notification\n\n"
        b"Final-Recipient: rfc822; a@example.com\nDisposition: manual-action/MDN-sent-manually;"
        b" displayed\n\n--R--\n"
    )
    assert undigested(read_message(raw, "mdn")) == Reading("mdn", [], ignored="read receipt")


# Plain-text bounces


def test_plain_bounce_without_a_code_is_ignored_not_guessed() -> None:
    raw = (
        b"From: MAILER-DAEMON@mx.example.net\nTo: bounces@mscwatch.example.org\n"
        b"Subject: failure notice\n\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
        b"<someone@example.net>:\nThe mailbox is unavailable.\n"
    )
    assert read_message(raw, "q").ignored == (
        "bounce without a recognisable recipient and status code"
    )


def test_plain_bounce_never_takes_addresses_from_the_returned_copy() -> None:
    raw = (
        b"From: postmaster@mx.example.net\nTo: bounces@mscwatch.example.org\n"
        b"Subject: Returned mail: see transcript for details\n\n"
        b"Delivery failed.\n\n"
        b"--- Below this line is a copy of the message.\n\n"
        b"Return-Path: <bounces@mscwatch.example.org>\n"
        b"To:\n  victim@example.net\n"
        b"550 5.1.1 this line is in the copy\n"
    )
    assert read_message(raw, "q").events == []


def test_plain_temporary_failure_is_a_soft_bounce() -> None:
    raw = (
        b"From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
        b"To: bounces@mscwatch.example.org\nSubject: Warning: message delayed\n\n"
        b"  slow@example.net\n"
        b"    host mx.example.net [192.0.2.1]: 451 4.3.0 Temporary lookup failure\n"
    )
    assert kinds(read_message(raw, "q")) == [(SOFT_BOUNCE, "slow@example.net", "4.3.0")]


# Unsubscribe requests


def test_unsubscribe_needs_the_configured_address() -> None:
    assert read("unsubscribe-mailto.eml", "").ignored == "not a delivery report"


def test_unsubscribe_address_may_be_the_mailto_url_in_any_case() -> None:
    url = "mailto:Unsubscribe@MSCWatch.example.org?subject=unsubscribe"
    assert read("unsubscribe-mailto.eml", url).events == [FIXTURE_EVENTS["unsubscribe-mailto.eml"]]


def test_unsubscribe_token_from_the_first_body_line_or_none() -> None:
    head = (
        "From: =?utf-8?b?5byg5LiJ?= <Zhang.San@Lab.Example.cn>\n"
        "To: editors@mscwatch.example.org\nX-Original-To: unsubscribe@mscwatch.example.org\n"
    )
    body_token = f"{head}Subject: unsubscribe\n\n\nunsubscribe-{TOKEN}.\nThanks\n"
    no_token = f"{head}Subject: unsubscribe\n\nPlease remove me.\n"
    assert read_message(body_token.encode(), "u", UNSUBSCRIBE_ADDRESS).events == [
        MailEvent(UNSUBSCRIBE, "zhang.san@lab.example.cn", token=TOKEN)
    ]
    assert read_message(no_token.encode(), "u", UNSUBSCRIBE_ADDRESS).events == [
        MailEvent(UNSUBSCRIBE, "zhang.san@lab.example.cn")
    ]


def test_machine_made_unsubscribe_request_still_counts() -> None:
    """A mail client acting on List-Unsubscribe may mark its request auto-generated."""
    raw = fixture("unsubscribe-mailto.eml").replace(
        b"MIME-Version: 1.0\n", b"MIME-Version: 1.0\nAuto-Submitted: auto-generated\n", 1
    )
    assert read_message(raw, "u", UNSUBSCRIBE_ADDRESS).events[0].kind == UNSUBSCRIBE


def test_out_of_office_to_the_unsubscribe_address_is_no_request() -> None:
    raw = fixture("autoreply-outlook-zh.eml").replace(
        b"<editors@mscwatch.example.org>", b"<unsubscribe@mscwatch.example.org>"
    )
    assert read_message(raw, "oof", UNSUBSCRIBE_ADDRESS).ignored == "auto-reply"


# Reading folders and files


def test_maildir_reads_new_and_cur(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    fresh = box.add(fixture("postfix-user-unknown.eml"))
    seen = mailbox.MaildirMessage(fixture("arf-yahoo-abuse.eml"))
    seen.set_subdir("cur")
    seen.add_flag("S")
    old = box.add(seen)
    box.close()
    assert sorted(p.parent.name for p in (tmp_path / "Maildir").glob("*/*")) == ["cur", "new"]

    readings = {r.name: r for r in read_path(tmp_path / "Maildir", UNSUBSCRIBE_ADDRESS)}
    assert set(readings) == {fresh, old}
    assert readings[fresh].events == [FIXTURE_EVENTS["postfix-user-unknown.eml"]]
    assert readings[old].events == [FIXTURE_EVENTS["arf-yahoo-abuse.eml"]]


def test_folder_of_eml_files_in_name_order() -> None:
    readings = list(read_path(DATA, UNSUBSCRIBE_ADDRESS))
    names = sorted(p.name for p in DATA.glob("*.eml"))
    assert [r.name for r in readings] == names
    by_name = {r.name: r for r in readings}
    for name, event in FIXTURE_EVENTS.items():
        assert by_name[name].events == [event]
    assert by_name["broken-binary.eml"].error
    assert by_name["no-content.eml"].ignored == "not a delivery report"


def test_folder_skips_files_that_are_not_eml(tmp_path: Path) -> None:
    (tmp_path / "b.EML").write_bytes(fixture("qmail-failure-notice.eml"))
    (tmp_path / "notes.txt").write_text("not mail")
    (tmp_path / "sub").mkdir()
    assert [r.name for r in read_path(tmp_path)] == ["b.EML"]


def test_single_file() -> None:
    readings = [undigested(r) for r in read_path(DATA / "exim-mailbox-full.eml")]
    assert readings == [Reading("exim-mailbox-full.eml", [FIXTURE_EVENTS["exim-mailbox-full.eml"]])]


def test_missing_path_raises_at_the_call(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-maildir"
    with pytest.raises(FileNotFoundError, match="no-such-maildir"):
        read_path(missing)
