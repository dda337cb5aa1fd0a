"""What the guards pass is what goes out: long editor texts and upstream titles are sent with
no line over SMTP's limit and read back unchanged, the size limit holds for the message as a
reader gets it, and an issue stuck in `sending` has a way back to draft. On both databases,
through a real SMTP server."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update

from etl.db.models import Subscriber
from etl.digest import store
from etl.digest.service import Digest
from etl.mail.message import LINE_LIMIT
from etl.mail.transport import SmtpTransport, parse_smtp_url
from etl.settings import Settings
from tests.conftest import make_settings
from tests.digest.conftest import FIRST_LOAD, UPDATES, load_demo
from tests.support.smtp import SmtpServer

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
INTRO = ("间充质干细胞在肿瘤微环境中的作用仍有争议，" * 20)[:330]  # as typeset: full-width
CLOSING = ("下期我们将继续关注临床试验的进展与安全性数据。" * 20)[:330]
HIGHLIGHT = ("该研究首次在人体中证明了脐带来源间充质干细胞的安全性。" * 20)[:330]
TITLE = ("Umbilical cord mesenchymal stromal cells for graft-versus-host disease " * 10)[:600]
READERS = ["li.wei@example.org", "zhang@example.net"]


SECRET = "k" * 40


def settings_for(db_url: str, tmp_path: Path, **values: Any) -> Settings:
    return make_settings(
        db_url, SECRET_KEY=SECRET, **{"paths.var": str(tmp_path / "var"), **values}
    )


@pytest.fixture
def digest(engine: Engine, db_url: str, tmp_path: Path) -> Digest:
    """The demo's data, with a SECRET_KEY to sign the readers' links."""
    settings = settings_for(db_url, tmp_path)
    load_demo(engine, settings, tmp_path)
    return Digest.open(settings, engine)


def add_readers(digest: Digest, emails: list[str], language: str = "zh") -> None:
    rows = [
        {"email": e, "state": "active", "language": language, "topics": [], "source": "import",
         "consent": {}, "bounces": 0, "last_error": "", "confirmations_sent": 0,
         "created_at": NOW, "confirmed_at": NOW, "changed_at": NOW}
        for e in emails
    ]  # fmt: skip
    with digest.engine.begin() as conn:
        conn.execute(insert(Subscriber), rows)


def long_texts_issue(digest: Digest) -> tuple[dict[str, Any], int]:
    """Issue 1 with an editor's 330-character intro, closing and highlight, and a paper whose
    upstream title is 600 characters long."""
    records = store.records
    with digest.engine.begin() as conn:
        work = store.resolve_work(conn, "pmid:41000640")
        store.decide(conn, work, UPDATES, "editor", featured=True, highlight=HIGHLIGHT)
        row = conn.execute(
            select(records.c.id, records.c.data).where(records.c.work_id == work)
        ).first()
        assert row is not None
        data = {**row.data, "title": TITLE}
        conn.execute(update(records).where(records.c.id == row.id).values(data=data))
    built = digest.build(digest.period("2026-11-16", FIRST_LOAD), UPDATES).issue
    assert built is not None
    with digest.engine.begin() as conn:
        store.set_text(conn, built["id"], "intro", "zh", INTRO)
        store.set_text(conn, built["id"], "closing", "zh", CLOSING)
    return built, work


def smtp(server: SmtpServer) -> SmtpTransport:
    return SmtpTransport(parse_smtp_url(server.url), timeout=5)


def test_long_lines_are_previewed_approved_sent_and_read_back(digest: Digest, tmp_path) -> None:  # type: ignore[no-untyped-def]
    built, _ = long_texts_issue(digest)
    paths, problems = digest.preview(str(built["number"]), ("zh", "en"), tmp_path / "pv")
    assert problems == []
    text = (tmp_path / "pv" / f"issue-001-{built['slug']}.zh.txt").read_text(encoding="utf-8")
    # the trigger is there: lines SMTP cannot carry as they are
    assert max(len(line.encode()) for line in text.splitlines()) > LINE_LIMIT
    digest.approve(str(built["number"]), "editor", NOW)
    add_readers(digest, READERS)
    with SmtpServer() as server:
        done, report, _ = digest.send(str(built["number"]), smtp(server), lambda: NOW)
        received = server.messages
    assert done["state"] == "sent" and report.sent == 2 and len(received) == 2
    for message in received:
        assert all(len(line) <= LINE_LIMIT for line in message.data.split(b"\r\n"))
        parsed = email.message_from_bytes(message.data, policy=email.policy.default)
        plain = parsed.get_body(("plain",)).get_content()
        html = parsed.get_body(("html",)).get_content()
        for body in (plain, html):
            for original in (INTRO, CLOSING, HIGHLIGHT, TITLE):
                assert original in body
        to = message.rcpt_tos[0]
        assert "/unsubscribe/" in plain and to not in plain  # the reader's own signed link


def test_the_size_limit_holds_with_the_readers_links_filled_in(
    digest: Digest, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """An edition under the limit with placeholders is over it once a reader's links are in
    (a long site address makes them long): the renderer moves items to the web page and the
    HTML the reader gets stays under the limit."""
    # long enough that a reader's links add more than the 1 KB the limit is rounded up by
    base = "https://mscwatch.example.org/" + "archive-" * 80 + "/"
    wide = Digest.open(settings_for(db_url, tmp_path, **{"archive.base_url": base}), engine)
    built = wide.build(wide.period("2026-11-16", FIRST_LOAD), UPDATES).issue
    assert built is not None
    content = wide.content(built)
    full = wide.renderer.email(content, "zh")
    assert full.more == 0
    limit_kb = full.html_bytes // 1024 + 1  # the placeholders fit
    assert full.sent_html_bytes > limit_kb * 1024  # the links do not
    values = {"archive.base_url": base, "digest.max_html_kb": limit_kb}
    tight = Digest.open(settings_for(db_url, tmp_path, **values), engine)
    rendered = tight.renderer.email(content, "zh")
    assert rendered.more > 0 and rendered.sent_html_bytes <= limit_kb * 1024
    tight.approve(str(built["number"]), "editor", NOW)
    add_readers(tight, ["x" * 64 + "@" + "long-subdomain-" * 4 + "example-university.example.org"])
    with SmtpServer() as server:
        tight.send(str(built["number"]), smtp(server), lambda: NOW)
        (message,) = server.messages
    parsed = email.message_from_bytes(message.data, policy=email.policy.default)
    html = parsed.get_body(("html",)).get_content()
    assert base + "unsubscribe/" in html
    assert len(html.encode("utf-8")) <= limit_kb * 1024


def test_a_stuck_send_goes_back_to_draft_and_nobody_gets_it_twice(digest: Digest) -> None:
    built = digest.build(digest.period("2026-11-16", FIRST_LOAD), UPDATES).issue
    assert built is not None
    number = str(built["number"])
    digest.approve(number, "editor", NOW)
    add_readers(digest, READERS + ["wang@example.com"])
    with SmtpServer() as server:
        # stop after the first message, as a failed send leaves the issue: sending, half done
        done, report, _ = digest.send(
            number, smtp(server), lambda: NOW, started=lambda sender: _stop_after_one(sender)
        )
        first = [m.rcpt_tos[0] for m in server.messages]
    assert done["state"] == "sending" and report.sent == 1 and len(first) == 1
    back = digest.unapprove(number, NOW)
    assert back["state"] == "draft"
    with digest.engine.begin() as conn:
        store.set_text(conn, built["id"], "intro", "zh", "更正后的引言。")
    digest.approve(number, "editor", NOW)
    with SmtpServer() as server:
        done, report, standing = digest.send(number, smtp(server), lambda: NOW)
        second = [m.rcpt_tos[0] for m in server.messages]
        parsed = email.message_from_bytes(server.messages[0].data, policy=email.policy.default)
    assert done["state"] == "sent" and standing["states"] == {"sent": 3}
    assert sorted(first + second) == sorted(READERS + ["wang@example.com"])  # once each
    assert "更正后的引言。" in parsed.get_body(("plain",)).get_content()


def _stop_after_one(sender: Any) -> None:
    progress = sender.progress

    def counted(n: int) -> None:
        progress(n)
        if n:
            sender.stop()

    sender.progress = counted
