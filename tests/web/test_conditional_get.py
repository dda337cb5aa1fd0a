"""Archive pages answer a repeated request with 304 while they are the same, and change their
ETag when a new issue is published; the cached page still gets each response's own nonce."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import Engine

from etl.web.app import ARCHIVE_CACHE
from etl.web.archive_cache import RECHECK
from tests.conftest import make_settings
from tests.digest.conftest import FIRST_LOAD, UPDATES, WEEKS, load_demo, publish
from tests.web.test_security_headers import NONCE, make_app


def test_if_none_match_gets_304_until_a_new_issue_changes_the_page(
    sqlite_url: str, sqlite_engine: Engine, tmp_path: Path
) -> None:
    load_demo(sqlite_engine, make_settings(sqlite_url), tmp_path)
    app: Flask = make_app(sqlite_url, sqlite_engine, tmp_path)
    digest = app.extensions["mscwatch"].digest
    digest.build(digest.period(WEEKS[0], FIRST_LOAD), UPDATES)
    publish(digest, 1)
    client = app.test_client()
    pages = ["/", "/en/", f"/issues/{WEEKS[0]}/", "/feed.atom"]
    tags = {}
    for path in pages:
        first = client.get(path)
        assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache", path
        tags[path] = first.headers["ETag"]
        again = client.get(path, headers={"If-None-Match": tags[path]})
        assert again.status_code == 304 and again.data == b"", path
        assert again.headers["ETag"] == tags[path]
        other = client.get(path, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200 and other.data, path
    # the same page from the cache, each time with the response's own nonce
    one, two = client.get("/"), client.get("/")
    for answer in (one, two):
        nonce = NONCE.search(answer.headers["Content-Security-Policy"]).group(1)
        assert f'nonce="{nonce}"' in answer.text and "\x00" not in answer.text
    assert one.headers["ETag"] == two.headers["ETag"] == tags["/"]

    digest.build(digest.period(WEEKS[1], FIRST_LOAD), UPDATES)
    publish(digest, 2)
    cache = app.extensions[ARCHIVE_CACHE]
    assert client.get("/").headers["ETag"] == tags["/"]  # asked again within `recheck` seconds
    clock = cache.clock
    cache.clock = lambda: clock() + RECHECK  # those seconds have passed
    newer = client.get("/", headers={"If-None-Match": tags["/"]})
    assert newer.status_code == 200 and newer.headers["ETag"] != tags["/"]
    assert f"/issues/{WEEKS[1]}/" in newer.text
    assert client.get("/feed.atom").headers["ETag"] != tags["/feed.atom"]
    assert client.get(f"/issues/{WEEKS[1]}/").status_code == 200
    assert client.get("/issues/no-such-issue/").status_code == 404
