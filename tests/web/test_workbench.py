"""The editor workbench in Chinese, through the test client on both databases: Chinese by
default and English by choice (kept on the editor), the queue's rows as sentences with the
abstract, facts and lead beside the decisions, the queue and the digest agreeing on what is news,
and a work added by hand through the sources (a loopback replay of PubMed and ClinicalTrials.gov).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from etl.classify.service import Classifier
from etl.clock import now
from etl.db.models import Classification, Editor
from etl.demo import CORPUS, DATA, STUDIES, STUDY_UPDATES, UPDATE_FILE
from etl.digest import store
from etl.digest.service import Digest
from etl.editors import accounts
from etl.pipeline.ingest import ingest_files
from tests.conftest import make_settings
from tests.digest.conftest import FIRST_LOAD, WEEKS, load_demo, publish
from tests.support.searches import SearchReplay
from tests.web.test_editor_pages import CSRF, PASSWORD, ROW, Site, log_in, open_site, queue_rows

CJK = re.compile(r"[\u4e00-\u9fff]")
RAW_VALUES = ("None →", "['PHASE", "RECRUITING", "ACTIVE_NOT", "'label':", "status_changed")
# Crawled a week after the last of the three issues' periods, as the demo does: what the queue
# showed by crawl time (all of it) is not what the digest calls news.
LATE = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


@pytest.fixture
def desk(db_url: str, engine: Engine, tmp_path: Path) -> Site:
    """The demo's works and an editor who never chose a language (so: Chinese)."""
    load_demo(engine, make_settings(db_url, **{"paths.var": str(tmp_path / "var")}), tmp_path)
    accounts.add(engine, "li@example.org", PASSWORD, now(), "李伟")
    site = open_site(db_url, engine, tmp_path)
    assert log_in(site.client).status_code == 303
    return site


def news_rows(site: Site, query: str = "") -> list[int]:
    return queue_rows(site, f"/editor/queue?{query.removeprefix('&')}")


def switch(site: Site, lang: str, back: str = "/editor/queue") -> None:
    token = CSRF.search(site.client.get(back).text).group(1)
    answer = site.client.post(
        "/editor/language", data={"csrf_token": token, "lang": lang, "return_to": back}
    )
    assert answer.status_code == 303 and answer.headers["Location"] == back


def test_the_pages_are_chinese_by_default_and_english_by_choice(desk: Site) -> None:
    home = desk.client.get("/editor/").text
    assert '<html lang="zh-CN">' in home
    assert "审阅队列" in home and "当前登录：<strong>李伟</strong>（li@example.org）" in home
    for path in ("/editor/queue", "/editor/add", "/editor/duplicates", "/editor/issues",
                 "/editor/briefs", "/editor/operators"):  # fmt: skip
        page = desk.client.get(path).text
        assert '<html lang="zh-CN">' in page, path
        assert 'action="/editor/language"' in page, path  # switchable from every page
        assert "退出登录" in page and "Log out" not in page, path
    switch(desk, "en")
    queue = desk.client.get("/editor/queue").text
    assert '<html lang="en">' in queue and "Review queue" in queue and "审阅队列" not in queue
    with desk.engine.connect() as conn:
        chosen = conn.execute(select(Editor.__table__.c.language)).scalar()
    assert chosen == "en"  # kept on the editor: another browser logs in to English
    other = desk.app.test_client()
    assert log_in(other).status_code == 303
    assert '<html lang="en">' in other.get("/editor/").text
    switch(desk, "zh")
    assert '<html lang="zh-CN">' in desk.client.get("/editor/").text


