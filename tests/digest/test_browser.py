"""The email and the archive page in a real browser (Debian's Chromium through Playwright), at a
phone's width and at the email's 600 px: nothing may stick out sideways. Screenshots are kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from etl.digest import store
from etl.digest.service import Digest
from etl.digest.typography import stray_marks

WIDEST_RIGHT_EDGE = """() => Math.max(0, ...Array.from(document.querySelectorAll('body *'))
    .filter(e => e.getClientRects().length)
    .map(e => e.getBoundingClientRect().right))"""


def overflow(page: Any, width: int) -> dict[str, float]:
    return {
        "scroll": page.evaluate("document.documentElement.scrollWidth") - width,
        "right": page.evaluate(WIDEST_RIGHT_EDGE) - width,
    }


@pytest.mark.parametrize("number", [1, 3])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("width", [375, 600])
def test_the_email_fits_phone_and_desktop_widths(
    built: Digest,
    browser: Any,
    artifacts: Path,
    tmp_path: Path,
    number: int,
    lang: str,
    width: int,
) -> None:
    """Issue 1 (a Chinese paper's citation, long English titles) and issue 3 (the trial
    table): the question headline on top, full-width marks in the Chinese text as the browser
    lays it out, and nothing wider than the screen."""
    with built.engine.connect() as conn:
        content = store.load_content(conn, store.find_issue(conn, str(number)))
    rendered = built.renderer.email(content, lang)
    page_file = tmp_path / f"issue-{number}.{lang}.html"
    page_file.write_text(rendered.html, encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(page_file.as_uri())
        headline = page.locator("h1").inner_text().strip()
        assert headline == built.renderer.view(content, lang).title
        assert headline.endswith("？" if lang == "zh" else "?")
        shown = page.evaluate("document.body.innerText")
        if lang == "zh":
            assert stray_marks(shown) == []
        if number == 3:
            assert page.locator("table a").count() >= 2  # the trial table, linked
        page.screenshot(
            path=str(artifacts / f"email-issue-{number}-{lang}-{width}.png"), full_page=True
        )
        sticking_out = overflow(page, width)
    finally:
        page.close()
    assert sticking_out["scroll"] <= 0, sticking_out
    assert sticking_out["right"] <= 0.5, sticking_out


@pytest.mark.parametrize("width", [375, 1024])
def test_the_archive_page_fits_and_links_both_ways(
    built: Digest, browser: Any, artifacts: Path, tmp_path: Path, width: int
) -> None:
    folder = tmp_path / "site"
    built.build_archive(folder)
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto((folder / "issues" / "2026-11-09" / "index.html").as_uri())
        next_link = page.locator("a[rel=next]")
        assert next_link.get_attribute("href").endswith("/issues/2026-11-16/")
        assert "2026年11月23日" in page.locator("nav.issues").inner_text()
        page.screenshot(path=str(artifacts / f"archive-issue-1-{width}.png"), full_page=True)
        sticking_out = overflow(page, width)
    finally:
        page.close()
    assert sticking_out["scroll"] <= 0 and sticking_out["right"] <= 0.5, sticking_out
