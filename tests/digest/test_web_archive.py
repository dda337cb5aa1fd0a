"""The archive as the web app serves it, over real HTTP on loopback: the same pages the static
build writes, drafts private, and a reader can walk from issue to issue in a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import rispy

from etl.digest.service import Digest
from etl.web import create_app
from tests.support.wsgi import loopback

PAGES = (
    ("index.html", "/"),
    ("en/index.html", "/en/"),
    ("issues/2026-11-09/index.html", "/issues/2026-11-09/"),
    ("issues/2026-11-16/en/index.html", "/issues/2026-11-16/en/"),
    ("issues/2026-11-23/index.html", "/issues/2026-11-23/"),
    ("issues/2026-11-23/en/index.html", "/issues/2026-11-23/en/"),
)


@pytest.fixture(scope="module")
def site(built: Digest) -> Iterator[str]:
    """The app on a free loopback port, with the configured (public) archive address."""
    secrets = built.settings.secrets.model_copy(update={"secret_key": "k" * 40})
    here = built.settings.model_copy(update={"secrets": secrets})
    with loopback() as server:
        server.app = create_app(here, Digest.open(here, built.engine))
        yield server.url


def built_at(built: Digest, base_url: str, folder: Path) -> Path:
    """`archive build` at `base_url`: the archive and the study pages it links to."""
    from etl.studies.service import build_archive

    archive = built.settings.archive.model_copy(update={"base_url": base_url})
    here = built.settings.model_copy(update={"archive": archive})
    build_archive(Digest.open(here, built.engine), folder)
    return folder


def test_served_pages_are_the_built_pages_with_links_to_the_served_site(
    built: Digest, site: str, tmp_path: Path
) -> None:
    relative = built_at(built, "/", tmp_path / "relative")
    for path, url in PAGES:
        answer = httpx.get(site + url)
        assert answer.status_code == 200, url
        # The same bytes, but for the nonce the served page's stylesheet carries for its
        # Content-Security-Policy (a page in a folder has no CSP header to match it).
        policy = answer.headers["content-security-policy"]
        value = re.search(r"style-src 'nonce-([\w-]+)'", policy).group(1)
        nonce = f' nonce="{value}"'
        assert answer.text.count(nonce) == (1 if path.endswith(".html") else 0), url
        built_page = (relative / path).read_text(encoding="utf-8")
        assert answer.text.replace(nonce, "") == built_page, url
        assert built.settings.archive.base_url not in answer.text, url
    absolute = built_at(built, site + "/", tmp_path / "absolute")
    feed = httpx.get(site + "/feed.atom")  # a feed's links are absolute: the request's host
    assert feed.text == (absolute / "feed.atom").read_text(encoding="utf-8")
    assert feed.headers["content-type"].startswith("application/atom")


def test_every_archive_page_links_to_the_sign_up_form(
    built: Digest, site: str, tmp_path: Path
) -> None:
    static = built_at(built, built.settings.archive.base_url, tmp_path)
    for path, url in PAGES:
        form = "/subscribe?lang=en" if "en/" in url else "/subscribe"
        served = httpx.get(site + url).text
        assert f'class="subscribe" href="{form}"' in served, url
        assert httpx.get(site + form).status_code == 200
        written = (static / path).read_text(encoding="utf-8")  # the build: the public address
        assert f'href="{built.settings.archive.base_url}{form[1:]}"' in written, path


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


def test_every_item_links_to_its_study_page_and_serve_and_build_agree_on_it(
    built: Digest, site: str, tmp_path: Path
) -> None:
    relative = built_at(built, "/", tmp_path / "relative")
    seen: set[str] = set()
    for _, url in PAGES[2:]:  # the issue pages
        html = httpx.get(site + url).text
        if "尚未发布" in html or "not out yet" in html:
            continue
        links = set(re.findall(r'href="(/studies/[^"/]+/(?:en/)?)">(?:研究档案|Study page)<', html))
        items = html.count('class="item"')
        assert len(links) == items > 0, url  # one study page per item
        seen |= links
    for link in sorted(seen):
        answer = httpx.get(site + link)
        assert answer.status_code == 200, link
        nonce = re.search(r"style-src 'nonce-([\w-]+)'", answer.headers["content-security-policy"])
        written = (relative / link.lstrip("/") / "index.html").read_text(encoding="utf-8")
        assert answer.text.replace(f' nonce="{nonce.group(1)}"', "") == written, link
        cited = httpx.get(site + link.removesuffix("en/") + "cite.ris")
        assert cited.headers["content-type"].startswith("application/x-research-info-systems")
        (record,) = rispy.loads(cited.text)
        assert record["title"] and record["urls"][-1] == f"{site}{link.removesuffix('en/')}"
