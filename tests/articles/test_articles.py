"""A full article's life on SQLite and PostgreSQL: drafted from the picked works in the seed's
structure, saved in versions, cited by id, held back by a blocking check unless overridden with
a note, published in the archive (its page between its neighbours, the index, the feed)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from etl.articles import store
from etl.articles.service import Articles
from etl.db.states import ArticleState
from etl.errors import ArticleError
from tests.articles.conftest import NOW


def _check(articles: Articles, ref: str, blocking: bool) -> None:
    """A check result on the current version, as the check panel stores it."""
    with articles.engine.begin() as conn:
        article = store.find(conn, ref)
        latest = store.version(conn, article["id"])["number"]
        report = {"summary": {"blocking": blocking}, "citations": []}
        store.set_check(conn, article["id"], report, blocking, latest, NOW)


def test_the_draft_has_the_seeds_structure_and_each_work_where_it_belongs(
    articles: Articles,
) -> None:
    article = articles.new(None, "zh", "editor", NOW)
    assert article["state"] == ArticleState.DRAFT
    assert sorted(article["work_ids"]) == [12, 15, 26, 48]
    body = articles.text(str(article["id"]))["body"]
    headings = re.findall(r"^#+ .*$", body, re.MULTILINE)
    assert [h for h in headings if h.startswith("## ")] == [
        "## 一、间充质干细胞抗癌的作用机制",
        "## 二、临床研究进展",
        "## 三、安全性与风险",
        "## 四、未来方向与展望",
    ]
    assert body.index("引言：") < body.index("## 一、") and "结论：" in body
    assert body.rstrip().endswith(articles.settings.digest.disclaimer("zh"))

    def section(title: str) -> str:
        start = body.index(title)
        end = body.find("\n## ", start + 1)
        return body[start : end if end > 0 else None]

    # each picked work's citation line, in the seed's form, in the section its labels place it
    assert "论文：《Co-delivery of doxorubicin and PVT1 siRNA" in section("## 一、")
    clinical = section("## 二、")
    assert "### 2.1、血液肿瘤" in clinical and "#### 2.1.1、急性髓系白血病" in clinical
    cited = "（《Bone Marrow Transplantation》，2026 年，DOI：10.5555/s41409-026-02711-8）"
    assert cited in clinical
    assert "临床试验：《Umbilical Cord MSCs for GVHD Prophylaxis" in clinical
    assert "ClinicalTrials.gov 注册号：NCT06218473" in clinical
    assert "表：1 项相关临床试验" in clinical
    assert "| [UC-HAPLO](https://clinicaltrials.gov" in clinical
    assert "论文：《Adverse events after intravenous umbilical cord" in section("## 三、")
    assert "患者：212 例" in section("## 三、")  # the work's facts come with it
    assert article["slug"] == f"{NOW.date().isoformat()}-{article['id']}"


def test_no_picked_works_no_draft(articles: Articles) -> None:
    with articles.engine.begin() as conn:
        from etl.editors import review

        review.act(conn, [12, 15, 48, 26], "unpick", "editor", NOW)
    with pytest.raises(ArticleError, match="no works"):
        articles.new(None, "zh", "editor", NOW)


def test_every_save_is_kept_and_an_old_version_comes_back(articles: Articles) -> None:
    ref = str(articles.new(["15"], "zh", "ana", NOW)["id"])
    first = articles.text(ref)["body"]
    edited = re.sub(r"^# .*$", "# 脐带间充质干细胞能加速植入吗？", first, count=1, flags=re.M)
    assert articles.save(ref, edited, "bo", NOW + timedelta(minutes=1)) == 2
    assert articles.save(ref, edited, "bo", NOW + timedelta(minutes=2)) == 2  # unchanged: kept once
    assert articles.find(ref)["title"] == "脐带间充质干细胞能加速植入吗？"
    assert articles.restore(ref, 1, "ana", NOW + timedelta(minutes=3)) == 3
    assert articles.text(ref)["body"] == first and articles.text(ref, 2)["body"] == edited
    listed = articles.versions(ref)
    assert [(v["number"], v["editor"]) for v in listed] == [(3, "ana"), (2, "bo"), (1, "ana")]
    assert listed[0]["note"] == "restored from version 1"


def test_a_citation_by_pmid_doi_or_trial_id_in_the_articles_form(articles: Articles) -> None:
    paper = "论文：《Co-transplantation of bone marrow mesenchymal stromal cells accelerates"
    def cite(ref: str) -> str:
        return articles.citation_line(ref, "zh", NOW, online=False)

    assert cite("41000181").startswith(paper)
    assert cite("10.5555/s41409-026-02711-8").startswith(paper)
    assert cite("NCT06218473").endswith("（ClinicalTrials.gov 注册号：NCT06218473）")
    with pytest.raises(ArticleError, match="no work 'NCT09999999': not in the database"):
        cite("NCT09999999")


def test_a_blocking_check_stops_approval_unless_an_editor_overrides_with_a_note(
    articles: Articles,
) -> None:
    ref = str(articles.new(None, "zh", "ana", NOW)["id"])
    with pytest.raises(ArticleError, match="has not been checked"):
        articles.approve(ref, "ana", NOW)
    _check(articles, ref, blocking=True)
    with pytest.raises(ArticleError, match="not found or a contradicted figure"):
        articles.approve(ref, "ana", NOW)
    with pytest.raises(ArticleError, match="publish|not approved"):
        articles.publish(ref, NOW)
    approved = articles.approve(ref, "bo", NOW, override="  数字已与作者核实（邮件 2026-12-01）  ")
    assert approved["state"] == ArticleState.APPROVED
    assert approved["override_note"] == "数字已与作者核实（邮件 2026-12-01）"
    assert approved["override_by"] == "bo" and approved["override_at"] is not None
    with pytest.raises(ArticleError, match="only a draft is edited"):
        articles.save(ref, "# changed", "bo", NOW)


def test_a_new_version_needs_a_new_check(articles: Articles) -> None:
    ref = str(articles.new(None, "zh", "ana", NOW)["id"])
    _check(articles, ref, blocking=False)
    articles.save(ref, articles.text(ref)["body"] + "\n补充一句。\n", "ana", NOW)
    with pytest.raises(ArticleError, match="version 2 has not been checked"):
        articles.approve(ref, "ana", NOW)
    _check(articles, ref, blocking=False)
    assert articles.approve(ref, "ana", NOW)["override_note"] == ""


def _published(articles: Articles, title: str, day: int) -> dict:  # type: ignore[type-arg]
    ref = str(articles.new(None, "zh", "ana", NOW)["id"])
    body = re.sub(r"^# .*$", f"# {title}", articles.text(ref)["body"], count=1, flags=re.M)
    articles.save(ref, body, "ana", NOW)
    _check(articles, ref, blocking=False)
    articles.approve(ref, "ana", NOW)
    return articles.publish(ref, NOW + timedelta(days=day))


def test_published_articles_sit_between_their_neighbours_in_the_archive(
    articles: Articles, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    first = _published(articles, "间充质干细胞能否预防移植物抗宿主病？", 1)
    middle = _published(articles, "间充质干细胞安全吗？<script>x</script>", 2)
    last = _published(articles, "外泌体能否成为药物载体？", 3)
    page = articles.archive_page(f"articles/{middle['slug']}/index.html", "/")
    assert page is not None
    assert "<h1>间充质干细胞安全吗？&lt;script&gt;x&lt;/script&gt;</h1>" in page
    assert "<script>x" not in page
    nav = page[page.index('<nav class="issues articles">') :]
    assert re.search(
        rf'<a rel="prev" href="/articles/{first["slug"]}/">« 上一篇</a> 2026年12月2日<br>'
        "间充质干细胞能否预防移植物抗宿主病？",
        nav,
    )
    assert re.search(
        rf'<a rel="next" href="/articles/{last["slug"]}/">下一篇 »</a> 2026年12月4日<br>'
        "外泌体能否成为药物载体？",
        nav,
    )
    assert "<h2>二、临床研究进展</h2>" in page and "<table>" in page
    assert page.count(articles.settings.digest.disclaimer("zh")) == 1
    first_page = articles.archive_page(f"articles/{first['slug']}/index.html", "/") or ""
    assert 'rel="prev"' not in first_page and 'rel="next"' in first_page
    index = articles.archive_page("index.html", "/") or ""
    assert index.index(last["slug"]) < index.index(middle["slug"]) < index.index(first["slug"])
    assert "专题文章" in index
    feed = articles.archive_page("feed.atom", "https://watch.example.net/") or ""
    assert f"<id>https://watch.example.net/articles/{last['slug']}/</id>" in feed
    assert articles.archive_page("en/index.html", "/").count("/articles/") == 0  # type: ignore[union-attr]
    # the folder build writes the same pages
    articles.build_archive(tmp_path / "site")
    written = (tmp_path / "site" / "articles" / middle["slug"] / "index.html").read_text("utf-8")
    assert "« 上一篇" in written and "外泌体能否成为药物载体？" in written
    assert "间充质干细胞安全吗？" in (tmp_path / "site" / "feed.atom").read_text("utf-8")


def test_a_draft_is_not_in_the_archive(articles: Articles) -> None:
    article = articles.new(None, "zh", "ana", NOW)
    assert articles.archive_page(f"articles/{article['slug']}/index.html", "/") is None
    assert article["slug"] not in (articles.archive_page("index.html", "/") or "")


def test_an_english_article_is_listed_in_the_english_archive_only(articles: Articles) -> None:
    ref = str(articles.new(["15", "NCT06218473"], "en", "ana", NOW)["id"])
    body = articles.text(ref)["body"]
    assert "## 2. Clinical progress" in body and "(ClinicalTrials.gov" in body
    body = re.sub(r"^# .*$", "# Can MSCs speed up engraftment?", body, count=1, flags=re.M)
    articles.save(ref, body, "ana", NOW)
    _check(articles, ref, blocking=False)
    articles.approve(ref, "ana", NOW)
    slug = articles.publish(ref, NOW)["slug"]
    english = articles.archive_page("en/index.html", "/") or ""
    assert f"/articles/{slug}/" in english and "Feature article" in english
    assert f"/articles/{slug}/" not in (articles.archive_page("index.html", "/") or "")
    page = articles.archive_page(f"articles/{slug}/index.html", "/") or ""
    assert '<html lang="en">' in page and "<h1>Can MSCs speed up engraftment?</h1>" in page
