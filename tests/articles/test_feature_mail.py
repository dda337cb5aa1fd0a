"""A published article mailed as a feature through the issue's deliveries and sender, to a
real SMTP server (aiosmtpd on loopback): each reader of its language gets it once, and a
second run sends nothing."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email.policy import default

import pytest

from etl.articles.service import Articles
from etl.errors import ArticleError
from etl.mail.transport import SmtpTransport, parse_smtp_url
from tests.articles.conftest import NOW
from tests.mail.conftest import add_readers
from tests.support.smtp import SmtpServer

TITLE = "脐带间充质干细胞能否预防移植物抗宿主病？"


def _publish(articles: Articles) -> dict:  # type: ignore[type-arg]
    ref = str(articles.new(None, "zh", "ana", NOW)["id"])
    body = re.sub(r"^# .*$", f"# {TITLE}", articles.text(ref)["body"], count=1, flags=re.M)
    articles.save(ref, body, "ana", NOW)
    from tests.articles.test_articles import _check

    _check(articles, ref, blocking=False)
    articles.approve(ref, "ana", NOW)
    return articles.publish(ref, NOW + timedelta(hours=1))


def test_the_feature_reaches_each_reader_once_even_when_sent_twice(articles: Articles) -> None:
    readers = ["li@example.net", "wang@example.net", "zhao@example.net"]
    add_readers(articles.engine, readers, "zh")
    add_readers(articles.engine, ["reader@example.net"], "en")
    article = _publish(articles)
    with SmtpServer() as server:

        def relay() -> SmtpTransport:
            return SmtpTransport(parse_smtp_url(server.url), timeout=5)

        found, report, standing = articles.send(str(article["id"]), relay(), lambda: NOW)
        assert report.sent == 3 and standing["states"] == {"sent": 3}
        assert found["mailed_at"] is not None
        add_readers(articles.engine, ["late@example.net"], "zh")  # joins after the feature
        again, second, standing = articles.send(str(article["id"]), relay(), lambda: NOW)
        assert second.sent == 0 and standing["states"] == {"sent": 3}
        received = server.wait_for(3)
        assert sorted(r for m in received for r in m.rcpt_tos) == readers
        assert len(server.messages) == 3  # nothing more arrived after the second run
    message = email.message_from_bytes(received[0].data, policy=default)
    assert TITLE in str(message["Subject"]) and "专题文章" in str(message["Subject"])
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    slug = article["slug"]
    assert f"articles/{slug}/" in html and f"articles/{slug}/" in text
    assert "二、临床研究进展" in html and "ClinicalTrials.gov 注册号：NCT06218473" in html
    assert "%%UNSUBSCRIBE_URL%%" not in html and "/unsubscribe/" in html
    assert message["List-Unsubscribe"]
    # an issue's deliveries are untouched: the feature's rows are its own
    with articles.engine.connect() as conn:
        from sqlalchemy import text as sql

        rows = conn.execute(sql("SELECT issue_id, article_id FROM deliveries")).all()
    assert rows and all(i is None and a == article["id"] for i, a in rows)


def test_only_a_published_article_is_mailed(articles: Articles) -> None:
    article = articles.new(None, "zh", "ana", NOW)
    with pytest.raises(ArticleError, match="not published"), SmtpServer() as server:
        articles.send(
            str(article["id"]), SmtpTransport(parse_smtp_url(server.url), timeout=5), lambda: NOW
        )


def test_returned_feature_mail_is_tied_to_its_reader(articles: Articles) -> None:
    """A bounce to the feature's own return path, and a complaint naming only its Message-ID,
    act on the readers the feature went to, as they do for an issue."""
    from tests.mail.test_returns import arf, dsn, headers_of, process, states

    add_readers(articles.engine, ["gone@example.net", "angry@example.net"], "zh")
    article = _publish(articles)
    with SmtpServer() as server:
        articles.send(
            str(article["id"]), SmtpTransport(parse_smtp_url(server.url), timeout=5), lambda: NOW
        )
        received = {m.rcpt_tos[0]: m for m in server.wait_for(2)}
    gone, angry = received["gone@example.net"], received["angry@example.net"]
    report = process(
        articles.digest,
        {
            "dsn.eml": dsn(gone.mail_from, "gone@example.net", headers_of(gone.data)),
            "arf.eml": arf("", headers_of(angry.data).replace("angry@", "redacted@")),
        },
    )
    assert not report.unmatched, report.unmatched
    assert states(articles.engine)["angry@example.net"] == "complained"
    with articles.engine.connect() as conn:
        from sqlalchemy import text as sql

        bounces = conn.execute(
            sql("SELECT bounces FROM subscribers WHERE email = 'gone@example.net'")
        ).scalar_one()
    assert bounces == 1  # counted against the bounce limit, as an issue's bounce is
