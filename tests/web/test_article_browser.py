"""An editor writes a full article in a real Chromium, in Chinese (the workbench's default):
reviews the queue, whose rows read as sentences, picks three works,
creates the article, watches the preview follow the typing, inserts a citation by id, runs the
check, fixes the number it flags, approves, publishes, and finds the article between its
neighbours in the archive and in a test mail caught by a real SMTP server. Screenshots at a
phone's and a desktop's width go to test-artifacts/."""

from __future__ import annotations

import email
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, update

from etl.articles import store
from etl.articles.service import Articles
from etl.clock import now
from etl.db.models import Article
from etl.editors import accounts
from etl.web.archive_cache import RECHECK
from tests.conftest import make_settings
from tests.digest.conftest import load_demo
from tests.support.smtp import SmtpServer
from tests.support.wsgi import loopback
from tests.web.test_editor_pages import PASSWORD, Site, csp_reports, open_site, violations

PICKS = (15, 48, 26)  # a phase II paper, its registered trial's neighbour, a safety analysis
HEADLINE = "间充质干细胞能否让移植更安全？"
BEFORE = "间充质干细胞可以预防移植物抗宿主病吗？"
AFTER = "外泌体会成为新的药物载体吗？"


@pytest.fixture
def served(sqlite_url: str, sqlite_engine: Engine, tmp_path: Path) -> Iterator[tuple[Site, Any]]:
    """The demo's works, served on loopback, mail going to a real SMTP server, and two
    published articles to sit beside the new one (one before it, one dated after it)."""
    load_demo(sqlite_engine, make_settings(sqlite_url), tmp_path)
    accounts.add(sqlite_engine, "li@example.org", PASSWORD, now(), "Li Wei")
    with SmtpServer() as smtp, loopback() as server:
        site = open_site(
            sqlite_url,
            sqlite_engine,
            tmp_path,
            SMTP_URL=smtp.url,
            **{"archive.base_url": server.url + "/"},
        )
        server.app = site.app
        articles = Articles.open(site.settings, sqlite_engine)
        for title, shift in ((BEFORE, -2), (AFTER, 1)):
            _neighbour(articles, ["12"], title, now() + timedelta(days=shift))
        yield site, smtp


def _neighbour(articles: Articles, works: list[str], title: str, when: Any) -> None:
    article = articles.new(works, "zh", "earlier", when)
    ref = str(article["id"])
    body = re.sub(r"^# .*$", f"# {title}", articles.text(ref)["body"], count=1, flags=re.M)
    articles.save(ref, body, "earlier", when)
    articles.check(ref, when, online=False)
    articles.approve(ref, "earlier", when)
    articles.publish(ref, when)
    with articles.engine.begin() as conn:  # published on its own day
        conn.execute(update(Article.__table__).where(Article.__table__.c.id == article["id"])
                     .values(published_at=when))  # fmt: skip
        assert store.find(conn, ref)["state"] == "published"


