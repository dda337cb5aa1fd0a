"""The search page in Debian's Chromium at a phone's 375 px and at 1280 px: the form works
without JavaScript (typing and pressing the button, choosing a filter), results and filters fit
the screen, and the Chinese text the browser lays out has full-width marks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from etl.classify.service import Classifier, classify_works
from etl.digest.service import Digest
from etl.digest.typography import stray_marks
from etl.replay import synthetic_article
from etl.web import create_app
from tests.conftest import make_settings
from tests.digest.test_browser import overflow
from tests.follow.test_search import CHINESE, MYELOMA, NOW, store_articles
from tests.support.wsgi import loopback

KEY = "k" * 32


@pytest.mark.parametrize("width", [375, 1280])
def test_search_page_in_a_browser(
    sqlite_url: str,
    sqlite_engine: Engine,
    tmp_path: Path,
    browser: Any,
    artifacts: Path,
    width: int,
) -> None:
    settings = make_settings(sqlite_url, SECRET_KEY=KEY, **{"paths.var": str(tmp_path / "var")})
    long_title = "Adipose-tissue-derived-mesenchymal-stromal-cell-exosomes" * 3
    touched = store_articles(
        sqlite_engine,
        synthetic_article("41000001", NOW.date(), title=MYELOMA, abstract=MYELOMA + " " + MYELOMA),
        synthetic_article(
            "41000003",
            NOW.date(),
            title=f"[{CHINESE}]",
            abstract=f"{CHINESE}。间充质干细胞与肿瘤。",
        ),
        synthetic_article(
            "41000005",
            NOW.date(),
            title=f"{long_title} in multiple myeloma.",
            abstract="Mesenchymal stem cells in multiple myeloma. " * 2,
        ),
    )
    with sqlite_engine.begin() as conn:
        classify_works(conn, touched, Classifier.from_settings(settings), NOW)
    with loopback() as server:
        server.app = create_app(settings, Digest.open(settings, sqlite_engine))
        page = browser.new_page(viewport={"width": width, "height": 900}, java_script_enabled=False)
        try:
            page.goto(server.url + "/search")
            page.fill("input[name=q]", "骨髓瘤")
            page.click("form.search button")
            page.wait_for_load_state()
            assert "q=" in page.url
            assert page.locator("ol.results li").count() == 3
            page.select_option("select[name=source]", "umbilical_cord")
            page.click("form.search button")
            page.wait_for_load_state()
            assert "source=umbilical_cord" in page.url
            shown = page.evaluate("document.body.innerText")
            assert "共 2 项结果" in shown
            assert CHINESE in shown
            assert stray_marks(shown) == []
            page.screenshot(path=str(artifacts / f"search-zh-{width}.png"), full_page=True)
            zh_fit = overflow(page, width)
            page.goto(server.url + "/en/search?q=myeloma")
            assert page.locator("ol.results li").count() == 3
            page.screenshot(path=str(artifacts / f"search-en-{width}.png"), full_page=True)
            en_fit = overflow(page, width)
        finally:
            page.close()
    for fit in (zh_fit, en_fit):
        assert fit["scroll"] <= 0, fit
        assert fit["right"] <= 0.5, fit
