"""The evidence map in a real browser (Debian's Chromium through Playwright) at a phone's width
and a desktop's: a reader picks a filter and submits the form, the table narrows, the CSV link
downloads those rows, and at 375 px the page never scrolls sideways (the table scrolls inside
its own box). Screenshots are kept for people to look at."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from etl.evidence.query import Query
from etl.web import create_app
from tests.evidence.conftest import Ground
from tests.support.wsgi import loopback


@pytest.fixture(scope="module")
def site(sqlite_ground: Ground) -> Iterator[str]:
    with loopback() as server:
        server.app = create_app(sqlite_ground.settings)
        yield server.url


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("width", [375, 1280])
def test_filter_download_and_fit(
    site: str, sqlite_ground: Ground, browser: Any, artifacts: Path, width: int, lang: str
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900}, accept_downloads=True)
    try:
        page.goto(site + ("/evidence/" if lang == "zh" else "/evidence/en/"))
        assert page.locator("tbody tr[data-study]").count() == 16
        page.screenshot(path=str(artifacts / f"evidence-{lang}-{width}.png"), full_page=False)
        page.select_option("select[name=cancer]", "aml")
        page.select_option("select[name=sort]", "patients")
        with page.expect_navigation():
            page.click("form.filters button[type=submit]")
        assert "cancer=aml" in page.url
        expected = sqlite_ground.evidence.view(
            Query({"cancer": ("aml",)}, "patients", "desc"), lang
        )
        shown = page.locator("tbody tr[data-study]").evaluate_all(
            "rows => rows.map(r => r.dataset.study)"
        )
        assert shown == [row.key for row in expected] and 0 < len(shown) < 16
        # the page does not scroll sideways; the table does, inside its box
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        box = page.locator("div.scroll")
        if width == 375:
            assert box.evaluate("b => b.scrollWidth > b.clientWidth")
        with page.expect_download() as download:
            page.click("a.csv")
        body = Path(download.value.path()).read_text(encoding="utf-8-sig")
        read = list(csv.reader(io.StringIO(body)))
        assert [line[1] for line in read[1:]] == [row.key for row in expected]
        page.screenshot(
            path=str(artifacts / f"evidence-{lang}-{width}-filtered.png"), full_page=True
        )
        images = page.locator("figure.chart img")
        assert images.count() == 4
        for index in range(4):
            images.nth(index).scroll_into_view_if_needed()
            assert images.nth(index).evaluate("i => i.complete && i.naturalWidth > 0")
            assert images.nth(index).evaluate("i => i.getBoundingClientRect().right") <= width
        # a row's study leads to its study page
        study = page.locator("tbody tr[data-study] a.page").first
        with page.expect_navigation():
            study.click()
        assert "/studies/" in page.url and page.locator("h1").count() == 1
    finally:
        page.close()
