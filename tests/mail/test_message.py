"""Composed messages: the headers bulk senders need, UTF-8 done right, no header injection."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from etl.mail.message import Sender, compose, long_lines
from etl.mail.outbox import write_eml
from etl.mail.tokens import make_token, read_token, subscriber_links
from tests.conftest import make_settings

SENDER = Sender(
    "digest@example.org",
    "间充质干细胞肿瘤研究周报",
    "editors@example.org",
    "MSC Oncology Watch <weekly.example.org>",
)
WHEN = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def message(subject: str = "第 3 期:本期有哪些新进展?", html: str = "<p>你好</p>"):  # type: ignore[no-untyped-def]
    return compose(
        SENDER,
        "reader@example.org",
        subject,
        "你好\n",
        html,
        "<3.a@example.org>",
        WHEN,
        "https://x.example.org/unsubscribe/t",
        "mailto:u@example.org",
    )


def test_headers_and_parts_read_back_as_written() -> None:
    parsed = email.message_from_bytes(message().as_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "第 3 期:本期有哪些新进展?"
    assert parsed["From"].addresses[0].display_name == "间充质干细胞肿瘤研究周报"
    assert (
        parsed["Message-ID"] == "<3.a@example.org>" and parsed["Reply-To"] == "editors@example.org"
    )
    assert parsed["List-Id"] == "MSC Oncology Watch <weekly.example.org>"
    targets = parsed["List-Unsubscribe"].strip()  # folded at 78 columns, as RFC 5322 asks
    assert targets == "<https://x.example.org/unsubscribe/t>, <mailto:u@example.org>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed.get_body(("html",)).get_content().strip() == "<p>你好</p>"
    raw = message().as_bytes()
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_a_header_value_from_the_data_cannot_add_a_header() -> None:
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        message(subject="Issue 3\r\nBcc: everyone@example.org")


def test_long_lines_are_encoded_the_shorter_way() -> None:
    long = "<p>" + "字" * 600 + "</p>"  # base64 is shorter for Chinese
    raw = message(html=long).as_bytes()
    assert b"Content-Transfer-Encoding: base64" in raw
    assert b"Content-Transfer-Encoding: 8bit" in raw  # the short text part is left alone
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_body(("html",)).get_content().strip() == long
    latin = "<p>" + "mesenchymal stromal cells " * 60 + "</p>"  # quoted-printable for ASCII
    raw = message(html=latin).as_bytes()
    assert b"Content-Transfer-Encoding: quoted-printable" in raw and not long_lines(raw)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_body(("html",)).get_content().strip() == latin


def test_outbox_files_and_signed_links(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_eml(tmp_path / "outbox", "issue-003-zh-reader@example.org", message())
    assert path.name == "issue-003-zh-reader@example.org.eml" and not list(tmp_path.rglob("*.tmp"))
    settings = make_settings(SECRET_KEY="k" * 32)
    token = make_token(settings, "unsubscribe", "reader@example.org")
    assert read_token(settings, "unsubscribe", token, 3600) == "reader@example.org"
    assert read_token(settings, "preferences", token, 3600) is None  # another purpose
    assert read_token(settings, "unsubscribe", token[:-2] + "xx", 3600) is None
    links = subscriber_links(settings, "reader@example.org")
    assert links["unsubscribe_url"].startswith("https://mscwatch.example.org/unsubscribe/")


def test_a_prepared_edition_gives_each_subscriber_the_same_message_compose_would() -> None:
    from etl.mail.message import prepare

    html = '<p>退订:<a href="%%U%%">x</a> <a href="%%P%%">y</a></p>'
    text = "退订: %%U%%\n偏好: %%P%%\n"
    prepared = prepare(
        SENDER,
        "第 3 期:新进展?",
        text,
        html,
        WHEN,
        "%%U%%",
        ("%%U%%", "%%P%%"),
        "mailto:u@example.org",
    )
    raw = prepared.personal(
        "reader@example.org",
        "<3.abc@example.org>",
        ("https://x.example.org/u/T1.a-b_c", "https://x.example.org/p/T2"),
    )
    fast = email.message_from_bytes(raw, policy=email.policy.default)
    slow = email.message_from_bytes(
        compose(
            SENDER,
            "reader@example.org",
            "第 3 期:新进展?",
            text.replace("%%U%%", "https://x.example.org/u/T1.a-b_c").replace(
                "%%P%%", "https://x.example.org/p/T2"
            ),
            html.replace("%%U%%", "https://x.example.org/u/T1.a-b_c").replace(
                "%%P%%", "https://x.example.org/p/T2"
            ),
            "<3.abc@example.org>",
            WHEN,
            "https://x.example.org/u/T1.a-b_c",
            "mailto:u@example.org",
        ).as_bytes(),
        policy=email.policy.default,
    )
    for header in ("From", "To", "Subject", "Message-ID", "List-Unsubscribe", "List-Id", "Date"):
        assert str(fast[header]).strip() == str(slow[header]).strip(), header
    for kind in ("plain", "html"):
        assert fast.get_body((kind,)).get_content() == slow.get_body((kind,)).get_content()
    with pytest.raises(ValueError, match="not a plain address"):
        prepared.personal("a@example.org\r\nBcc: x@example.org", "<1@x.org>", ("a", "b"))
    with pytest.raises(ValueError, match="unsafe value"):
        prepared.personal("a@example.org", "<1@x.org>", ('https://x.org/"><script>', "b"))


def test_prepared_editions_with_long_lines_still_give_each_reader_their_links() -> None:
    from etl.mail.message import prepare

    long_text = "引言:" + "间充质干细胞" * 100 + "\n退订: %%U%%\n"  # one line of 1,800 octets
    html = '<p><a href="%%U%%">退订</a></p>'
    links = ("https://x.example.org/u/" + "T" * 40, "https://x.example.org/p/T2")
    for text in (long_text, "x" * 900 + "%%U%%\n"):  # encoded; 8-bit until the link is in
        prepared = prepare(SENDER, "第 3 期", text, html, WHEN, "%%U%%", ("%%U%%", "%%P%%"))
        raw = prepared.personal("reader@example.org", "<3.abc@example.org>", links)
        assert not long_lines(raw)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        plain = parsed.get_body(("plain",)).get_content().replace("\r\n", "\n")  # base64: CRLF
        assert plain == text.replace("%%U%%", links[0])
        assert links[0] in parsed.get_body(("html",)).get_content()
        assert (
            parsed["To"] == "reader@example.org" and parsed["Message-ID"] == "<3.abc@example.org>"
        )
        assert "%%U%%" not in str(parsed["List-Unsubscribe"])
