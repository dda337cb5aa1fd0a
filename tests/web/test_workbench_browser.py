"""An editor reviews the queue in Chinese in a real Chromium, on a phone (375 px) and a desktop
(1280 px): the rows read as sentences, the abstract opens, checkboxes correct a label, a click
decides, and one button turns the pages English. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, select

from etl.clock import now
from etl.db.models import Classification, EditorDecision
from etl.editors import accounts
from tests.conftest import make_settings
from tests.digest.conftest import load_demo
from tests.support.wsgi import loopback
from tests.web.test_editor_pages import PASSWORD, Site, csp_reports, open_site, violations

QUEUE = "editor/queue?since=2000-01-01&source=ctgov"  # the trials: their changes are events


@pytest.fixture
def served(sqlite_url: str, sqlite_engine: Engine, tmp_path: Path) -> Iterator[Site]:
    load_demo(sqlite_engine, make_settings(sqlite_url), tmp_path)
    accounts.add(sqlite_engine, "li@example.org", PASSWORD, now(), "李伟")
    with loopback() as server:
        site = open_site(
            sqlite_url, sqlite_engine, tmp_path, **{"archive.base_url": server.url + "/"}
        )
        server.app = site.app
        yield site


def labels(engine: Engine, work: int) -> dict[str, Any]:
    table = Classification.__table__
    with engine.connect() as conn:
        found: dict[str, Any] = conn.execute(
            select(table.c.labels).where(table.c.work_id == work)
        ).scalar_one()
    return found


def decision(engine: Engine, work: int) -> str | None:
    table = EditorDecision.__table__
    with engine.connect() as conn:
        found: str | None = conn.execute(
            select(table.c.decision).where(table.c.work_id == work)
        ).scalar()
    return found


@pytest.mark.parametrize("width", [375, 1280])
def test_an_editor_reviews_the_queue_in_chinese(
    served: Site, browser: Any, artifacts: Path, width: int
) -> None:
    base = served.settings.archive.base_url
    page = browser.new_page(viewport={"width": width, "height": 900})
    said = csp_reports(page)
    try:
        page.goto(base + QUEUE)
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.locator("h1").inner_text() == "编辑登录"
        page.fill("#name", "li@example.org")
        page.fill("#password", PASSWORD)
        page.click("form[action$='/editor/login'] button")
        assert page.url == base + QUEUE
        assert page.locator("h1").inner_text() == "审阅队列"

        # Rows read as sentences: the registry's changes in the digest's words.
        events = page.locator("ul.events li").all_inner_texts()
        assert any(re.fullmatch(r"状态：\S+ → \S+（2026-11-\d\d）.*", e) for e in events), events
        assert any(re.match(r"入组人数 \d+ → \d+（2026-11-\d\d）", e) for e in events), events
        body = page.locator("table.queue").inner_text()
        assert "None" not in body and "PHASE" not in body and "RECRUITING" not in body

        rows = [int(v) for v in page.locator("tr[data-work]").evaluate_all(
            "rows => rows.map(r => r.dataset.work)")]  # fmt: skip
        work = rows[0]
        row = page.locator(f"#work-{work}")

        # The abstract is folded away until asked for.
        abstract = row.locator("details.abstract")
        assert abstract.get_attribute("open") is None
        expect(abstract.locator("p").first).to_be_hidden()
        abstract.locator("summary").click()
        expect(abstract.locator("p").first).to_be_visible()
        assert "提取的要点" in row.inner_text() and "拟用导语" in row.inner_text()
        page.screenshot(path=str(artifacts / f"web-workbench-queue-zh-{width}.png"))

        # Correct a label with checkboxes: add a cancer type the rules did not give.
        before = labels(served.engine, work)["cancer_types"]
        row.locator("a.correct-link").click()  # opens the row's form in place
        expect(row.locator("form.labels-form")).to_be_visible()
        boxes = row.locator("fieldset.cancer-types input[type=checkbox]")
        added = next(v for v in boxes.evaluate_all("bs => bs.map(b => b.value)") if v not in before)
        row.locator(f"fieldset.cancer-types input[value={added}]").check()
        row.locator("form.labels-form button[type=submit]").click()
        page.wait_for_load_state()
        assert f"第 {work} 项：已更正 癌种" in page.locator(".flash").inner_text()
        assert "编辑已更正：癌种" in page.locator(f"#work-{work}").inner_text()
        assert added in labels(served.engine, work)["cancer_types"]

        # Decide with one click: the row changes in place.
        row = page.locator(f"#work-{work}")
        row.locator("button[value=include]").click()
        expect(page.locator(f"#work-{work} .state")).to_have_text(re.compile("^已纳入"))
        assert decision(served.engine, work) == "include"

        # One button makes every page English, and it stays so.
        page.click(".editor-bar button.switch")
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator("h1").inner_text() == "Review queue"
        english = page.locator("ul.events li").all_inner_texts()
        assert any(re.match(r"Status: .+ → .+ \(2026-11-\d\d\)", e) for e in english), english
        expect(page.locator(f"#work-{work} .state")).to_have_text(re.compile("^included"))
        page.screenshot(path=str(artifacts / f"web-workbench-queue-en-{width}.png"))
        page.goto(base + "editor/")
        assert page.locator("h1").inner_text() == "Editor pages"
        if width == 375:  # nothing wider than the phone
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert violations(said) == []
    finally:
        page.close()