def test_the_login_page_is_chinese_until_a_visitor_switches(desk: Site) -> None:
    fresh = desk.app.test_client()
    page = fresh.get("/editor/login").text
    assert '<html lang="zh-CN">' in page and "编辑登录" in page and "用户名或邮箱" in page
    token = CSRF.search(page).group(1)
    answer = fresh.post(
        "/editor/language", data={"csrf_token": token, "lang": "en", "return_to": "/editor/login"}
    )
    assert answer.status_code == 303
    assert "Editor login" in fresh.get("/editor/login").text
    refused = fresh.post(
        "/editor/language", data={"csrf_token": token, "lang": "en", "return_to": "//evil.example"}
    )
    assert refused.headers["Location"] == "/editor/"  # only a page of this site


def test_queue_rows_read_as_sentences_with_abstract_facts_and_lead(desk: Site) -> None:
    page = desk.client.get("/editor/queue?since=2000-01-01&source=ctgov").text
    # the issue's own examples, in the digest's words, with full-width marks
    assert re.search(r"状态：[^<→]+ → [^<→]+（2026-11-\d\d）", page)
    assert re.search(r"入组人数 \d+ → \d+（2026-11-\d\d）", page)
    for raw in RAW_VALUES:
        assert raw not in page, raw
    assert page.count('<details class="abstract">') == len(ROW.findall(page))  # collapsed
    assert "提取的要点" in page and "申办方" in page and "拟用导语" in page
    lead = re.search(r'<span class="lead-text">([^<]+)</span>', page).group(1)
    assert CJK.search(lead) and "例" in lead
    # Each row links to its own correction form rather than carrying every label as checkboxes.
    assert 'type="checkbox" name="cancer_types"' not in page
    forms = re.findall(r'<a class="correct-link" href="([^"]+)"', page)
    assert len(forms) == len(ROW.findall(page)) > 0
    form_url = html.unescape(forms[0])
    form = desk.client.get(form_url)
    assert form.status_code == 200 and "<h1>更正标签" in form.text
    part = desk.client.get(form_url + "&part=form").text
    assert part.startswith('<form method="post"') and "<html" not in part
    for text in (form.text, part):
        assert 'type="checkbox" name="cancer_types"' in text and "<select multiple" not in text
        assert not re.search(r"<select[^>]* multiple", text)  # no multi-select box
        assert 'type="checkbox" name="strategies"' in text
        assert 'name="next" value="/editor/queue?since=2000-01-01&amp;source=ctgov#work-' in text


