"""Requests a person or a script can send that once made the app fail with a 500: a test copy
to a malformed address, a page number too long to be a number, ids beyond a 64-bit integer, an
address that reads as an RFC 2047 encoded word. Each now gets a 4xx saying what was wrong, on
both databases, and no row changes and no mail goes out."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from etl.db.models import (
    Classification,
    DigestIssue,
    DigestItem,
    EditorDecision,
    EditorLabel,
    Subscriber,
    WorkMerge,
)
from tests.web.test_editor_pages import Site
from tests.web.test_editor_review import desk, drafts, token  # noqa: F401  (fixtures)
from tests.web.test_subscriber_pages import subscribe

HUGE = "9" * 25  # beyond a 64-bit integer
ENDLESS = "9" * 5000  # beyond what Python turns into an int from text by default
TABLES = (
    Classification, DigestIssue, DigestItem, EditorDecision, EditorLabel, Subscriber, WorkMerge
)  # fmt: skip


def snapshot(engine: Engine) -> dict[str, list[Any]]:
    with engine.connect() as conn:
        return {
            model.__tablename__: sorted(
                (tuple(map(repr, row)) for row in conn.execute(select(model.__table__))),
            )
            for model in TABLES
        }


def outbox(site: Site) -> list[str]:
    folder = site.settings.outbox_dir
    return sorted(p.name for p in folder.glob("*.eml")) if folder.exists() else []


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("not-an-address@", "The address for the test copy is not usable"),
        ("a@b@c.example", "The address for the test copy is not usable"),
        ("li@exa mple.org", "The address for the test copy is not usable"),
        ("li@example.org\r\nBcc: x@evil.example", "The address for the test copy is not usable"),
        ("=?utf-8?q?li?=@example.org", "reads as an encoded header word"),
        ("=?utf-8?q?li=0D=0ABcc=3A_x?=@example.org", "reads as an encoded header word"),
    ],
)
def test_a_test_copy_to_a_malformed_address_is_refused(
    drafts: Site,  # noqa: F811
    address: str,
    said: str,
) -> None:
    before = snapshot(drafts.engine)
    form = {"csrf_token": token(drafts, "/editor/issues/3"), "address": address, "lang": "en"}
    answer = drafts.client.post("/editor/issues/3/test", data=form)
    assert answer.status_code == 400
    assert said in answer.text and "Nothing was sent or changed." in answer.text
    assert outbox(drafts) == []
    assert snapshot(drafts.engine) == before


def test_a_test_copy_to_an_unknown_edition_is_refused(drafts: Site) -> None:  # noqa: F811
    form = {"csrf_token": token(drafts, "/editor/issues/3"), "address": "li@example.org",
            "lang": "fr"}  # fmt: skip
    answer = drafts.client.post("/editor/issues/3/test", data=form)
    assert answer.status_code == 400 and "choose an edition, zh or en" in answer.text
    assert outbox(drafts) == []


@pytest.mark.parametrize("number", [ENDLESS, HUGE, "-1", "1e3", "٣"])
def test_a_page_number_that_is_not_one_is_named(drafts: Site, number: str) -> None:  # noqa: F811
    answer = drafts.client.get(f"/editor/queue?since=2000-01-01&page={number}")
    assert answer.status_code == 400
    assert "is not a page number" in answer.text
    assert 'id="work-' in answer.text  # the default queue is shown below the message


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/editor/issues/{HUGE}"),
        ("get", f"/editor/issues/{HUGE}/preview/en"),
        ("get", f"/editor/issues/{HUGE}/email/en"),
        ("post", f"/editor/issues/{HUGE}/texts"),
        ("post", f"/editor/issues/{HUGE}/approve"),
        ("post", f"/editor/issues/{HUGE}/test"),
        ("post", f"/editor/works/{HUGE}/labels"),
        ("post", f"/editor/duplicates/{HUGE}/confirm"),
        ("post", f"/editor/duplicates/{HUGE}/split"),
    ],
)
def test_an_id_beyond_int64_in_an_address_is_not_found(
    drafts: Site,  # noqa: F811
    method: str,
    path: str,
) -> None:
    before = snapshot(drafts.engine)
    form = {"csrf_token": token(drafts, "/editor/issues/3"), "headline_en": "x",
            "has_stage": "1", "stage": "phase1", "address": "li@example.org"}  # fmt: skip
    answer = getattr(drafts.client, method)(path, data=form if method == "post" else None)
    assert answer.status_code == 404
    assert "Not Found" in answer.text
    assert snapshot(drafts.engine) == before


@pytest.mark.parametrize("work", [HUGE, ENDLESS, "12x"])
def test_a_work_id_beyond_int64_in_a_form_is_refused(drafts: Site, work: str) -> None:  # noqa: F811
    before = snapshot(drafts.engine)
    form = {"csrf_token": token(drafts), "action": "include", "work": ["1", work]}
    answer = drafts.client.post("/editor/queue/act", data=form)
    assert answer.status_code == 400
    assert "is not a work id" in answer.text
    move = {"csrf_token": token(drafts, "/editor/issues/3"), "work": work, "direction": "up"}
    moved = drafts.client.post("/editor/issues/3/move", data=move)
    assert moved.status_code == 409 and "is not a work id" in moved.text
    assert snapshot(drafts.engine) == before


@pytest.mark.parametrize(
    "address", ["=?utf-8?q?li?=@example.org", "=?utf-8?q?li=0D=0ABcc=3A_x?=@example.org"]
)
def test_a_sign_up_with_an_encoded_word_address_is_refused(
    drafts: Site,  # noqa: F811
    address: str,
) -> None:
    before = snapshot(drafts.engine)
    answer = subscribe(drafts.app.test_client(), address)
    assert answer.status_code == 400
    assert "邮箱地址" in answer.text  # the form says the address is wrong
    assert snapshot(drafts.engine) == before
    assert outbox(drafts) == []
