"""Study pages through the web app's test client, on SQLite and PostgreSQL: one study told by a
registry, a preprint server, PubMed and a retraction notice reads as one timeline, in date
order, each step linked to where it can be checked; old addresses redirect; what is not a
relevant study has no page."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient

from etl.web import create_app
from tests.studies.conftest import NCT, Thread


@pytest.fixture
def client(thread: Thread) -> FlaskClient:
    return create_app(thread.settings, thread.digest).test_client()


class Steps(HTMLParser):
    """The timeline's steps as (kind, date, text, links) in page order."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[dict[str, object]] = []
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = (values.get("class") or "").split()
        if tag == "li" and "step" in classes:
            kind = next(c for c in classes if c != "step")
            self.steps.append({"kind": kind, "date": "", "text": "", "links": []})
            self.inside = True
        elif self.inside and tag == "time":
            self.steps[-1]["date"] = values.get("datetime") or ""
        elif self.inside and tag == "a":
            self.steps[-1]["links"].append(values.get("href"))  # type: ignore[attr-defined]

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.steps[-1]["text"] = str(self.steps[-1]["text"]) + data


def steps_of(html: str) -> list[dict[str, object]]:
    parser = Steps()
    parser.feed(html)
    return parser.steps


def test_a_paper_page_tells_the_whole_study_in_date_order(client: FlaskClient) -> None:
    answer = client.get("/studies/pmid-39000001/")
    assert answer.status_code == 200
    assert answer.content_type == "text/html; charset=utf-8"
    html = answer.get_data(as_text=True)
    steps = steps_of(html)
    kinds = [s["kind"] for s in steps]
    assert kinds == [
        "first_posted",  # the trial, on ClinicalTrials.gov
        "started",
        "preprint",  # medRxiv, through Europe PMC
        "published",  # this paper, in PubMed
        "status",  # the trial: recruiting → completed
        "results",
        "published",  # the trial's second paper
        "retraction",
        "issue",
    ]
    dates = [str(s["date"]) for s in steps]
    assert dates == sorted(dates)
    assert dates[0] == "2023-03-01" and dates[3] == "2024-11-03" and dates[-2] == "2025-09-10"
    by_kind = {str(s["kind"]): s for s in steps}
    # each step links to where a reader can check it
    assert f"https://clinicaltrials.gov/study/{NCT}" in by_kind["first_posted"]["links"]  # type: ignore[operator]
    assert f"https://clinicaltrials.gov/study/{NCT}?tab=history" in by_kind["status"]["links"]  # type: ignore[operator]
    assert f"https://clinicaltrials.gov/study/{NCT}?tab=results" in by_kind["results"]["links"]  # type: ignore[operator]
    assert "https://europepmc.org/article/PPR/PPR900001" in by_kind["preprint"]["links"]  # type: ignore[operator]
    assert "https://pubmed.ncbi.nlm.nih.gov/39000099/" in by_kind["retraction"]["links"]  # type: ignore[operator]
    assert "/issues/2025-09-22/" in by_kind["issue"]["links"]  # type: ignore[operator]
    # the trial's steps name the trial and link to its own page
    assert f"/studies/{NCT.lower()}/" in by_kind["status"]["links"]  # type: ignore[operator]
    assert "招募中 → 已完成" in str(by_kind["status"]["text"])
    assert "medRxiv" in str(by_kind["preprint"]["text"])
    assert "《Bone Marrow Transplantation》" in str(by_kind["published"]["text"])
    # the rest of the page: retraction banner, citation line, facts, labels, issues, related
    assert "该论文已被撤稿" in html
    assert "论文：《" in html and "DOI：" in html
    assert "苏州大学附属第一医院" in html  # the institution as the lead names it
    assert "急性髓系白血病" in html  # the cancer-type label, in the taxonomy's words
    assert 'href="/issues/2025-09-22/">第 1 期</a>' in html
    related = html[html.index("相关研究") :]
    for relation, href in (
        ("本文报告的试验", f"/studies/{NCT.lower()}/"),
        ("撤稿声明", "/studies/pmid-39000099/"),
        ("预印本", "/studies/doi-10.1101_2024.05.01.900001/"),
        ("同一试验的其他论文", "/studies/pmid-39000002/"),
    ):
        assert re.search(rf"{relation}</b>：<a href=\"{re.escape(href)}\"", related), relation
    assert "https://pmc.ncbi.nlm.nih.gov/articles/PMC11000001/" in html  # the free full text
    for suffix in ("ris", "bib", "json"):
        assert f'href="/studies/pmid-39000001/cite.{suffix}"' in html


def test_a_trial_page_in_english_lists_its_papers_and_its_own_changes(
    client: FlaskClient,
) -> None:
    html = client.get(f"/studies/{NCT.lower()}/en/").get_data(as_text=True)
    steps = steps_of(html)
    kinds = [s["kind"] for s in steps]
    assert kinds == [
        "first_posted", "started", "published", "status", "results", "published", "retraction",
        "issue",
    ]  # fmt: skip
    assert "Status: recruiting → completed" in html
    assert "Paper PMID 39000001" in str(steps[2]["text"])
    assert html.count("Paper reporting this trial") == 2
    assert 'lang="en"' in html and 'href="/studies/nct09000001/">中文</a>' in html