def test_the_queue_and_the_digest_agree_on_what_is_new(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    """The demo's state: three issues out, everything crawled after them. The old queue listed
    every work seen since the last issue's end (52 of the demo's, 15 of them already sent); now
    it lists exactly the works the next issue's build takes, by the same rule."""
    settings = make_settings(db_url, **{"paths.var": str(tmp_path / "var")})
    classifier = Classifier.from_settings(settings)
    ingest_files(engine, "pubmed", [CORPUS], LATE, classifier=classifier)
    ingest_files(engine, "ctgov", [STUDIES], LATE, classifier=classifier)
    ingest_files(engine, "pubmed", [UPDATE_FILE], LATE, classifier=classifier)
    changed = tmp_path / "changed-studies.json"
    changed.write_text(STUDY_UPDATES.read_text(encoding="utf-8"), encoding="utf-8")
    ingest_files(engine, "ctgov", [changed], LATE, classifier=classifier)
    digest = Digest.open(settings, engine)
    for start in WEEKS:
        digest.build(digest.period(start, FIRST_LOAD), LATE)
    for number in (1, 2, 3):
        publish(digest, number)
    accounts.add(engine, "li@example.org", PASSWORD, now(), "李伟")
    site = open_site(db_url, engine, tmp_path)
    assert log_in(site.client).status_code == 303

    listed = set(news_rows(site, "&relevance=all"))
    with engine.connect() as conn:
        sent = {
            item["work_id"]
            for n in (1, 2, 3)
            for item in store.issue_items(conn, store.find_issue(conn, str(n))["id"])
        }
        classified = conn.execute(select(Classification.__table__.c.work_id)).scalars().all()
    assert len(classified) > 50 and sent
    after = digest.period("2026-11-30", FIRST_LOAD)
    with engine.begin() as conn:
        events, infos = store.news(conn, after, settings.digest.late_days)
        outcome = store.build_issue(
            conn, after, digest.taxonomy, settings.digest.late_days, "skip", LATE
        )
        issue = outcome.issue
        taken = {i["work_id"] for i in store.issue_items(conn, issue["id"])} if issue else set()
        conn.rollback()
    assert listed == {event.work_id for event in events}
    assert taken <= listed  # what the next issue reports, the queue shows
    relevant = set(news_rows(site))
    assert taken == {w for w in relevant if infos[w].decision != "exclude"}
    assert not (listed & sent) - {event.work_id for event in events if event.type != "new"}
    assert len(listed) < 10  # not the 52 works the crawl touched


def test_a_work_is_added_by_its_pmid_or_nct_id_and_queued(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    efetch = DATA / "pubmed" / "efetch-2026-autumn.xml"
    studies = DATA / "ctgov" / "studies-2026-autumn.json"
    with SearchReplay.from_files([efetch], [studies], None) as server:
        accounts.add(engine, "li@example.org", PASSWORD, now(), "李伟")
        site = open_site(
            db_url,
            engine,
            tmp_path,
            **{
                "sources.pubmed.base_url": server.url,
                "sources.pubmed.requests_per_second": 1000,
                "sources.ctgov.base_url": server.ctgov_url,
                "sources.ctgov.requests_per_second": 10,
                "http.backoff": 0.01,
                "http.backoff_max": 0.02,
                "http.timeout": 2.0,
            },
        )
        assert log_in(site.client).status_code == 303
        form = site.client.get("/editor/add").text
        assert "粘贴一个 PMID、DOI 或临床试验注册号" in form
        token = CSRF.search(form).group(1)

        def add(reference: str):  # type: ignore[no-untyped-def]
            return site.client.post(
                "/editor/add", data={"csrf_token": token, "reference": reference}
            )

        empty = add("   ")
        assert empty.status_code == 400 and "请粘贴一个 PMID、DOI 或试验注册号。" in empty.text
        junk = add("abc")
        assert junk.status_code == 400 and "无法识别「abc」" in junk.text
        assert 'value="abc"' in junk.text  # what was pasted stays in the field
        title = add("Umbilical cord stromal cells for graft-versus-host disease")
        assert title.status_code == 400  # titles belong to the citation check, not here
        missing = add("NCT09999999")
        assert missing.status_code == 404 and "NCT09999999 在数据源中未找到" in missing.text
        assert "未找到：数据库中没有，ctgov 也没有" in missing.text  # where it was looked for
        assert "nor at" not in missing.text and "not in the database" not in missing.text

        paper = add("PMID: 41000052")
        assert paper.status_code == 303
        location = paper.headers["Location"]
        assert location.startswith("/editor/queue?since=") and "#work-" in location
        work = int(location.rsplit("#work-", 1)[1])
        queue = site.client.get(location.split("#")[0]).text
        assert f'id="work-{work}"' in queue and "已添加并加入队列" in queue
        assert "新论文" in queue
        trial = add("NCT06218473")
        assert trial.status_code == 303
        trial_work = int(trial.headers["Location"].rsplit("#work-", 1)[1])
        queue = site.client.get(trial.headers["Location"].split("#")[0]).text
        assert f'id="work-{trial_work}"' in queue and "新注册试验" in queue
        assert "III 期" in queue
        again = add("pmid:41000052")
        assert again.status_code == 303 and again.headers["Location"].endswith(f"#work-{work}")
        assert "已在库中" in site.client.get(again.headers["Location"].split("#")[0]).text
    with engine.connect() as conn:
        labelled = set(conn.execute(select(Classification.__table__.c.work_id)).scalars())
    assert {work, trial_work} <= labelled  # classified as a crawl would have
