"""An editor's week in a real Chromium: turned away before logging in, then filtering the queue,
including, excluding and featuring works by mouse and by keyboard, correcting a label, reading
the preview at phone and desktop widths, approving the issue, and finding it in the public
archive between its neighbours once it has gone out. Screenshots go to test-artifacts/."""

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
from etl.digest import store
from etl.digest.service import Digest
from etl.editors import accounts
from etl.mail.transport import open_transport
from tests.conftest import make_settings
from tests.digest.conftest import FIRST_LOAD, UPDATES, WEEKS, load_demo, publish
from tests.support.wsgi import loopback
from tests.web.test_editor_pages import PASSWORD, Site, csp_reports, open_site, violations


@pytest.fixture
def served(sqlite_url: str, sqlite_engine: Engine, tmp_path: Path) -> Iterator[Site]:
    """The demo's works and three weekly issues (the first sent), served on loopback."""
    load_demo(sqlite_engine, make_settings(sqlite_url), tmp_path)
    added = accounts.add(sqlite_engine, "li@example.org", PASSWORD, now(), "Li Wei")
    accounts.set_language(sqlite_engine, added.id, "en")  # Chinese: test_workbench_browser.py
    with loopback() as server:
        site = open_site(
            sqlite_url, sqlite_engine, tmp_path, **{"archive.base_url": server.url + "/"}
        )
        digest = Digest.open(site.settings, sqlite_engine)
        for start in WEEKS:
            digest.build(digest.period(start, FIRST_LOAD), UPDATES)
        publish(digest, 1)
        server.app = site.app
        yield site


def decisions(engine: Engine) -> dict[int, dict[str, Any]]:
    table = EditorDecision.__table__
    with engine.connect() as conn:
        return {row["work_id"]: dict(row) for row in conn.execute(select(table)).mappings()}


def labels(engine: Engine) -> dict[int, dict[str, Any]]:
    table = Classification.__table__
    with engine.connect() as conn:
        return {row.work_id: row.labels for row in conn.execute(select(table))}


def row_ids(page: Any) -> list[int]:
    return [int(v) for v in page.locator("tr[data-work]").evaluate_all(
        "rows => rows.map(r => r.dataset.work)")]  # fmt: skip