def test_an_editor_writes_checks_and_publishes_an_article(
    served: tuple[Site, Any], browser: Any, artifacts: Path
) -> None:
    site, smtp = served
    base = site.settings.archive.base_url
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    said = csp_reports(page)
    try:
        page.goto(base + "editor/login")
        page.fill("#name", "li@example.org")
        page.fill("#password", PASSWORD)
        page.click("form[action$='/editor/login'] button")

        # Review the queue in Chinese, and pick three works.
        page.goto(base + "editor/queue?since=2000-01-01")
        expect(page.locator("h1")).to_contain_text("审阅队列")
        for work in PICKS:
            row = page.locator(f"#work-{work}")
            shown = row.inner_text()
            assert "None" not in shown and "['" not in shown and "PHASE" not in shown, shown
            row.locator("button[value=pick]").click()
            expect(page.locator(f"#work-{work} .state")).to_contain_text("已选入文章")
        _screens(page, artifacts, "article-queue")

        # Create the article from them.
        page.goto(base + "editor/articles")
        expect(page.locator("h1")).to_have_text("专题文章")
        expect(page.locator("form.new-article")).to_contain_text("已选入 3 项研究")
        page.click("form.new-article button[type=submit]")
        expect(page.locator("p.flash")).to_contain_text("已由 3 项选入的研究生成文章")
        expect(page.locator("#state")).to_have_text("草稿")
        expect(page.locator("#versions")).to_contain_text("由选入的研究生成")
        body = page.locator("#body")
        text = body.input_value()
        assert "## 二、临床研究进展" in text and "ClinicalTrials.gov 注册号：NCT06218473" in text

        # Write the headline, and mistype a patient count in a lead (58 in the record).
        text = re.sub(r"^# .*$", f"# {HEADLINE}", text, count=1, flags=re.M)
        assert text.count("58 例血液肿瘤患者") == 1
        body.fill(text.replace("58 例血液肿瘤患者", "85 例血液肿瘤患者"))
        # the preview follows the typing, without a reload
        expect(page.locator("#preview")).to_contain_text("85 例血液肿瘤患者")
        page.click("button[value=save]")
        expect(page.locator("p.flash")).to_contain_text("已保存为第 2 版")

        # Insert a citation by id at the end of the safety section.
        text = body.input_value()
        at = text.index("## 四、")
        body.evaluate(f"(el) => {{ el.focus(); el.setSelectionRange({at}, {at}); }}")
        page.fill("#cite", "pmid:41000113")
        page.click("button[value=cite]")
        expect(page.locator("p.flash")).to_contain_text("插入 pmid:41000113 的引文")
        text = body.input_value()
        inserted = text.index("DOI：10.5555/cma.j.cn121090-20260311-00118）")  # a Chinese paper
        assert text.index("## 三、") < inserted < text.index("## 四、")

        # Run the check: the wrong number is flagged, in the panel and in the text.
        page.click("#run-check")
        panel = page.locator("#check-panel")
        expect(page.locator("p.flash")).to_contain_text("有问题，暂不能批准")
        expect(panel.locator("#check-outcome")).to_have_text("未通过")
        flagged = page.locator("#checked-text mark.figure-contradicted")
        expect(flagged.first).to_contain_text("85")
        expect(flagged.first).to_have_attribute("title", re.compile("与原文矛盾；记录为 58 例$"))
        expect(panel.locator("ul.blocking")).to_contain_text("与原文矛盾（记录为 58 例）")
        expect(panel.locator("table.citations")).to_contain_text("已核实")
        expect(panel).not_to_contain_text("contradicted")
        expect(page.locator("#approve")).to_contain_text("放行理由")
        _screens(page, artifacts, "article-check-blocking")

        # Fix it, save, check again: nothing blocks, approve and publish.
        body.fill(body.input_value().replace("85 例血液肿瘤患者", "58 例血液肿瘤患者"))
        page.click("button[value=save]")
        page.click("#run-check")
        expect(page.locator("#check-outcome")).to_have_text("已通过")
        expect(page.locator("#checked-text mark.figure-contradicted")).to_have_count(0)
        page.click("#approve button[type=submit]")
        expect(page.locator("#state")).to_have_text("已批准")
        page.click("#publish button[type=submit]")
        expect(page.locator("#state")).to_have_text("已发布")
        expect(page.locator("p.flash")).to_contain_text("已发布：/articles/")
        _screens(page, artifacts, "article-published-editor")

        # The archive: the article between its neighbours, on the index.
        page.click("#public-page")
        expect(page.locator("h1")).to_have_text(HEADLINE)
        expect(page.locator("a[rel=prev]")).to_have_text("« 上一篇")
        expect(page.locator("nav.articles")).to_contain_text(BEFORE)
        expect(page.locator("nav.articles")).to_contain_text(AFTER)
        page.screenshot(path=str(artifacts / "article-published.png"), full_page=True)
        page.goto(base)
        expect(page.locator("ol.index")).to_contain_text(HEADLINE)

        # A test mail to the editor.
        page.goto(base + "editor/articles")
        expect(page.locator("table.articles")).to_contain_text("已发布")
        _screens(page, artifacts, "article-list")
        page.click(f"text={HEADLINE}")
        page.fill("#test input[name=address]", "li@example.org")
        page.click("#test button[type=submit]")
        expect(page.locator("p.flash")).to_contain_text("测试邮件已发送至 li@example.org")
        _screens(page, artifacts, "article-test-mail")

        # Withdraw it: the reason is required, readers following its address read it.
        page.click("#withdraw button[type=submit]")  # no reason: the browser holds the form
        expect(page.locator("#state")).to_have_text("已发布")
        page.fill("#withdraw-note", "所引论文已被撤稿")
        page.click("#withdraw button[type=submit]")
        expect(page.locator("#state")).to_have_text("已撤回")
        expect(page.locator("p.flash")).to_contain_text("本文未曾通过邮件发送")
        expect(page.locator("#withdrawal")).to_contain_text("撤回本文，原因：所引论文已被撤稿")
        _screens(page, artifacts, "article-withdrawn-editor")
        address = re.search(r"/articles/([^/]+)/", page.locator("#withdrawal").inner_text())
        assert address is not None
        slug = address.group(1)
        time.sleep(RECHECK)  # the kept pages ask whether anything changed every RECHECK s
        answer = page.goto(f"{base}articles/{slug}/")
        assert answer is not None and answer.status == 410
        expect(page.locator("h1")).to_have_text(f"已撤回：{HEADLINE}")
        expect(page.locator("#reason")).to_have_text("撤回原因：所引论文已被撤稿")
        _screens(page, artifacts, "article-withdrawn")
        page.goto(base)
        expect(page.locator("ol.index")).not_to_contain_text(HEADLINE)
    finally:
        page.close()
    received = smtp.wait_for(1)
    message = email.message_from_bytes(received[-1].data, policy=default)
    assert HEADLINE in str(message["Subject"])
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "58 例血液肿瘤患者" in html and "ClinicalTrials.gov 注册号：NCT06218473" in html
    assert not violations(said), violations(said)


def _screens(page: Any, artifacts: Path, name: str) -> None:
    """The page as a Chinese editor sees it on a phone (375 px) and at a desk (1280 px)."""
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} is {wide} px wide at a {width} px screen"
    page.set_viewport_size({"width": 1400, "height": 1000})
