"""A published article taken back, on SQLite and PostgreSQL: it leaves the index, the feed and
its neighbours' links, its address answers 410 Gone with when and why (served and built), a
draft or an unknown article is refused with a message naming why, the command says that mail
already sent stays sent, and the article can be published again (dated anew)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from etl.articles.service import Articles
from etl.db.states import ArticleState
from etl.errors import ArticleError
from etl.mail.transport import SmtpTransport, parse_smtp_url
from tests.articles.conftest import NOW
from tests.articles.test_articles import _check, _published
from tests.conftest import CONFIG
from tests.mail.conftest import add_readers
from tests.support.smtp import SmtpServer
from tests.test_cli import run

LATER = NOW + timedelta(days=5)  # 2026-12-06
REASON = "所引论文已被撤稿"


def _path(article: dict) -> str:  # type: ignore[type-arg]
    return f"articles/{article['slug']}/index.html"


def test_a_withdrawn_article_leaves_the_archive_and_its_address_says_when_and_why(
    articles: Articles, tmp_path: Path
) -> None:
    first = _published(articles, "间充质干细胞能否预防移植物抗宿主病？", 1)
    middle = _published(articles, "间充质干细胞安全吗？", 2)
    last = _published(articles, "外泌体能否成为药物载体？", 3)
    assert articles.archive_answer(_path(middle), "/") == (
        articles.archive_page(_path(middle), "/"),
        200,
    )
    done = articles.withdraw(middle["slug"], "ana", f"  {REASON}  ", LATER)
    assert done["state"] == ArticleState.WITHDRAWN
    assert (done["withdrawn_by"], done["withdrawn_at"], done["withdrawal_note"]) == (
        "ana",
        LATER,
        REASON,
    )
    assert done["published_at"] == middle["published_at"]  # when it was out: kept

    answer = articles.archive_answer(_path(middle), "/")
    assert answer is not None
    notice, status = answer
    assert status == 410
    assert "<h1>已撤回：间充质干细胞安全吗？</h1>" in notice
    assert "本文发布于 2026年12月3日，已于 2026年12月6日 撤回。" in notice
    assert f"撤回原因：{REASON}" in notice
    assert "二、临床研究进展" not in notice  # the text is gone, not only hidden
    # the neighbours now link to each other
    before = articles.archive_page(_path(first), "/") or ""
    assert re.search(rf'<a rel="next" href="/articles/{last["slug"]}/">', before)
    after = articles.archive_page(_path(last), "/") or ""
    assert re.search(rf'<a rel="prev" href="/articles/{first["slug"]}/">', after)
    assert middle["slug"] not in before + after
    index = articles.archive_page("index.html", "/") or ""
    assert first["slug"] in index and middle["slug"] not in index
    feed = articles.archive_page("feed.atom", "https://watch.example.net/") or ""
    assert last["slug"] in feed and middle["slug"] not in feed
    # other pages are not gone
    assert articles.archive_answer(_path(first), "/") == (before, 200)
    assert articles.archive_answer("nothing/here.html", "/") is None

    # the folder build writes the notice at the article's address
    site = tmp_path / "site"
    articles.build_archive(site)
    written = (site / "articles" / middle["slug"] / "index.html").read_text("utf-8")
    assert f"撤回原因：{REASON}" in written and "二、临床研究进展" not in written
    assert middle["slug"] not in (site / "index.html").read_text("utf-8")
    assert middle["slug"] not in (site / "feed.atom").read_text("utf-8")


def test_an_english_article_is_withdrawn_in_english(articles: Articles) -> None:
    ref = str(articles.new(["15"], "en", "ana", NOW)["id"])
    body = re.sub(r"^# .*$", "# Can MSCs speed up engraftment?", articles.text(ref)["body"],
                  count=1, flags=re.M)  # fmt: skip
    articles.save(ref, body, "ana", NOW)
    _check(articles, ref, blocking=False)
    articles.approve(ref, "ana", NOW)
    article = articles.publish(ref, NOW)
    articles.withdraw(ref, "ana", "Published by mistake <b>sorry</b>", LATER)
    notice, status = articles.archive_answer(_path(article), "/") or ("", 0)
    assert status == 410 and '<html lang="en">' in notice
    assert "<h1>Withdrawn: Can MSCs speed up engraftment?</h1>" in notice
    assert "This article, published 1 December 2026, was withdrawn on 6 December 2026." in notice
    assert "Reason: Published by mistake &lt;b&gt;sorry&lt;/b&gt;" in notice
    assert article["slug"] not in (articles.archive_page("en/index.html", "/") or "")


def test_only_a_published_article_is_withdrawn_and_only_with_a_reason(
    articles: Articles,
) -> None:
    draft = articles.new(None, "zh", "ana", NOW)
    with pytest.raises(ArticleError, match=rf"^article {draft['id']} is draft, not published$"):
        articles.withdraw(str(draft["id"]), "ana", REASON, LATER)
    with pytest.raises(ArticleError, match="no article 'nope'") as unknown:
        articles.withdraw("nope", "ana", REASON, LATER)
    assert f"known articles: {draft['id']}" in unknown.value.hint
    published = _published(articles, "间充质干细胞安全吗？", 1)
    with pytest.raises(ArticleError, match="a withdrawal needs a reason"):
        articles.withdraw(published["slug"], "ana", "   ", LATER)
    assert articles.find(published["slug"])["state"] == ArticleState.PUBLISHED
    articles.withdraw(published["slug"], "ana", REASON, LATER)
    with pytest.raises(ArticleError, match="is withdrawn, not published"):
        articles.withdraw(published["slug"], "li", "again", LATER)
    assert articles.find(published["slug"])["withdrawn_by"] == "ana"  # the first is kept


def test_a_withdrawn_article_is_published_again_as_it_stands_or_after_an_edit(
    articles: Articles,
) -> None:
    article = _published(articles, "间充质干细胞安全吗？", 1)
    ref = str(article["id"])
    articles.withdraw(ref, "ana", "误发", LATER)
    # as it stands: approved again (its check still holds) and published, dated anew
    articles.approve(ref, "li", LATER)
    again = articles.publish(ref, LATER + timedelta(days=1))
    assert again["state"] == ArticleState.PUBLISHED
    assert again["published_at"] == LATER + timedelta(days=1)
    assert again["withdrawal_note"] == "误发"  # the record stays
    page, status = articles.archive_answer(_path(article), "/") or ("", 0)
    assert status == 200 and "<h1>间充质干细胞安全吗？</h1>" in page
    assert "2026年12月7日" in page
    assert article["slug"] in (articles.archive_page("index.html", "/") or "")

    # withdrawn again and edited: a draft again, still gone to readers until published
    articles.withdraw(ref, "ana", "所引论文已被撤稿", LATER + timedelta(days=2))
    title = "# 间充质干细胞安全吗？"
    body = articles.text(ref)["body"].replace(title, f"{title}（修订）")
    articles.save(ref, body, "ana", LATER)
    assert articles.find(ref)["state"] == ArticleState.DRAFT
    gone = articles.archive_answer(_path(article), "/") or ("", 0)
    assert gone[1] == 410 and "所引论文已被撤稿" in gone[0]
    with pytest.raises(ArticleError, match="has not been checked"):
        articles.approve(ref, "li", LATER)
    _check(articles, ref, blocking=False)
    articles.approve(ref, "li", LATER)
    articles.publish(ref, LATER + timedelta(days=3))
    page, status = articles.archive_answer(_path(article), "/") or ("", 0)
    assert status == 200 and "（修订）" in page


def test_the_command_withdraws_says_mail_stays_sent_and_lists_the_withdrawal(
    articles: Articles, db_url: str, tmp_path: Path
) -> None:
    shutil.copytree(CONFIG, tmp_path / "work" / "config")

    def _cli(*args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        return run("article", *args, cwd=tmp_path / "work", env={"DATABASE_URL": db_url})

    add_readers(articles.engine, ["li@example.net", "wang@example.net"], "zh")
    mailed = _published(articles, "间充质干细胞安全吗？", 1)
    quiet = _published(articles, "外泌体能否成为药物载体？", 2)
    with SmtpServer() as server:
        relay = SmtpTransport(parse_smtp_url(server.url), timeout=5)
        articles.send(str(mailed["id"]), relay, lambda: NOW)
        server.wait_for(2)

    result = _cli("withdraw", mailed["slug"], "--note", REASON, "--by", "ana")
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert f"article {mailed['id']} withdrawn by ana" in out
    assert f"articles/{mailed['slug']}/ now answers 410 Gone" in out
    assert "mailed to 2 reader(s): mail already sent cannot be recalled" in out
    result = _cli("withdraw", str(quiet["id"]), "--note", "误发")
    assert result.returncode == 0
    assert "it was not mailed to readers" in " ".join(result.stdout.split())

    after = json.loads(_cli("list", "--json").stdout)
    row = next(r for r in after if r["id"] == mailed["id"])
    assert row["state"] == "withdrawn" and row["withdrawn_by"] == "ana"
    assert row["withdrawal_note"] == REASON and row["withdrawn_at"]
    # fields are only added: every earlier one keeps its name
    earlier = {"id", "slug", "state", "lang", "title", "check_blocking", "override_note",
               "published_at"}  # fmt: skip
    assert all(earlier < set(r) for r in after)

    draft = articles.new(None, "zh", "ana", NOW)
    refused = _cli("withdraw", str(draft["id"]), "--note", REASON)
    assert refused.returncode == 1
    assert refused.stderr == (
        f"error: article {draft['id']} is draft, not published\n"
        "hint: only a published article is withdrawn\n"
    )
    unknown = _cli("withdraw", "2026-01-01-999", "--note", REASON)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("error: no article '2026-01-01-999'\nhint: known articles:")
    missing = _cli("withdraw", mailed["slug"])
    assert missing.returncode == 2 and "--note" in missing.stderr  # the reason is required