def test_an_editor_reviews_the_week_and_approves_the_issue(
    served: Site, browser: Any, artifacts: Path
) -> None:
    base = served.settings.archive.base_url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    said = csp_reports(page)  # every page below runs under the Content-Security-Policy
    try:
        # Anonymous: the queue sends the visitor to the login, and back after it.
        page.goto(base + "editor/queue?since=2000-01-01")
        assert page.url.startswith(base + "editor/login?next=")
        page.fill("#name", "li@example.org")
        page.fill("#password", PASSWORD)
        page.click("form[action$='/editor/login'] button")
        assert page.url == base + "editor/queue?since=2000-01-01"

        # Filter by a cancer type the demo has.
        known = labels(served.engine)
        wanted = next(
            t for w in row_ids(page) for t in known[w]["cancer_types"] if t != "other_solid"
        )
        page.select_option("select[name=cancer_type]", wanted)
        page.click("#filters button[type=submit]")
        assert f"cancer_type={wanted}" in page.url
        filtered = row_ids(page)
        assert filtered and all(wanted in known[w]["cancer_types"] for w in filtered)
        page.goto(base + "editor/queue?since=2000-01-01")
        rows = row_ids(page)
        assert len(rows) > len(filtered)

        # Include by mouse: the row changes in place, with no page load.
        before = page.url
        first = page.locator(f"#work-{rows[0]}")
        first.locator("button[value=include]").click()
        expect(page.locator(f"#work-{rows[0]} .state")).to_have_text(re.compile("^include"))
        assert page.url == before
        assert decisions(served.engine)[rows[0]]["decision"] == "include"

        # By keyboard: j moves down, i includes; x selects, e excludes every selected row.
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("i")
        expect(page.locator(f"#work-{rows[1]} .state")).to_have_text(re.compile("^include"))
        page.keyboard.press("j")
        page.keyboard.press("x")
        page.keyboard.press("j")
        page.keyboard.press("x")
        page.keyboard.press("e")
        for work in rows[2:4]:
            expect(page.locator(f"#work-{work} .state")).to_have_text(re.compile("^exclude"))
        made = decisions(served.engine)
        assert made[rows[1]]["decision"] == "include"
        assert [made[w]["decision"] for w in rows[2:4]] == ["exclude", "exclude"]

        # Feature with a highlight.
        row = page.locator(f"#work-{rows[4]}")
        row.locator("form.feature input[name=text]").fill("首次在人体中证实安全性")
        row.locator("form.feature button").click()
        expect(page.locator(f"#work-{rows[4]} .state")).to_contain_text("featured")
        assert decisions(served.engine)[rows[4]]["highlight"] == "首次在人体中证实安全性"

        # Correct a label: the form posts, the page comes back with the correction shown.
        row = page.locator(f"#work-{rows[5]}")
        row.locator("a.correct-link").click()  # the row's form, fetched and opened in place
        expect(row.locator("form.labels-form")).to_be_visible()
        stage = "phase3" if known[rows[5]]["stage"] != "phase3" else "animal"
        row.locator("select[name=stage]").select_option(stage)
        row.locator("form.labels-form button[type=submit]").click()
        page.wait_for_load_state()
        assert "corrected stage" in page.locator(".flash").inner_text()
        assert labels(served.engine)[rows[5]]["stage"] == stage
        assert "corrected by an editor: stage" in page.locator(f"#work-{rows[5]}").inner_text()
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(artifacts / "web-editor-queue.png"))

        # A POST without the form's token is refused, and changes nothing.
        answer = page.request.post(
            base + "editor/queue/act", form={"work": str(rows[6]), "action": "exclude"}
        )
        assert answer.status == 400
        assert rows[6] not in decisions(served.engine)

        # The draft: preview at both widths, nothing wider than its frame, then approve.
        page.goto(base + "editor/issues/2")
        page.click("text=English")
        frames = page.locator("iframe")
        assert frames.count() == 2
        page.wait_for_load_state("load")
        for frame, width in zip(page.frames[1:], (375, 600), strict=True):
            frame.wait_for_load_state()
            wide = frame.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, (width, wide)
            assert "Issue 2" in frame.content() or "issue 2" in frame.content().lower()
        page.screenshot(path=str(artifacts / "web-editor-preview-en.png"))
        page.goto(base + "editor/issues/2")
        page.click("#approve")
        assert page.locator(".issue-state").inner_text() == "approved"
        with served.engine.connect() as conn:
            assert store.find_issue(conn, "2")["approved_by"] == "li@example.org"
        assert violations(said) == []
    finally:
        page.close()

    # Once it has gone out, the public archive has it between its neighbours.
    digest = Digest.open(served.settings, served.engine)
    issue, _, _ = digest.send("2", open_transport(served.settings), now)
    assert issue["state"] == "sent"
    reader = browser.new_page(viewport={"width": 390, "height": 800})
    read = csp_reports(reader)
    try:
        reader.goto(base + f"issues/{issue['slug']}/")
        previous = reader.locator("a[rel=prev]")
        assert previous.get_attribute("href").endswith(f"issues/{WEEKS[0]}/")
        assert reader.locator("a[rel=next]").count() == 1
        highlight = reader.locator("p.highlight").first  # styled by the page's stylesheet
        if highlight.count():
            colour = highlight.evaluate("e => getComputedStyle(e).backgroundColor")
            assert colour == "rgb(241, 246, 239)"
        reader.goto(base)
        assert f"issues/{issue['slug']}/" in reader.content()
        assert violations(read) == []
    finally:
        reader.close()
