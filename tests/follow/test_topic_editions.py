"""Readers' topics down to the cancer type and the strategy, sent through a real SMTP server:
two readers with different topics get different editions, and a reader who was sent a paper
gets its retraction later even when it is outside the topics they hold by then, while a reader
who was never sent it does not."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from etl.classify.service import Classifier, classify_works
from etl.db.models import Delivery, Subscriber
from etl.digest.service import Digest
from etl.mail.transport import SmtpTransport, parse_smtp_url
from etl.replay import synthetic_article
from tests.follow.test_search import store_articles
from tests.mail.conftest import Clock, add_readers, settings_for
from tests.support.smtp import SmtpServer

FIRST = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
SECOND = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
LUNG = "Umbilical cord MSCs carrying TRAIL in non-small cell lung cancer xenografts"
MYELOMA = "Bone marrow MSC exosomes deliver bortezomib to multiple myeloma cells"
LUNG_ABSTRACT = (
    "Mesenchymal stem cells engineered to express TRAIL homed to lung cancer and reduced "
    "tumour growth in mice. Mesenchymal stem cells were safe."
)
MYELOMA_ABSTRACT = (
    "Exosomes from mesenchymal stem cells loaded with bortezomib killed multiple myeloma cells. "
    "Mesenchymal stem cell exosomes may carry drugs to myeloma."
)


def lung(mdat: date | None = None, retracted: bool = False) -> bytes:
    return synthetic_article(
        "42000001",
        date(2026, 11, 17),
        mdat=mdat,
        title=LUNG + ".",
        abstract=LUNG_ABSTRACT,
        publication_types=(
            ("Journal Article", "Retracted Publication") if retracted else ("Journal Article",)
        ),
        comments=(("RetractionIn", "42000009"),) if retracted else (),
    )


def myeloma() -> bytes:
    return synthetic_article(
        "42000002", date(2026, 11, 18), title=MYELOMA + ".", abstract=MYELOMA_ABSTRACT
    )


def received(server: SmtpServer) -> dict[str, str]:
    """Each reader's plain text, by address."""
    out = {}
    for message in server.messages:
        parsed = email.message_from_bytes(message.data, policy=email.policy.default)
        out[message.rcpt_tos[0]] = parsed.get_body(("plain",)).get_content()
    return out


def set_topics(engine: Engine, address: str, topics: list[str]) -> None:
    table = Subscriber.__table__
    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.email == address).values(topics=topics))


def send(digest: Digest, start: str, now: datetime) -> dict[str, str]:
    outcome = digest.build(digest.period(start, now), now)
    assert outcome.issue is not None and not outcome.issue["nothing_new"]
    issue = digest.approve(str(outcome.issue["number"]), "test", now)
    with SmtpServer() as server:
        digest.send(issue["slug"], SmtpTransport(parse_smtp_url(server.url), timeout=5), Clock())
        return received(server)


def notice() -> bytes:
    """The retraction notice as a record of its own, naming the paper it retracts."""
    return synthetic_article(
        "42000009",
        date(2026, 11, 25),
        title=f"Retraction Note: {LUNG}.",
        abstract=f"This article has been retracted. {LUNG_ABSTRACT}",
        publication_types=("Retraction of Publication",),
        comments=(("RetractionOf", "42000001"),),
    )


@pytest.mark.parametrize("how", ["flagged", "notice"])
def test_topics_make_editions_and_retractions_follow_what_was_sent(
    engine: Engine, db_url: str, tmp_path: Path, how: str
) -> None:
    """`flagged`: PubMed marks the paper retracted; `notice`: the notice comes as a record of
    its own that names the paper."""
    settings = settings_for(db_url, tmp_path / "var")
    digest = Digest.open(settings, engine)
    classifier = Classifier.from_settings(settings)
    touched = store_articles(engine, lung(), myeloma())
    with engine.begin() as conn:
        classify_works(conn, touched, classifier, FIRST)
    add_readers(engine, ["lung@example.org", "myeloma@example.org", "all@example.org"])
    set_topics(engine, "lung@example.org", ["lung"])  # a cancer type
    set_topics(engine, "myeloma@example.org", ["exosome"])  # a strategy

    first = send(digest, "2026-11-16", FIRST)
    assert LUNG in first["lung@example.org"] and MYELOMA not in first["lung@example.org"]
    assert MYELOMA in first["myeloma@example.org"] and LUNG not in first["myeloma@example.org"]
    assert LUNG in first["all@example.org"] and MYELOMA in first["all@example.org"]
    table = Delivery.__table__
    with engine.connect() as conn:
        held = {len(ids) for ids in conn.execute(select(table.c.work_ids)).scalars()}
    assert held == {1, 2}  # what each message held is kept

    # The lung paper is retracted; its reader has moved on to myeloma meanwhile.
    set_topics(engine, "lung@example.org", ["myeloma"])
    later = lung(mdat=date(2026, 11, 25), retracted=True) if how == "flagged" else notice()
    touched = store_articles(engine, later)
    with engine.begin() as conn:
        classify_works(conn, touched, classifier, SECOND)
    second = send(digest, "2026-11-23", SECOND)
    assert LUNG in second.get("lung@example.org", "")  # sent it before: told of the retraction
    assert "撤稿" in second["lung@example.org"]
    assert "myeloma@example.org" not in second or LUNG not in second["myeloma@example.org"]
    assert LUNG in second["all@example.org"]
