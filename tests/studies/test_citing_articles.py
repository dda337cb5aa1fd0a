"""A study page lists the published articles that cite the study, on SQLite and PostgreSQL:
what an article cites is what its last check resolved (a check that drops a citation drops
the article from that study's page), a draft or an approved article is not listed, the page's
language comes first, the static archive writes the same, the article's page links back to
the studies it cites, and a kept study page changes its ETag when an article is published or
withdrawn."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text

from etl.articles import store
from etl.articles.service import Articles
from etl.db.models import ArticleWork
from etl.studies.service import Studies
from etl.web import create_app
from etl.web.app import ARCHIVE_CACHE, STUDY_CACHE
from tests.studies.conftest import LATER, NCT, Thread
from tests.studies.test_kept_pages import _later

WHEN = LATER + timedelta(days=30)
FOLLOW_UP = "39000002"  # carried by no issue: its static page is there for the article alone
ZH_TITLE = "脐带间充质干细胞治疗 GVHD：长期随访说了什么？"
EN_TITLE = "Cord MSCs for GVHD: the long view"


def _body(title: str, *cites: str) -> str:
    lines = [f"# {title}", "", "脐带间充质干细胞治疗急性 GVHD 的长期随访已经发表。", ""]
    return "\n".join(lines + [f"详见 {cite}。\n" for cite in cites])


def _written(articles: Articles, title: str, lang: str, *cites: str) -> str:
    """A draft with this text, checked against the database (no source is asked)."""
    ref = str(articles.new([f"pmid:{FOLLOW_UP}"], lang, "ana", WHEN)["id"])
    articles.save(ref, _body(title, *cites), "ana", WHEN)
    articles.check(ref, WHEN, online=False)
    return ref


def _page(thread: Thread, slug: str, lang: str = "zh") -> str:
    answer = Studies(thread.digest).page(slug, lang, "/")
    assert answer.status == 200, slug
    return answer.body


def _cited(articles: Articles, ref: str) -> list[int]:
    table = ArticleWork.__table__
    with articles.engine.connect() as conn:
        query = select(table.c.work_id).where(table.c.article_id == int(ref))
        return list(conn.execute(query.order_by(table.c.position)).scalars())


def test_a_published_article_is_listed_on_the_pages_of_the_studies_it_cites(
    thread: Thread, tmp_path: Path
) -> None:
    articles = Articles(thread.digest)
    ref = _written(articles, ZH_TITLE, "zh", f"PMID {FOLLOW_UP}", NCT)
    follow_up, trial = thread.work_of("pmid", FOLLOW_UP), thread.work_of("nct", NCT)
    assert _cited(articles, ref) == [follow_up, trial]
    assert ZH_TITLE not in _page(thread, f"pmid-{FOLLOW_UP}")  # a checked draft: not yet
    articles.approve(ref, "ana", WHEN)
    assert ZH_TITLE not in _page(thread, f"pmid-{FOLLOW_UP}")  # approved: still not
    slug = articles.publish(ref, WHEN)["slug"]

    for study in (f"pmid-{FOLLOW_UP}", NCT.lower()):
        page = _page(thread, study)
        assert "<h2>本刊文章</h2>" in page, study
        assert f'<time>2025年10月20日</time>：<a href="/articles/{slug}/">{ZH_TITLE}</a>' in page
        english = _page(thread, study, "en")
        assert "<h2>Our articles citing it</h2>" in english, study
        assert (
            f'<time>20 October 2025</time>: <a href="/articles/{slug}/">{ZH_TITLE}</a>'
            " (in Chinese)</li>" in english
        )
    # a study the article does not cite lists nothing
    assert "本刊文章" not in _page(thread, "pmid-39000001")

    # an English article citing the same paper: first on the English page, labelled on the
    # Chinese one, where the Chinese article comes first
    other = _written(articles, EN_TITLE, "en", f"PMID {FOLLOW_UP}")
    articles.approve(other, "ana", WHEN)
    other_slug = articles.publish(other, WHEN + timedelta(days=1))["slug"]
    chinese = _page(thread, f"pmid-{FOLLOW_UP}")
    assert chinese.index(ZH_TITLE) < chinese.index(EN_TITLE)
    assert f'<a href="/articles/{other_slug}/">{EN_TITLE}</a>（英文）</li>' in chinese
    english = _page(thread, f"pmid-{FOLLOW_UP}", "en")
    assert english.index(EN_TITLE) < english.index(ZH_TITLE)
    assert f"{EN_TITLE}</a></li>" in english  # its own language: no label

    # the article's page links to the studies it cites, in the order it cites them
    article_page = articles.archive_page(f"articles/{slug}/index.html", "/") or ""
    listed = article_page[article_page.index("<h2>本文引用的研究</h2>") :]
    links = re.findall(r'<li><a href="([^"]+)">', listed)
    assert links == [f"/studies/pmid-{FOLLOW_UP}/", f"/studies/{NCT.lower()}/"]
    assert "Long-term follow-up of umbilical cord" in listed

    # the static archive writes the same: the follow-up's page too, which no issue carried
    site = tmp_path / "site"
    articles.build_archive(site)
    base = thread.settings.archive.base_url
    written = (site / "studies" / f"pmid-{FOLLOW_UP}" / "index.html").read_text("utf-8")
    assert f'<a href="{base}articles/{slug}/">{ZH_TITLE}</a>' in written
    assert f"{EN_TITLE}</a>（英文）" in written
    english_file = site / "studies" / f"pmid-{FOLLOW_UP}" / "en" / "index.html"
    assert f'<a href="{base}articles/{other_slug}/">{EN_TITLE}</a></li>' in english_file.read_text(
        "utf-8"
    )
    static_article = (site / "articles" / slug / "index.html").read_text("utf-8")
    assert f'href="{base}studies/pmid-{FOLLOW_UP}/"' in static_article


def test_a_second_check_that_drops_a_citation_drops_the_article_from_that_study(
    thread: Thread,
) -> None:
    articles = Articles(thread.digest)
    ref = _written(articles, ZH_TITLE, "zh", f"PMID {FOLLOW_UP}", NCT)
    articles.approve(ref, "ana", WHEN)
    articles.unapprove(ref, WHEN)  # back to the text: the trial is cut
    articles.save(ref, _body(ZH_TITLE, f"PMID {FOLLOW_UP}"), "ana", WHEN)
    assert _cited(articles, ref) == [thread.work_of("pmid", FOLLOW_UP), thread.work_of("nct", NCT)]
    articles.check(ref, WHEN, online=False)
    assert _cited(articles, ref) == [thread.work_of("pmid", FOLLOW_UP)]
    articles.approve(ref, "ana", WHEN)
    articles.publish(ref, WHEN)
    assert ZH_TITLE in _page(thread, f"pmid-{FOLLOW_UP}")
    assert ZH_TITLE not in _page(thread, NCT.lower())


def test_an_article_citing_a_work_since_merged_is_listed_on_the_kept_works_page(
    thread: Thread,
) -> None:
    """The check resolved the citation before the merge: the kept work's page lists it."""
    articles = Articles(thread.digest)
    ref = str(articles.new([f"pmid:{FOLLOW_UP}"], "zh", "ana", WHEN)["id"])
    articles.save(ref, _body(ZH_TITLE), "ana", WHEN)
    report = {"citations": [{"verdict": "found", "work_id": thread.merged_away}]}
    with articles.engine.begin() as conn:
        number = store.version(conn, int(ref))["number"]
        store.set_check(conn, int(ref), report, False, number, WHEN)
    articles.approve(ref, "ana", WHEN)
    slug = articles.publish(ref, WHEN)["slug"]
    assert f'<a href="/articles/{slug}/">{ZH_TITLE}</a>' in _page(thread, "pmid-39000005")


