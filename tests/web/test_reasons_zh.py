"""What core code reports on the editor pages (the guards that stop an issue, a job's health, where
a pasted id was looked for), in the editor's language: worded in Chinese from the same facts on a
Chinese page, and on an English page exactly as the command line prints it."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

from etl.clock import now
from etl.digest.service import Digest
from etl.editors import accounts
from etl.ops.history import job_health
from etl.subscribers.service import Subscribers
from etl.web import create_app
from tests.conftest import make_settings
from tests.digest.conftest import FIRST_LOAD, UPDATES, WEEKS, load_demo
from tests.web.test_editor_pages import CSRF, PASSWORD, Site, fail_crawl, log_in, open_site

ENGLISH_WORDS = re.compile(r"\b(edition|over|limit|clips|line|link|heading|item)\b")
# An archive on a host with no dot (every link to it is refused) and the tightest size allowed.
BROKEN = {"digest.max_html_kb": 20, "archive.base_url": "https://archive/"}


@pytest.fixture
def desk(db_url: str, engine: Engine, tmp_path: Path) -> Site:
    """The demo's issues built as drafts, and an editor who reads Chinese (the default)."""
    load_demo(engine, make_settings(db_url, **{"paths.var": str(tmp_path / "var")}), tmp_path)
    accounts.add(engine, "li@example.org", PASSWORD, now(), "李伟")
    site = open_site(db_url, engine, tmp_path, **BROKEN)
    digest = Digest.open(site.settings, engine)
    for start in WEEKS:
        digest.build(digest.period(start, FIRST_LOAD), UPDATES)
    long = "间充质干细胞" * 600  # an introduction that takes the Chinese edition over the limit
    digest.set_texts(digest.issue("3"), {("intro", "zh"): long, ("intro", "en"): long})
    assert log_in(site.client).status_code == 303
    return site


@pytest.fixture
def chinese(db_url: str, engine: Engine, tmp_path: Path) -> Site:
    """An editor who reads Chinese (the default), logged in; no works."""
    accounts.add(engine, "li@example.org", PASSWORD, now(), "李伟")
    site = open_site(db_url, engine, tmp_path)
    assert log_in(site.client).status_code == 303
    return site


def listed(page: str) -> list[str]:
    """The problems an issue page lists."""
    box = page.split('<div class="problem">', 1)[1].split("</div>", 1)[0]
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", box)]


def set_language(site: Site, lang: str) -> None:
    token = CSRF.search(site.client.get("/editor/issues").text).group(1)
    form = {"csrf_token": token, "lang": lang, "return_to": "/editor/issues"}
    assert site.client.post("/editor/language", data=form).status_code == 303


def test_guards_are_chinese_on_a_chinese_page_and_the_cli_english_elsewhere(desk: Site) -> None:
    digest = Digest.open(desk.settings, desk.engine)
    content = digest.content(digest.issue("3"))
    reported = digest.problems(content, digest.editions(content))
    sizes = [p for p in reported if "KB as sent" in p]
    assert sizes[0].startswith("zh edition: HTML is ")  # the CLI's text, as it always was

    chinese = listed(desk.client.get("/editor/issues/3").text)
    assert len(chinese) == len(reported)
    size = re.fullmatch(
        r"中文版：邮件 HTML 为 (\d+\.\d) KB，超过 20 KB 上限（Gmail 会截断）", chinese[0]
    )
    assert size and f"HTML is {size.group(1)} KB as sent" in sizes[0]  # the same figure
    link = next(text for text in chinese if "“在网页中阅读”" in text)
    bad_host = r"中文版：链接“https://archive/issues/[^”]+”（“在网页中阅读”）：缺少有效的主机名"
    assert re.fullmatch(bad_host, link)
    assert any(text.startswith("英文版：纯文本部分：链接“https://archive/") for text in chinese)
    assert not [text for text in chinese if ENGLISH_WORDS.search(text)]

    set_language(desk, "en")
    assert listed(desk.client.get("/editor/issues/3").text) == reported


def test_an_approval_the_guards_refuse_says_why_in_the_editors_language(desk: Site) -> None:
    token = CSRF.search(desk.client.get("/editor/issues/3").text).group(1)
    refused = desk.client.post("/editor/issues/3/approve", data={"csrf_token": token})
    assert refused.status_code == 409
    text = html.unescape(refused.text)
    assert "个问题阻止批准" in text and "中文版：邮件 HTML 为 " in text
    assert "KB as sent" not in text and "Gmail clips it" not in text
    set_language(desk, "en")
    refused = desk.client.post("/editor/issues/3/approve", data={"csrf_token": token})
    assert refused.status_code == 409 and "zh edition: HTML is " in html.unescape(refused.text)


def cells_of(site: Site, job: str) -> list[str]:
    """The operators page's row of `job`: name, verdict, why, last run, outcome, last success…"""
    page = site.client.get("/editor/operators").text
    row = re.search(rf'<tr id="job-{job}">(.*?)</tr>', page, re.S)
    assert row, job
    return [html.unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


def reason_of(site: Site, job: str) -> str:
    """What the operators page says is wrong with `job` (its "why" cell)."""
    return cells_of(site, job)[2]


def test_health_reasons_are_chinese_on_a_chinese_operators_page(chinese: Site) -> None:
    for _ in range(2):
        fail_crawl(chinese.engine, error="HTTP 500 from efetch")
    assert reason_of(chinese, "crawl:pubmed") == "连续 2 次；最近一次运行失败：HTTP 500 from efetch"
    assert reason_of(chinese, "crawl:ctgov") == "尚无完成的运行"
    assert cells_of(chinese, "crawl:pubmed")[5] == "从未"  # no run ever worked
    set_language(chinese, "en")
    said = job_health(chinese.engine, chinese.settings, "crawl:pubmed", now())
    assert said.reason == "2 runs in a row; the last failed: HTTP 500 from efetch"  # the CLI's
    assert reason_of(chinese, "crawl:pubmed") == said.reason
    assert reason_of(chinese, "crawl:ctgov") == "no finished run yet"
    assert cells_of(chinese, "crawl:pubmed")[5] == "never"


def test_where_an_id_was_looked_for_is_said_in_the_editors_language(chinese: Site) -> None:
    """An id no configured source fetches (the registries are off): said without asking anyone."""
    sources = chinese.settings.sources.model_copy(update={"ctgov": None, "isrctn": None})
    settings = chinese.settings.model_copy(update={"sources": sources})
    app = create_app(
        settings, Digest.open(settings, chinese.engine), Subscribers.open(settings, chinese.engine)
    )
    site = Site(settings, chinese.engine, app, app.test_client())
    assert log_in(site.client).status_code == 303
    token = CSRF.search(site.client.get("/editor/add").text).group(1)
    form = {"csrf_token": token, "reference": "ISRCTN48213570"}
    missing = site.client.post("/editor/add", data=form)
    assert missing.status_code == 404
    said = html.unescape(missing.text)
    assert "ISRCTN48213570 在数据源中未找到：数据库中没有，且没有数据源能按 isrctn 编号抓取" in said
    assert "no source fetches" not in said
    set_language(site, "en")
    english = html.unescape(site.client.post("/editor/add", data=form).text)
    assert "not found at the source: not in the database, and no source fetches isrctn ids" in (
        english
    )
