"""The editor's article pages through Flask's test client, on SQLite and PostgreSQL: a draft
from the picked works, the preview with and without JavaScript's request, a citation inserted
at the cursor, versions restored, CSRF on every POST, approval held by a blocking check until
an override note, publishing onto the served archive, and the email preview."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from etl.articles.service import Articles
from etl.clock import now
from etl.editors import accounts
from tests.web.test_editor_pages import CSRF, PASSWORD, Site, log_in, open_site


@pytest.fixture
def site(articles: Articles, db_url: str, engine: Engine, tmp_path: Path) -> Site:
    li = accounts.add(engine, "li@example.org", PASSWORD, now(), "Li Wei")
    accounts.set_language(engine, li.id, "en")  # in English here; the browser walk is in Chinese
    found = open_site(
        db_url, engine, tmp_path, **{"sources.pubmed.base_url": "http://127.0.0.1:9/"}
    )
    log_in(found.client)
    return found


def token(client: FlaskClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    found = CSRF.search(page.text)
    assert found
    return found.group(1)


def new_article(site: Site) -> int:
    csrf = token(site.client, "/editor/articles")
    answer = site.client.post("/editor/articles/new", data={"csrf_token": csrf, "lang": "zh"})
    assert answer.status_code == 303
    found = re.search(r"/editor/articles/(\d+)$", answer.headers["Location"])
    assert found
    return int(found.group(1))


def test_an_editor_drafts_previews_cites_and_restores(site: Site) -> None:
    client = site.client
    listing = client.get("/editor/articles").text
    assert "4 picked work(s)" in listing
    article = new_article(site)
    page = client.get(f"/editor/articles/{article}").text
    assert "## 二、临床研究进展" in page  # the textarea holds the Markdown
    assert "<h2>二、临床研究进展</h2>" in page  # the preview shows it rendered
    csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
    base = f"/editor/articles/{article}"
    # no token, nothing done
    assert client.post(f"{base}/save", data={"body": "# x", "action": "save"}).status_code == 400
    # the script's preview, and the Preview button (nothing saved by either)
    text = "# 标题\n\n正文 <b>粗</b> **重点**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    answer = client.post(
        f"{base}/preview",
        data={"body": text},
        headers={"X-CSRFToken": csrf, "X-Requested-With": "fetch"},
    )
    assert answer.json == {
        "html": "<p>正文 &lt;b&gt;粗&lt;/b&gt; <strong>重点</strong></p>\n<table>\n<thead>\n<tr>\n"
        "<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n"
        "</tr>\n</tbody>\n</table>\n"
    }
    shown = client.post(
        f"{base}/save", data={"csrf_token": csrf, "body": text, "action": "preview"}
    ).text
    assert "preview of unsaved text" in shown and "<strong>重点</strong>" in shown
    assert "version 1" in shown
    # save, then insert a citation at the cursor (after the first paragraph)
    saved = client.post(f"{base}/save", data={"csrf_token": csrf, "body": text, "action": "save"})
    assert saved.status_code == 303
    cursor = text.index("\n\n| a")
    client.post(
        f"{base}/save",
        data={
            "csrf_token": csrf,
            "body": text,
            "action": "cite",
            "cite": "NCT06218473",
            "cursor": str(cursor),
        },
    )
    body = Articles(site.app.extensions["mscwatch"].digest).text(str(article))["body"]
    assert body.startswith("# 标题\n\n正文 <b>粗</b> **重点**\n\n临床试验：《Umbilical Cord MSCs")
    assert "（ClinicalTrials.gov 注册号：NCT06218473）\n\n| a | b |" in body
    page = client.get(base).text
    assert "inserted the citation of NCT06218473" in page and 'id="version-3"' in page
    # an id nothing holds: the text comes back unsaved, with the reason
    missing = client.post(
        f"{base}/save",
        data={"csrf_token": csrf, "body": body, "action": "cite", "cite": "pmid:99999999"},
    ).text
    # (PubMed is asked at a closed loopback port: the reason is shown, nothing is saved)
    assert "pmid:99999999: pubmed" in missing and 'id="version-4"' not in missing
    # restore version 1: saved again as version 4
    client.post(f"{base}/restore", data={"csrf_token": csrf, "version": "1"})
    restored = Articles(site.app.extensions["mscwatch"].digest).text(str(article))
    assert restored["number"] == 4 and "## 二、临床研究进展" in restored["body"]


def test_approval_waits_for_the_check_or_a_kept_note_then_the_article_is_served(
    site: Site,
) -> None:
    client = site.client
    article = new_article(site)
    base = f"/editor/articles/{article}"
    service = Articles(site.app.extensions["mscwatch"].digest)
    csrf = token(client, base)
    assert "Run the check on this version before approving" in client.get(base).text
    body = service.text(str(article))["body"]
    service.save(str(article), body.replace("58 例血液肿瘤患者", "85 例血液肿瘤患者"), "li", now())
    client.post(f"{base}/check", data={"csrf_token": csrf})
    page = client.get(base).text
    assert "reports a citation not found or a contradicted figure" in page
    refused = client.post(f"{base}/approve", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "cannot be approved" in refused.text
    client.post(f"{base}/approve", data={"csrf_token": csrf, "override": "作者已确认原始数据"})
    page = client.get(base).text
    assert "Approved despite its check by li@example.org" in page and "作者已确认原始数据" in page
    client.post(f"{base}/publish", data={"csrf_token": csrf})
    slug = service.find(str(article))["slug"]
    public = client.get(f"/articles/{slug}/")
    assert public.status_code == 200 and "<h2>二、临床研究进展</h2>" in public.text
    assert f'href="/articles/{slug}/"' in client.get("/").text
    assert f"/articles/{slug}/" in client.get("/feed.atom").text
    mail = client.get(f"{base}/email")
    assert "sandbox" in mail.headers["Content-Security-Policy"]
    assert "二、临床研究进展" in mail.text and "%%UNSUBSCRIBE_URL%%" in mail.text


def test_article_pages_need_a_login(site: Site) -> None:
    site.client.post("/editor/logout", data={"csrf_token": token(site.client, "/editor/")})
    assert site.client.get("/editor/articles").status_code == 302
    assert site.client.get("/editor/articles/1").status_code == 302


def test_a_chinese_editor_reads_the_pages_flashes_and_refusals_in_chinese(site: Site) -> None:
    """The workbench's default language: the same pages, every word from the editor catalog,
    refusals in Chinese with full-width marks; the check's JSON names stay on the marks."""
    client = site.client
    li = accounts.find(site.engine, "li@example.org")
    assert li is not None
    accounts.set_language(site.engine, li.id, "zh")
    listing = client.get("/editor/articles").text
    assert "已选入 4 项研究" in listing and "用选入的研究新建文章" in listing
    article = new_article(site)
    base = f"/editor/articles/{article}"
    page = client.get(base).text
    assert "已由 4 项选入的研究生成文章" in page and "请先核查此版本，再批准。" in page
    assert "由选入的研究生成" in page and "插入引文" in page and "引文与数据核查" in page
    csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
    service = Articles(site.app.extensions["mscwatch"].digest)
    body = service.text(str(article))["body"]
    service.save(str(article), body.replace("58 例血液肿瘤患者", "85 例血液肿瘤患者"), "li", now())
    client.post(f"{base}/check", data={"csrf_token": csrf})
    page = client.get(base).text
    assert 'id="check-outcome" data-outcome="blocking">未通过' in page
    assert "有问题，暂不能批准" in page and "与原文矛盾（记录为 58 例）" in page
    assert 'class="citation-found" data-verdict="found">已核实' in page
    refused = client.post(f"{base}/approve", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert f"文章 {article} 不能批准：核查发现未找到的引文或与原文矛盾的数据" in refused.text
    assert "请修改正文后重新核查" in refused.text and "cannot be approved" not in refused.text
    early = client.post(f"{base}/publish", data={"csrf_token": csrf})
    assert early.status_code == 409 and f"文章 {article} 当前为「草稿」，尚未批准" in early.text
    client.post(f"{base}/approve", data={"csrf_token": csrf, "override": "作者已确认原始数据"})
    page = client.get(base).text
    assert "（核查未通过，放行理由已记录）" in page
    assert "核查未通过，li@example.org 仍予批准" in page
    assert 'id="state">已批准<' in page
    # the same page in English, by the editor's choice
    accounts.set_language(site.engine, li.id, "en")
    assert 'id="state">approved<' in client.get(base).text


def published(service: Articles, title: str) -> dict:  # type: ignore[type-arg]
    """An article published with this headline, its check a clear one as the page shows it."""
    from etl.articles import store

    ref = str(service.new(None, "zh", "li", now())["id"])
    body = re.sub(r"^# .*$", f"# {title}", service.text(ref)["body"], count=1, flags=re.M)
    service.save(ref, body, "li", now())
    summary = {"citations": 0, "verdicts": {}, "figures": {}, "blocking": False}
    report = {"summary": summary, "citations": [], "errors": []}
    with service.engine.begin() as conn:
        number = store.version(conn, int(ref))["number"]
        store.set_check(conn, int(ref), report, False, number, now())
    service.approve(ref, "li", now())
    return service.publish(ref, now())


def test_an_editor_withdraws_a_published_article_with_a_reason_readers_then_see(
    site: Site,
) -> None:
    """The button on the editor page (CSRF, a reason required), the flash saying mail already
    sent stays sent, the address answering 410 with the notice, the index no longer listing
    it, and the page offering to approve it again."""
    from etl.web.app import ARCHIVE_CACHE
    from tests.studies.test_kept_pages import _later

    client = site.client
    service = Articles(site.app.extensions["mscwatch"].digest)
    article = published(service, "间充质干细胞安全吗？")
    base, public = f"/editor/articles/{article['id']}", f"/articles/{article['slug']}/"
    page = client.get(base).text
    assert 'id="withdraw"' in page and "Mail already sent cannot be recalled" in page
    csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
    shown = client.get(public)
    assert shown.status_code == 200 and f'href="{public}"' in client.get("/").text
    index_etag = client.get("/").headers["ETag"]
    # no token, nothing done; no reason, refused and nothing done
    assert client.post(f"{base}/withdraw", data={"note": "x"}).status_code == 400
    refused = client.post(f"{base}/withdraw", data={"csrf_token": csrf, "note": " "})
    assert refused.status_code == 409 and "a withdrawal needs a reason" in refused.text
    assert service.find(str(article["id"]))["state"] == "published"

    done = client.post(f"{base}/withdraw", data={"csrf_token": csrf, "note": "所引论文已被撤稿"})
    assert done.status_code == 303
    page = client.get(base).text
    assert f"article {article['id']} withdrawn: {public} now shows the notice" in page
    assert "it was not mailed to readers" in page
    assert 'id="state">withdrawn<' in page and "Withdrawn by li@example.org on" in page
    assert "所引论文已被撤稿" in page and 'id="approve"' in page and 'id="withdraw"' not in page
    _later(site.app, ARCHIVE_CACHE)
    gone = client.get(public)
    assert gone.status_code == 410
    assert "<h1>已撤回：间充质干细胞安全吗？</h1>" in gone.text
    assert "撤回原因：所引论文已被撤稿" in gone.text and "二、临床研究进展" not in gone.text
    assert client.get(public).status_code == 410  # the kept page keeps its status
    index = client.get("/", headers={"If-None-Match": index_etag})
    assert index.status_code == 200 and public not in index.text
    assert public not in client.get("/feed.atom").text
    again = client.post(f"{base}/withdraw", data={"csrf_token": csrf, "note": "again"})
    assert again.status_code == 409 and "is withdrawn, not published" in again.text


def test_a_chinese_editor_withdraws_in_chinese(site: Site) -> None:
    li = accounts.find(site.engine, "li@example.org")
    assert li is not None
    accounts.set_language(site.engine, li.id, "zh")
    client = site.client
    service = Articles(site.app.extensions["mscwatch"].digest)
    draft = new_article(site)
    csrf = token(client, f"/editor/articles/{draft}")
    early = client.post(
        f"/editor/articles/{draft}/withdraw", data={"csrf_token": csrf, "note": "x"}
    )
    assert early.status_code == 409
    assert f"文章 {draft} 当前为「草稿」，尚未发布" in early.text
    assert "只有已发布的文章可以撤回" in early.text
    article = published(service, "间充质干细胞安全吗？")
    base = f"/editor/articles/{article['id']}"
    page = client.get(base).text
    assert "撤回原因（读者可见）" in page and "已发出的邮件无法收回" in page
    empty = client.post(f"{base}/withdraw", data={"csrf_token": csrf, "note": ""})
    assert empty.status_code == 409 and "撤回文章须填写原因" in empty.text
    client.post(f"{base}/withdraw", data={"csrf_token": csrf, "note": "误发"})
    page = client.get(base).text
    assert f"文章 {article['id']} 已撤回：/articles/{article['slug']}/ 现显示撤回说明" in page
    assert "本文未曾通过邮件发送" in page and 'id="state">已撤回<' in page
    assert "于" in page and "撤回本文，原因：误发" in page


def test_a_feature_mail_the_guards_refuse_says_why_in_chinese(
    articles: Articles, db_url: str, engine: Engine, tmp_path: Path
) -> None:
    """The issue's guards on the feature's mail, worded from their facts (the archive here is on
    a host with no dot, so every link to it is refused); the CLI's English is the error's text."""
    article = published(articles, "间充质干细胞与移植物抗宿主病")
    accounts.add(engine, "wang@example.org", PASSWORD, now(), "王芳")
    broken = open_site(db_url, engine, tmp_path, **{"archive.base_url": "https://archive/"})
    assert log_in(broken.client, "wang@example.org").status_code == 303
    url = f"/editor/articles/{article['id']}"
    refused = broken.client.post(f"{url}/send", data={"csrf_token": token(broken.client, url)})
    assert refused.status_code == 409
    said = html.unescape(refused.text)
    assert "中文版：链接“https://archive/" in said and "缺少有效的主机名" in said
    assert "no proper host name" not in said and "zh edition" not in said