def test_the_kept_study_page_changes_its_etag_when_an_article_citing_it_is_published_or_withdrawn(
    sqlite_thread: Thread,
) -> None:
    app = create_app(sqlite_thread.settings, sqlite_thread.digest)
    client = app.test_client()
    path = f"/studies/pmid-{FOLLOW_UP}/"
    first = client.get(path)
    assert first.status_code == 200 and ZH_TITLE not in first.text
    etag = first.headers["ETag"]
    index_etag = client.get("/").headers["ETag"]
    articles = Articles(sqlite_thread.digest)
    ref = _written(articles, ZH_TITLE, "zh", f"PMID {FOLLOW_UP}")
    articles.approve(ref, "ana", WHEN)
    _later(app, STUDY_CACHE)
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304  # unpublished
    slug = articles.publish(ref, WHEN)["slug"]
    _later(app, STUDY_CACHE)
    _later(app, ARCHIVE_CACHE)
    published = client.get(path, headers={"If-None-Match": etag})
    assert published.status_code == 200 and published.headers["ETag"] != etag
    assert f'<a href="/articles/{slug}/">{ZH_TITLE}</a>' in published.text
    index = client.get("/", headers={"If-None-Match": index_etag})  # the archive's index too
    assert index.status_code == 200 and f"/articles/{slug}/" in index.text
    # Withdrawn: the study page no longer lists it (its ETag is the one from before), the
    # index drops it, and the article's address answers 410 with the reason.
    article_etag = client.get(f"/articles/{slug}/").headers["ETag"]
    index_etag = index.headers["ETag"]
    articles.withdraw(ref, "ana", "所引论文已被撤稿", WHEN)
    with sqlite_thread.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM article_works")).scalar() == 1
    _later(app, STUDY_CACHE)
    _later(app, ARCHIVE_CACHE)
    gone = client.get(path, headers={"If-None-Match": published.headers["ETag"]})
    assert gone.status_code == 200 and ZH_TITLE not in gone.text
    assert gone.headers["ETag"] == etag
    index = client.get("/", headers={"If-None-Match": index_etag})
    assert index.status_code == 200 and f"/articles/{slug}/" not in index.text
    notice = client.get(f"/articles/{slug}/", headers={"If-None-Match": article_etag})
    assert notice.status_code == 410 and notice.headers["ETag"] != article_etag
    assert "撤回原因：所引论文已被撤稿" in notice.text
    # published again (dated anew): listed again
    articles.approve(ref, "ana", WHEN)
    articles.publish(ref, WHEN + timedelta(days=2))
    _later(app, STUDY_CACHE)
    back = client.get(path, headers={"If-None-Match": etag})
    assert back.status_code == 200 and "2025年10月22日" in back.text
