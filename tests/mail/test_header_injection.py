"""No text we are given can add a header to a message we send: not a line break, and not an
RFC 2047 encoded word that decodes to one (Python before 3.12.x/3.13 folded such a word into a
real line break). Checked on composed messages, through `digest edit` and the editor's form,
and on what a real SMTP server receives."""

from __future__ import annotations

import email
import email.policy
import json
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from etl.clock import now
from etl.digest import store
from etl.editors import accounts
from etl.mail.message import POLICY, Sender, compose, header_problem
from tests.mail.conftest import NOW
from tests.mail.test_commands import ENV, workdir  # noqa: F401  (a fixture)
from tests.support.smtp import SmtpServer
from tests.test_cli import run
from tests.web.test_editor_pages import CSRF, PASSWORD, log_in, open_site

EVIL = "本期 =?utf-8?q?x=0D=0ABcc=3A_victim=40example=2Eorg?= 新进展"
WORD = "=?utf-8?q?x=0D=0ABcc=3A_victim=40example=2Eorg?="


def headers_of(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0].lower() for line in head.split("\r\n") if line[:1] not in " \t"]


def test_an_encoded_word_in_any_header_value_stays_text() -> None:
    sender = Sender("digest@example.org", EVIL, "editors@example.org", f"{WORD} <l.example.org>")
    message = compose(sender, "reader@example.org", EVIL, "t\n", "<p>h</p>", "<1@example.org>", NOW)
    raw = message.as_bytes()
    names = headers_of(raw)
    assert "bcc" not in names and names.count("subject") == 1
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"].replace("\u2060", "") == EVIL  # shown as typed
    assert [a.addr_spec for a in parsed["From"].addresses] == ["digest@example.org"]
    assert str(parsed["List-Id"]).replace("\u2060", "") == f"{WORD} <l.example.org>"


def test_the_policy_refuses_a_value_that_decodes_to_a_line_break() -> None:
    message = EmailMessage(policy=POLICY)
    with pytest.raises(ValueError, match="decodes to a line break"):
        message["Subject"] = WORD


def test_a_headline_must_be_text_a_subject_can_carry() -> None:
    assert "encoded word" in header_problem(WORD)
    assert "control character" in header_problem("a\x0bb")
    assert header_problem("间充质干细胞能否守护化疗中的心脏? =? 不是编码") == ""


def test_digest_edit_refuses_it_and_a_stored_one_is_sent_harmless(
    workdir: Path,  # noqa: F811
) -> None:
    url = f"sqlite:///{workdir / 'var' / 'mscwatch.db'}"
    assert run("digest", "build", "--period", "2026-11-16", cwd=workdir, env=ENV).returncode == 0
    edited = run("digest", "edit", "1", "--headline", EVIL, cwd=workdir, env=ENV)
    assert edited.returncode == 1 and "headline (zh)" in edited.stderr
    assert "encoded word" in edited.stderr
    engine = create_engine(url)
    with engine.begin() as conn:  # as one stored before the check existed
        issue = store.find_issue(conn, "1")
        conn.execute(
            store.issues.update()
            .where(store.issues.c.id == issue["id"])
            .values(headline={"zh": EVIL, "en": EVIL})
        )
    engine.dispose()
    assert run("subscribers", "add", "reader@example.org", "--confirmed", cwd=workdir,
               env=ENV).returncode == 0  # fmt: skip
    assert run("digest", "approve", "1", cwd=workdir, env=ENV).returncode == 0
    with SmtpServer() as server:
        env = {**ENV, "SMTP_URL": server.url}
        sent = run("digest", "send", "1", cwd=workdir, env=env)
        assert sent.returncode == 0, sent.stderr
        copy = run("digest", "send", "1", "--to", "editor@example.org", cwd=workdir, env=env)
        assert copy.returncode == 0, copy.stderr
        received = server.messages
    assert len(received) == 2
    for message in received:
        assert all(r in ("reader@example.org", "editor@example.org") for r in message.rcpt_tos)
        assert "bcc" not in headers_of(message.data)
        parsed = email.message_from_bytes(message.data, policy=email.policy.default)
        assert EVIL in parsed["Subject"].replace("\u2060", "")
    listed = json.loads(run("digest", "list", "--json", cwd=workdir, env=ENV).stdout)
    assert listed[0]["state"] == "sent"


def test_the_editor_form_refuses_it(db_url: str, engine: Engine, tmp_path: Path) -> None:
    accounts.add(engine, "li@example.org", PASSWORD, now())
    with SmtpServer() as server:
        site = open_site(
            db_url, engine, tmp_path, SMTP_URL=server.url, **{"digest.empty": "notice"}
        )
        digest = site.app.extensions["mscwatch"].digest
        built = digest.build(digest.period("2026-11-16", NOW), NOW).issue
        assert built is not None
        page_url = f"/editor/issues/{built['number']}"
        client = site.client
        log_in(client)
        token = CSRF.search(client.get(page_url).text).group(1)
        form = {"csrf_token": token, "headline_zh": EVIL, "intro_zh": "引言"}
        answer = client.post(f"{page_url}/texts", data=form)
        assert answer.status_code == 409
        assert re.search(r"headline \(zh\).*encoded word", answer.text.replace("\n", " "))
        found = digest.issue(str(built["number"]))
        assert not found["headline"] and not found["intro"]  # nothing saved
        with engine.begin() as conn:  # as one stored before the check existed
            conn.execute(
                store.issues.update()
                .where(store.issues.c.id == built["id"])
                .values(headline={"zh": EVIL})
            )
        test = {"csrf_token": token, "address": "editor@example.org", "lang": "zh"}
        assert client.post(f"{page_url}/test", data=test).status_code == 303
        (message,) = server.wait_for(1)
    assert message.rcpt_tos == ("editor@example.org",)
    assert "bcc" not in headers_of(message.data)
    parsed = email.message_from_bytes(message.data, policy=email.policy.default)
    assert EVIL in parsed["Subject"].replace("\u2060", "")
