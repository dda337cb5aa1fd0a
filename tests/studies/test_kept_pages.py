"""Study pages and the evidence map are kept per worker like the archive's pages: a repeated
request naming the ETag gets 304 with no body (and no new CSP, which would block the kept
page's own style), the page keeps each response's own nonce, and a change to a work's record
renders the page again once the fingerprint is asked again."""

from __future__ import annotations

from typing import Any

from flask import Flask

from etl.classify.service import Classifier
from etl.web import create_app
from etl.web.app import STUDY_CACHE
from etl.web.evidence import MAP_KEY, PAGES_KEY
from tests.studies.conftest import LATER, Thread, put, trial
from tests.web.test_security_headers import NONCE

SPONSOR = "Suzhou Kept Pages Test Hospital"


def _later(app: Flask, key: str) -> None:
    """The `recheck` seconds have passed for the cache at `key`."""
    cache = app.extensions[key]
    clock = cache.clock
    cache.clock = lambda: clock() + cache.recheck


def _revalidates(client: Any, path: str) -> str:
    first = client.get(path)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache", path
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"", path
    assert "Content-Security-Policy" not in again.headers, path
    other = client.get(path, headers={"If-None-Match": '"not-this-one"'})
    assert other.status_code == 200 and other.headers["ETag"] == etag, path
    for answer in (first, other):  # the kept page, each time with the response's own nonce
        nonce = NONCE.search(answer.headers["Content-Security-Policy"]).group(1)
        assert f'nonce="{nonce}"' in answer.text and "\x00" not in answer.text, path
    assert NONCE.search(first.headers["Content-Security-Policy"]).group(1) != NONCE.search(
        other.headers["Content-Security-Policy"]
    ).group(1)
    return str(etag)


def test_study_page_and_evidence_map_get_304_until_a_record_changes(
    sqlite_thread: Thread,
) -> None:
    app = create_app(sqlite_thread.settings, sqlite_thread.digest)
    client = app.test_client()
    study, study_en = "/studies/nct09000001/", "/studies/nct09000001/en/"
    evidence = "/evidence/?sort=phase&order=asc"
    tags = {path: _revalidates(client, path) for path in (study, study_en, evidence)}
    assert SPONSOR not in client.get(study).text
    # the same filters spelt in another order are the same kept page
    shuffled = client.get("/evidence/?order=asc&sort=phase")
    assert shuffled.headers["ETag"] == tags[evidence]
    # an old address is not kept: it still answers with its redirect
    assert client.get("/studies/NCT09000001/").status_code == 301

    changed = trial(
        status="COMPLETED", enrollment=40, enrollment_type="ACTUAL", has_results=True,
        results_first_posted="2025-06-01", last_update_posted="2025-10-01",
        revised="2025-10-01", sponsor=SPONSOR,
    )  # fmt: skip
    put(sqlite_thread.engine, Classifier.from_settings(sqlite_thread.settings), [changed],
        LATER.replace(month=10))  # fmt: skip
    # within `recheck` seconds the kept page may still be served ...
    assert client.get(study, headers={"If-None-Match": tags[study]}).status_code == 304
    _later(app, STUDY_CACHE)
    _later(app, PAGES_KEY)
    app.extensions[MAP_KEY].recent.read_at = float("-inf")  # and the map's rows are read again
    for path in (study, study_en, evidence):
        newer = client.get(path, headers={"If-None-Match": tags[path]})
        assert newer.status_code == 200 and newer.headers["ETag"] != tags[path], path
        assert SPONSOR in newer.text, path