def test_a_chinese_paper_is_titled_in_chinese_and_cited_with_its_chinese_journal(
    client: FlaskClient,
) -> None:
    html = client.get("/studies/pmid-39000004/").get_data(as_text=True)
    h1 = re.search(r"<h1>(.*?)</h1>", html).group(1)  # type: ignore[union-attr]
    assert h1 == "脐带间充质干细胞治疗白血病移植后植入功能不良的临床研究"
    assert "《中华血液学杂志》" in html
    english = client.get("/studies/pmid-39000004/en/").get_data(as_text=True)
    assert "<h1>Umbilical cord mesenchymal stem cells for poor graft function" in english


def test_old_and_differently_spelt_addresses_redirect_to_the_study(
    client: FlaskClient, thread: Thread
) -> None:
    # a merged-away work's number, and the DOI that named it before the join
    for old in (f"/studies/work-{thread.merged_away}/", "/studies/doi-10.5555_mds.1/"):
        answer = client.get(old)
        assert answer.status_code == 301, old
        assert answer.headers["Location"].endswith("/studies/pmid-39000005/")
    assert client.get("/studies/pmid-39000005/").status_code == 200
    # a study's other identifiers, an id typed in capitals, the English page, a citation file
    for old, new in (
        ("/studies/pmcid-pmc11000001/", "/studies/pmid-39000001/"),
        ("/studies/NCT09000001/", "/studies/nct09000001/"),
        ("/studies/ppr900001/en/", "/studies/doi-10.1101_2024.05.01.900001/en/"),
        ("/studies/doi-10.5555_gvhd.39000001/cite.bib", "/studies/pmid-39000001/cite.bib"),
    ):
        answer = client.get(old)
        assert answer.status_code == 301, old
        assert answer.headers["Location"].endswith(new), old
        assert client.get(answer.headers["Location"]).status_code == 200


def test_what_is_not_a_relevant_study_has_no_page(client: FlaskClient) -> None:
    for path in (
        "/studies/pmid-39000006/",  # off topic: mechanosensitive channels
        "/studies/pmid-39999999/",  # nothing
        "/studies/not-a-slug/",
        "/studies/work-99999999999999999999/",
        "/studies/work-" + "9" * 5000 + "/",  # past what Python reads as an int from text
        "/studies/doi-10.1000_" + "x" * 3000 + "/",  # past the identifiers column
        "/studies/pmid-39000006/cite.ris",
        "/issues/2099-01-05/cite.ris",
    ):
        assert client.get(path).status_code == 404, path


def test_a_follow_up_in_a_later_issue_links_to_the_same_study_page(
    client: FlaskClient, thread: Thread
) -> None:
    """The paper came out in issue 1; issue 2 reports its retraction: both items lead to the
    one page that tells the story, and the page lists both issues."""
    from tests.studies.conftest import publish_issue

    article = thread.work_of("pmid", "39000001")
    publish_issue(thread.engine, 2, "2025-09-29", [article])
    for issue in ("2025-09-22", "2025-09-29"):
        html = client.get(f"/issues/{issue}/").get_data(as_text=True)
        assert '<a href="/studies/pmid-39000001/">研究档案</a>' in html, issue
        english = client.get(f"/issues/{issue}/en/").get_data(as_text=True)
        assert '<a href="/studies/pmid-39000001/en/">Study page</a>' in english, issue
    page = client.get("/studies/pmid-39000001/").get_data(as_text=True)
    assert 'href="/issues/2025-09-22/">第 1 期</a>' in page
    assert 'href="/issues/2025-09-29/">第 2 期</a>' in page
    # the issue's own citation files carry its studies
    import rispy

    cited = client.get("/issues/2025-09-22/cite.ris")
    assert cited.content_type.startswith("application/x-research-info-systems")
    titles = [r["title"] for r in rispy.loads(cited.get_data(as_text=True))]
    assert len(titles) == 2 and titles[1].startswith("Umbilical Cord MSCs for Steroid-refractory")


def test_a_deleted_record_keeps_its_page_only_if_readers_were_sent_it(
    client: FlaskClient, thread: Thread
) -> None:
    """PubMed deletes two citations: the one an issue carried keeps its page, with the
    deletion as a step of its story; the other no longer has one."""
    from etl.classify.service import Classifier
    from tests.studies.conftest import LATER, put

    deletions = [
        {"source": "pubmed", "source_id": pmid, "kind": "paper", "deleted": True,
         "identifiers": {"pmid": pmid}, "revised": "2025-09-15"}
        for pmid in ("39000001", "39000004")
    ]  # fmt: skip
    put(thread.engine, Classifier.from_settings(thread.settings), deletions, LATER)
    assert client.get("/studies/pmid-39000004/").status_code == 404
    answer = client.get("/studies/pmid-39000001/")
    assert answer.status_code == 200
    assert "deleted" in [s["kind"] for s in steps_of(answer.get_data(as_text=True))]
