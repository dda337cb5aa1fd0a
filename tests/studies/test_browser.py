"""A study page in Debian's Chromium at a phone's width and a desktop's: nothing sticks out
sideways, and the timeline reads as dated steps in order (the date above its step on a phone,
beside it on a desktop). Screenshots are kept for people to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from etl.articles.service import Articles
from etl.digest.typography import stray_marks
from etl.web import create_app
from tests.studies.conftest import LATER, NCT, Thread
from tests.support.wsgi import loopback

WIDEST_RIGHT_EDGE = """() => Math.max(0, ...Array.from(document.querySelectorAll('body *'))
    .filter(e => e.getClientRects().length)
    .map(e => e.getBoundingClientRect().right))"""
STEPS = """() => Array.from(document.querySelectorAll('ol.timeline li.step')).map(li => {
    const time = li.querySelector('time').getBoundingClientRect();
    const what = li.querySelector('.what').getBoundingClientRect();
    return {date: li.querySelector('time').getAttribute('datetime'),
            dateText: li.querySelector('time').innerText, text: li.querySelector('.what').innerText,
            timeTop: time.top, timeRight: time.right, whatTop: what.top, whatLeft: what.left,
            fontSize: parseFloat(getComputedStyle(li.querySelector('.what')).fontSize)};
})"""


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize(
    ("path", "name"),
    [("/studies/pmid-39000001/", "paper-zh"), ("/studies/nct09000001/en/", "trial-en")],
)
def test_the_timeline_reads_at_phone_and_desktop_widths(
    sqlite_thread: Thread, browser: Any, artifacts: Path, path: str, name: str, width: int
) -> None:
    # a published article citing both studies, its headline long enough to wrap on a phone
    articles = Articles(sqlite_thread.digest)
    ref = str(articles.new(["pmid:39000001"], "zh", "ana", LATER)["id"])
    headline = (
        "脐带间充质干细胞治疗激素耐药急性移植物抗宿主病：一项 II 期试验与其长期随访告诉我们什么？"
    )
    articles.save(ref, f"# {headline}\n\n详见 PMID 39000001 与 {NCT}。\n", "ana", LATER)
    articles.check(ref, LATER, online=False)
    articles.approve(ref, "ana", LATER)
    articles.publish(ref, LATER)
    with loopback() as server:
        server.app = create_app(sqlite_thread.settings, sqlite_thread.digest)
        page = browser.new_page(viewport={"width": width, "height": 900})
        try:
            page.goto(server.url + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert page.evaluate(WIDEST_RIGHT_EDGE) <= width
            steps = page.evaluate(STEPS)
            assert len(steps) >= 8
            assert [s["date"] for s in steps] == sorted(s["date"] for s in steps)
            for step in steps:
                assert step["dateText"].strip() and step["text"].strip()
                assert step["fontSize"] >= 14  # readable without zooming
                if width == 375:  # the date on its own line, above its step
                    assert step["whatTop"] >= step["timeTop"] + 10
                else:  # a column of dates beside the steps
                    assert abs(step["whatTop"] - step["timeTop"]) < 8
                    assert step["whatLeft"] >= step["timeRight"]
            if name.endswith("zh"):
                assert stray_marks(page.evaluate("document.body.innerText")) == []
            # the article citing the study is listed, and its link answers
            listed = page.locator("ul.articles a")
            assert listed.count() == 1 and listed.inner_text() == headline
            assert page.request.get(server.url + str(listed.get_attribute("href"))).status == 200
            # the citation downloads are there and answer
            ris = page.locator("a[href$='cite.ris']").get_attribute("href")
            assert page.request.get(server.url + ris).status == 200
            page.screenshot(path=str(artifacts / f"study-{name}-{width}.png"), full_page=True)
        finally:
            page.close()
