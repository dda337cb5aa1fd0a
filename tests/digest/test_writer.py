"""The writer model through the `openai` client against a loopback server answering like the chat
API with recorded answers (never the network): drafts that pass the fidelity check are kept for an
editor; a 429, a timeout, an error status, a cut answer and a figure the record lacks leave the
template's lead, and the run goes on; each request is logged with its model, tokens and time."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from etl.demo import WRITER_ANSWERS, with_writer
from etl.digest import store
from etl.digest.service import Digest
from etl.errors import DigestError
from etl.facts.leads import item_lead
from etl.replay.chat import ChatServer
from etl.settings import WriterSettings
from etl.writer import drafts as writer_drafts
from etl.writer.client import Writer
from etl.writer.prompt import messages, record_key
from tests.digest.conftest import UPDATES, week

RECORD = {
    "kind": "paper",
    "source": "pubmed",
    "source_id": "41009999",
    "identifiers": {"pmid": "41009999"},
    "title": "Umbilical cord MSCs with CAR-T in multiple myeloma: a phase II trial.",
    "abstract": "METHODS: We treated 30 patients with 5 × 10⁶ cells/kg.\n\n"
    "RESULTS: The overall response rate was 80% (24 of 30) and grade 3 CRS occurred in 10%.\n\n"
    "CONCLUSION: The combination was active.",
    "affiliations": [
        "Department of Hematology, Peking University People's Hospital, Beijing, China."
    ],
}
GOOD = (
    "北京大学人民医院的 II 期试验纳入 30 例多发性骨髓瘤患者（5 × 10^6 个细胞/kg），"
    "客观缓解率为 80%。"
)
ANSWERS = {
    "pmid:41009999 lead": {"content": GOOD, "prompt_tokens": 321, "completion_tokens": 45},
    "pmid:41009999 highlight": {"content": "客观缓解率达 95%。", "prompt_tokens": 300},
    "pmid:1 lead": {"status": 429, "retry_after": 20},
    "pmid:2 lead": {"delay": 2, "content": "迟到的回答"},
    "pmid:3 lead": {"status": 503, "message": "overloaded"},
    "pmid:4 lead": {"content": "客观缓解率为 80", "finish_reason": "length"},
}


def config(url: str, timeout: float = 0.5) -> WriterSettings:
    return WriterSettings(enabled=True, base_url=url, model="test-model", timeout=timeout)


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    with ChatServer(ANSWERS) as server:
        yield server


def other(pmid: str) -> dict:
    return {**RECORD, "identifiers": {"pmid": pmid}}


def test_the_request_carries_the_records_facts_and_sentences_only() -> None:
    sent = messages(RECORD, "zh", "lead")
    assert [m["role"] for m in sent] == ["system", "user"]
    user = sent[1]["content"]
    assert user.splitlines()[0] == "记录：pmid:41009999 lead"
    assert "The overall response rate was 80% (24 of 30)" in user
    assert "Peking University People's Hospital" in user
    assert "不得补充任何其他知识" in sent[0]["content"]
    assert record_key({"identifiers": {"nct": "NCT01234567"}}) == "nct:NCT01234567"


def test_drafts_and_every_kind_of_failure(
    chat: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    writer = Writer(config(chat.url), "test-key")
    caplog.set_level(logging.INFO, logger="etl.writer")
    try:
        good = writer.draft(RECORD, "zh", "lead")
        invented = writer.draft(RECORD, "zh", "highlight")
        limited = writer.draft(other("1"), "zh", "lead")
        late = writer.draft(other("2"), "zh", "lead")
        down = writer.draft(other("3"), "zh", "lead")
        cut = writer.draft(other("4"), "zh", "lead")
        unknown = writer.draft(other("5"), "zh", "lead")
    finally:
        writer.close()
    assert good.ok and good.text == GOOD and good.model == "test-model"
    assert (good.prompt_tokens, good.completion_tokens) == (321, 45)
    assert good.sources[0] == RECORD["title"] and any("80% (24 of 30)" in s for s in good.sources)
    assert not invented.ok and invented.reason == "fidelity check: not in the record: 95%"
    assert invented.text == "客观缓解率达 95%。"  # kept, so the editor sees what was refused
    assert not limited.ok and limited.reason == "rate limited (429), retry after 20 s"
    assert not late.ok and late.reason == "no answer within 0.5 s" and late.seconds < 1.5
    assert not down.ok and down.reason == "the service answered 503: overloaded"
    assert not cut.ok and cut.reason == "the answer was cut at max_tokens"
    assert not unknown.ok and "answered 404" in unknown.reason
    assert [r.key for r in chat.requests][:2] == ["pmid:41009999 lead", "pmid:41009999 highlight"]
    assert {r.model for r in chat.requests} == {"test-model"}
    lines = [r.getMessage() for r in caplog.records if r.name == "etl.writer"]
    assert len(lines) == 7
    assert "writer pmid:41009999 zh lead: draft model=test-model prompt_tokens=321" in lines[0]
    assert "completion_tokens=45 seconds=" in lines[0]
    assert "reason=rate limited (429)" in lines[2]


def test_a_refused_connection_is_a_failure_too() -> None:
    with ChatServer({}) as server:
        url = server.url
    writer = Writer(config(url), "k")  # the server is gone: nothing listens on the port
    try:
        outcome = writer.draft(RECORD, "zh", "lead")
    finally:
        writer.close()
    assert not outcome.ok and outcome.reason.startswith("the service could not be reached")


@pytest.fixture
def writing(digest: Digest) -> Iterator[tuple[Digest, ChatServer]]:
    with ChatServer(WRITER_ANSWERS) as server:
        settings = with_writer(digest.settings, server.url)
        yield Digest.open(settings, digest.engine), server


def drafts_by_key(engine: Engine, digest: Digest) -> dict[str, dict]:
    content = digest.content(digest.issue("1"))
    with engine.connect() as conn:
        found = writer_drafts.drafts_of(conn, [r["work_id"] for r in content.items])
    return {
        record_key(content.data[work_id]): rows[0]
        for work_id, rows in found.items()
        if rows and rows[0]["field"] == "lead"
    }


def test_a_build_drafts_leads_that_wait_for_an_editor(
    writing: tuple[Digest, ChatServer], engine: Engine
) -> None:
    digest, server = writing
    outcome = digest.build(week(digest, "2026-11-09"), UPDATES)
    assert outcome.issue is not None and outcome.drafts is not None
    assert (outcome.drafts.drafted, outcome.drafts.failed) == (4, 3)
    found = drafts_by_key(engine, digest)
    assert found["pmid:41000538"]["state"] == "failed"
    assert found["pmid:41000538"]["reason"].startswith("rate limited (429)")
    assert found["pmid:41000569"]["reason"] == "no answer within 1 s"
    assert found["pmid:41000581"]["reason"] == "fidelity check: not in the record: 90%"
    draft = found["pmid:41000516"]
    assert draft["state"] == "draft" and draft["model"] == "demo-writer"
    assert draft["prompt_tokens"] == 612 and draft["seconds"] is not None
    # A machine draft no editor has accepted never reaches readers: the template's lead stands.
    issue = digest.content(digest.issue("1"))
    zh = digest.renderer.email(issue, "zh").text
    assert draft["text"] not in zh
    template = item_lead(issue.data[draft["work_id"]], "zh", digest.settings.config_dir).text
    assert template and template in zh
    # A rebuild keeps what is there and asks again only for what failed.
    asked = len(server.requests)
    again = digest.build(week(digest, "2026-11-09"), UPDATES)
    assert again.drafts is not None and again.drafts.kept == 4
    assert len(server.requests) - asked == 3


def test_an_editor_accepts_edits_or_rejects_a_draft(
    writing: tuple[Digest, ChatServer], engine: Engine
) -> None:
    digest, _ = writing
    digest.build(week(digest, "2026-11-09"), UPDATES)
    draft = drafts_by_key(engine, digest)["pmid:41000516"]
    with engine.begin() as conn:
        record = store.work_data(conn, [draft["work_id"]])[draft["work_id"]]
        writer_drafts.decide(conn, draft["id"], "accept", "ed", UPDATES)
    zh = digest.renderer.email(digest.content(digest.issue("1")), "zh").text
    assert draft["text"] in zh
    assert draft["text"] not in digest.renderer.email(digest.content(digest.issue("1")), "en").text
    with engine.begin() as conn, pytest.raises(DigestError, match="the record does not: 99%"):
        writer_drafts.decide(conn, draft["id"], "edit", "ed", UPDATES, "缓解率 99%。", record)
    edited = "哈尔滨医科大学附属肿瘤医院的试验纳入 90 例患者，不良事件均为轻度。"
    with engine.begin() as conn:
        row = writer_drafts.decide(conn, draft["id"], "edit", "ed", UPDATES, edited, record)
    assert row["state"] == "edited" and row["decided_by"] == "ed"
    assert edited in digest.renderer.email(digest.content(digest.issue("1")), "zh").text
    with engine.begin() as conn:
        writer_drafts.decide(conn, draft["id"], "reject", "ed", UPDATES)
        state = conn.execute(
            select(writer_drafts.drafts.c.state).where(writer_drafts.drafts.c.id == draft["id"])
        ).scalar()
    assert state == "rejected"
    assert edited not in digest.renderer.email(digest.content(digest.issue("1")), "zh").text
    failed = drafts_by_key(engine, digest)["pmid:41000538"]
    with engine.begin() as conn, pytest.raises(DigestError, match="nothing to accept"):
        writer_drafts.decide(conn, failed["id"], "accept", "ed", UPDATES)


def test_the_writer_is_off_by_default(digest: Digest, tmp_path: Path) -> None:
    assert digest.settings.writer.enabled is False
    outcome = digest.build(week(digest, "2026-11-09"), UPDATES)
    assert outcome.drafts is None
    assert digest.draft(outcome.issue, UPDATES) is None
