"""The archive as the web app serves it, over real HTTP on loopback: the same pages the static
build writes, drafts private, and a reader can walk from issue to issue in a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from etl.digest.service import Digest
from etl.web import create_app
from tests.support.wsgi import loopback


@pytest.fixture(scope="module")
def site(built: Digest) -> Iterator[str]:
    """The app on a free loopback port, its archive address set to where it really listens."""
    with loopback() as server:
        archive = built.settings.archive.model_copy(update={"base_url": server.url + "/"})
        here = built.settings.model_copy(update={"archive": archive})
        server.app = create_app(here, Digest.open(here, built.engine))
        yield server.url


def test_served_pages_are_the_built_pages(built: Digest, site: str, tmp_path: Path) -> None:
    here = built.settings.model_copy(
        update={"archive": built.settings.archive.model_copy(update={"base_url": site + "/"})}
    )
    Digest.open(here, built.engine).build_archive(tmp_path)
    for path, url in (
        ("index.html", "/"),
        ("en/index.html", "/en/"),
        ("issues/2026-11-09/index.html", "/issues/2026-11-09/"),
        ("issues/2026-11-16/en/index.html", "/issues/2026-11-16/en/"),
        ("issues/2026-11-23/index.html", "/issues/2026-11-23/"),
        ("feed.atom", "/feed.atom"),
    ):
        answer = httpx.get(site + url)
        assert answer.status_code == 200, url
        # The same bytes, but for the nonce the served page's stylesheet carries for its
        # Content-Security-Policy (a page in a folder has no CSP header to match it).
        policy = answer.headers["content-security-policy"]
        value = re.search(r"style-src 'nonce-([\w-]+)'", policy).group(1)
        nonce = f' nonce="{value}"'
        assert answer.text.count(nonce) == (1 if path.endswith(".html") else 0), url
        built_page = (tmp_path / path).read_text(encoding="utf-8")
        assert answer.text.replace(nonce, "") == built_page, url
    assert httpx.get(site + "/feed.atom").headers["content-type"].startswith("application/atom")


def test_drafts_and_unknown_addresses_are_not_found(site: str) -> None:
    assert "尚未发布" in httpx.get(site + "/issues/2026-11-23/").text  # issue 3 is a draft
    assert httpx.get(site + "/issues/2026-12-28/").status_code == 404
    assert httpx.get(site + "/issues/../../etc/passwd").status_code == 404


def test_a_reader_walks_the_archive_in_a_browser(site: str, browser: Any, artifacts: Path) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 800})
    try:
        page.goto(site + "/")
        page.click("ol.index li:last-child a")  # the oldest issue
        assert page.url == site + "/issues/2026-11-09/"
        page.click("a[rel=next]")
        assert page.url == site + "/issues/2026-11-16/"
        assert "第 2 期" in page.locator("p.meta").inner_text()
        page.click("a[rel=prev]")
        assert page.url == site + "/issues/2026-11-09/"
        page.screenshot(path=str(artifacts / "web-archive-issue-1.png"), full_page=True)
    finally:
        page.close()
