"""`mscwatch sources check`: each source's configured query asked once against the loopback
replay servers, the answer read by the crawl's own request and parse code, nothing stored."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from etl.demo import DATA
from etl.errors import ConfigError
from etl.replay import Corpus, ReplayServer, StudyCorpus
from etl.replay.europepmc import EuropePmcServer, PaperCorpus
from etl.replay.feeds import FeedServer
from etl.settings import Settings
from etl.sources.base import CheckResult
from etl.sources.check import check_names, check_sources
from etl.sources.pubmed.eutils import QueryRejected, check_esearch
from tests.conftest import CONFIG, SAMPLES, make_settings
from tests.test_cli import run

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
SINCE = date(2026, 10, 25)  # NOW minus the 30 recent days
STUDIES = DATA / "ctgov" / "studies-2026-autumn.json"
EPMC_PAGE = SAMPLES / "europepmc" / "pyeuropepmc-search_1000results_cancer.json"
IJSEM = SAMPLES / "feeds" / "biorss-microbiologyresearch-ijsem.xml"
ZOOL = SAMPLES / "feeds" / "biorss-oup-zoolinnean.xml"
FAST = {"http.attempts": 2, "http.backoff": 0.01, "http.backoff_max": 0.02, "http.timeout": 2.0}


@pytest.fixture
def corpus() -> Corpus:
    return Corpus.synthetic(230, date(2026, 9, 1), date(2026, 11, 20))


@pytest.fixture
def studies() -> StudyCorpus:
    return StudyCorpus.from_paths([STUDIES])


@pytest.fixture
def replay(corpus: Corpus, studies: StudyCorpus) -> Iterator[ReplayServer]:
    with ReplayServer(corpus, studies=studies) as server:
        yield server


@pytest.fixture
def papers() -> PaperCorpus:
    """The recorded Europe PMC page, with one of its preprints moved to the top."""
    results = json.loads(EPMC_PAGE.read_bytes())["resultList"]["result"]
    preprint = next(r for r in results if r["source"] == "PPR")
    return PaperCorpus([preprint, *(r for r in results if r is not preprint)])


@pytest.fixture
def europepmc(papers: PaperCorpus) -> Iterator[EuropePmcServer]:
    with EuropePmcServer(papers) as server:
        yield server


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def settings_for(replay: ReplayServer, db_url: str = "sqlite:///:memory:", **kw: Any) -> Settings:
    return make_settings(db_url, **{
        "sources.pubmed.base_url": replay.url, "sources.pubmed.requests_per_second": 1000,
        "sources.ctgov.base_url": replay.ctgov_url, "sources.ctgov.requests_per_second": 10,
        **FAST, **kw,
    })  # fmt: skip


def check_one(settings: Settings, name: str, show: int = 5) -> CheckResult:
    (result,) = check_sources(settings, [name], NOW, show)
    return result


# --- PubMed


def test_pubmed_counts_all_and_recent_hits_and_shows_the_first_titles(
    replay: ReplayServer, corpus: Corpus
) -> None:
    result = check_one(settings_for(replay), "pubmed", show=3)
    assert result.ok, result.error
    assert result.hits == 230 and result.recent_days == 30
    assert result.hits_recent == len(corpus.search(crdt=(SINCE, NOW.date()))) > 0
    assert [example.id for example in result.examples] == corpus.pmids()[:3]
    first = result.examples[0]
    assert first.title.endswith(f"({first.id}).") and first.date == "2026-11-20"
    searches = [r.params for r in replay.requests if r.path == "/esearch.fcgi"]
    assert '("2026/10/25"[crdt] : "2026/11/24"[crdt])' in searches[1]["term"]
    assert "[crdt]" not in searches[0]["term"] and searches[1]["retmax"] == "0"
    (fetch,) = [r.params for r in replay.requests if r.path == "/efetch.fcgi"]
    assert fetch["id"] == ",".join(corpus.pmids()[:3])


def test_pubmed_phrase_not_found_fails_with_what_pubmed_said(replay: ReplayServer) -> None:
    replay.phrase_not_found = {"MSCs[tiab]"}
    result = check_one(settings_for(replay), "pubmed")
    assert not result.ok and result.hits is None
    assert result.error == "PubMed rejected the query: PhraseNotFound 'MSCs[tiab]'"
    assert result.notes[0].startswith("QueryTranslation: (") and "MSCs[tiab]" in result.notes[0]
    assert "sources.pubmed.query" in result.hint
    assert not [r for r in replay.requests if r.path == "/efetch.fcgi"]


def test_pubmed_html_page_is_a_failure_never_zero_hits(replay: ReplayServer) -> None:
    replay.faults.queue("html", times=2)
    result = check_one(settings_for(replay), "pubmed")
    assert not result.ok and result.hits is None
    assert "esearch failed after 2 tries" in (result.error or "")
    assert "an HTML page instead of E-utilities XML" in (result.error or "")


@pytest.mark.parametrize("name", ["klortho-esearch.error.xml", "klortho-esearch.error.json"])
def test_esearch_keeps_the_translation_of_a_rejected_query(name: str) -> None:
    answer = httpx.Response(200, content=(SAMPLES / "pubmed-esearch" / name).read_bytes())
    with pytest.raises(QueryRejected) as caught:
        check_esearch(answer)
    assert caught.value.problems == ["PhraseNotFound 'fleegle[MeSH Terms]'"]
    assert caught.value.translation == '"obstetrics"[MeSH Terms]'


# --- ClinicalTrials.gov


def test_ctgov_counts_and_shows_the_newest_updated_studies(
    replay: ReplayServer, studies: StudyCorpus
) -> None:
    result = check_one(settings_for(replay), "ctgov", show=4)
    assert result.ok, result.error
    updated = sorted(
        (s["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"],
         s["protocolSection"]["identificationModule"]["nctId"]) for s in studies.studies()
    )  # fmt: skip
    assert result.hits == 15
    assert result.hits_recent == sum(day >= SINCE.isoformat() for day, _ in updated) > 0
    newest_first = sorted(sorted(updated, key=lambda p: p[1]), key=lambda p: p[0], reverse=True)
    assert [(e.date, e.id) for e in result.examples] == newest_first[:4]
    assert all(e.id.startswith("NCT") and e.title for e in result.examples)
    pages = [r.params for r in replay.requests if r.path == "/api/v2/studies"]
    assert "filter.advanced" not in pages[0] and pages[0]["countTotal"] == "true"
    assert pages[1]["filter.advanced"] == "AREA[LastUpdatePostDate]RANGE[2026-10-25,MAX]"


def test_ctgov_query_error_is_reported_with_the_api_text(replay: ReplayServer) -> None:
    replay.phrase_not_found = {"MSCs"}
    result = check_one(settings_for(replay), "ctgov")
    assert not result.ok
    assert "answered HTTP 400: Error parsing query in Other terms" in (result.error or "")
    assert "check the configured base URL and query" in result.hint


# --- Europe PMC


def test_a_disabled_source_named_is_checked(
    replay: ReplayServer, europepmc: EuropePmcServer, papers: PaperCorpus
) -> None:
    settings = settings_for(replay, **{"sources.europepmc.base_url": europepmc.url,
                                       "sources.europepmc.requests_per_second": 20})  # fmt: skip
    assert not settings.sources.europepmc.enabled and "europepmc" not in check_names(settings, None)
    assert check_names(settings, "europepmc") == ["europepmc"]
    result = check_one(settings, "europepmc", show=2)
    assert result.ok, result.error
    recent = papers.search(date(2025, 5, 31), date(2025, 6, 30))
    assert result.hits == 1000
    # NOW is in 2026: nothing of the 2025 page is recent; a month after it was recorded, most is
    assert result.hits_recent == 0
    (later,) = check_sources(settings, ["europepmc"], datetime(2025, 6, 30, tzinfo=UTC), 2)
    assert later.hits_recent == len(recent) > 500
    preprint, article = result.examples
    assert preprint.id.startswith("PPR") and preprint.date == "2025-06-18"
    first = json.loads(EPMC_PAGE.read_bytes())["resultList"]["result"][0]
    assert (article.id, article.title) == (first["pmid"], first["title"])
    queries = [r.params["query"] for r in europepmc.requests]
    assert "FIRST_IDX_DATE:[2026-10-25 TO 2026-11-24]" in queries[1]


def test_an_unknown_source_is_named(replay: ReplayServer) -> None:
    with pytest.raises(ConfigError, match="unknown source 'embase'"):
        check_sources(settings_for(replay), ["embase"], NOW)


# --- Feeds


def test_each_feed_is_fetched_once_without_validators(feeds: FeedServer) -> None:
    feeds.serve("ijsem.xml", IJSEM.read_bytes(), etag='"v1"')
    feeds.serve("zool.xml", ZOOL.read_bytes())
    feeds.redirect("old.xml", "zool.xml")
    settings = make_settings(**FAST, **{"sources.feed.requests_per_second": 20,
        "sources.feed.feeds": [{"name": "ijsem", "url": feeds.url + "ijsem.xml"},
                               {"name": "zool", "url": feeds.url + "old.xml"}]})  # fmt: skip
    result = check_one(settings, "feed", show=2)
    assert result.ok and result.hits_recent is None
    ijsem, zool = result.feeds
    assert (ijsem.source, ijsem.hits) == ("ijsem", 25)
    assert ijsem.examples[0].id.startswith("https://www.microbiologyresearch.org/")
    assert ijsem.examples[0].date == "2021-12-08" and ijsem.examples[0].title
    assert zool.ok and zool.hits and len(zool.examples) == 2
    assert zool.notes == (f"moved permanently to {feeds.url}zool.xml; update its url",)
    assert result.hits == 25 + zool.hits
    assert not any("if-none-match" in r.headers for r in feeds.requests)
    assert len(feeds.requests_for("ijsem.xml")) == 1


def test_a_gone_missing_or_html_feed_says_so(feeds: FeedServer) -> None:
    feeds.serve("ok.xml", IJSEM.read_bytes())
    feeds.gone("gone.xml")
    feeds.status("page.html", 200)
    paths = {"ok": "ok.xml", "gone": "gone.xml", "missing": "nope.xml", "page": "page.html"}
    listed = [{"name": name, "url": feeds.url + path} for name, path in paths.items()]
    settings = make_settings(
        **FAST, **{"sources.feed.requests_per_second": 20, "sources.feed.feeds": listed}
    )
    result = check_one(settings, "feed")
    assert not result.ok and result.error == "3 of 4 feeds failed: gone, missing, page"
    ok, gone, missing, page = result.feeds
    assert ok.ok and ok.hits == 25
    assert gone.error == f"{feeds.url}gone.xml answered 410 Gone: the feed was removed for good"
    assert "answered HTTP 404" in (missing.error or "")
    assert (page.error or "").startswith(f"{feeds.url}page.html is not a feed: ")


def test_no_feeds_configured_is_a_failure_with_a_hint() -> None:
    result = check_one(make_settings(), "feed")
    assert not result.ok and result.error == "no feeds are configured"
    assert "config/sources.toml" in result.hint


def test_nothing_is_written_to_the_database(replay: ReplayServer, tmp_path: Path) -> None:
    database = tmp_path / "never.db"
    settings = settings_for(replay, f"sqlite:///{database}")
    results = check_sources(settings, check_names(settings, None), NOW)
    assert [(r.source, r.ok) for r in results] == [("pubmed", True), ("ctgov", True)]
    assert not database.exists() and list(tmp_path.iterdir()) == []


# --- The command, as a person runs it


@pytest.fixture
def workdir(
    tmp_path: Path, replay: ReplayServer, europepmc: EuropePmcServer, feeds: FeedServer
) -> Path:
    """A configuration whose base URLs are the replay servers; europepmc left disabled."""
    shutil.copytree(CONFIG, tmp_path / "config")
    feeds.serve("ijsem.xml", IJSEM.read_bytes())
    sources = (tmp_path / "config" / "sources.toml").read_text()
    sources = (
        sources.replace("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/", replay.url)
        .replace("https://clinicaltrials.gov/api/v2/", replay.ctgov_url)
        .replace("https://www.ebi.ac.uk/europepmc/webservices/rest/", europepmc.url)
        .replace("# requests_per_second = 3", "requests_per_second = 100")
        .replace("requests_per_second = 1.0", "requests_per_second = 10.0")
    )
    feed_table = f"""
[sources.feed]
enabled = true
requests_per_second = 20.0
feeds = [{{ name = "ijsem", url = "{feeds.url}ijsem.xml" }}]
"""
    sources = sources.split("[sources.feed]")[0] + feed_table
    (tmp_path / "config" / "sources.toml").write_text(sources)
    settings = (tmp_path / "config" / "settings.toml").read_text()
    settings = settings.replace("attempts = 5", "attempts = 2").replace(
        "backoff = 2.0", "backoff = 0.1"
    )
    (tmp_path / "config" / "settings.toml").write_text(settings)
    return tmp_path


def test_command_prints_counts_and_titles_without_a_database(workdir: Path, corpus: Corpus) -> None:
    result = run("sources", "check", "--show", "2", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert not (workdir / "var").exists()  # the default SQLite file was never made
    lines = result.stdout.splitlines()
    row = re.compile(r"│\s*pubmed\s*│\s*ok\s*│\s*230\s*│\s*\d+\s*│")
    assert any(row.search(line) for line in lines), result.stdout
    assert any(re.search(r"│\s*feed ijsem\s*│\s*ok\s*│\s*25\s*│\s*│", x) for x in lines)
    assert "europepmc" not in result.stdout  # disabled, so not checked unless named
    assert corpus.pmids()[0] in result.stdout and "pubmed: first 2" in result.stdout
    assert "Mycolicibacterium baixiangningiae" in result.stdout


def test_command_json_has_one_object_per_source(workdir: Path) -> None:
    result = run("sources", "check", "--json", "--show", "1", cwd=workdir)
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["source"] for o in objects] == ["pubmed", "ctgov", "feed"]
    keys = {"source", "ok", "hits", "hits_recent", "recent_days", "examples", "error"}
    for obj in objects:
        assert keys <= set(obj) and obj["ok"] is True and obj["error"] is None
    pubmed, ctgov, feed = objects
    assert (pubmed["hits"], pubmed["recent_days"], ctgov["hits"]) == (230, 30, 15)
    assert isinstance(pubmed["hits_recent"], int) and isinstance(ctgov["hits_recent"], int)
    assert set(pubmed["examples"][0]) == {"id", "title", "date"}
    assert feed["hits_recent"] is None and feed["feeds"][0]["source"] == "ijsem"
    assert feed["feeds"][0]["hits"] == 25 and len(feed["feeds"][0]["examples"]) == 1


def test_command_checks_a_disabled_source_by_name(workdir: Path) -> None:
    result = run("sources", "check", "europepmc", "--json", cwd=workdir)
    assert result.returncode == 0, result.stderr
    (obj,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (obj["source"], obj["ok"], obj["hits"], len(obj["examples"])) == (
        "europepmc",
        True,
        1000,
        5,
    )


def test_command_exits_1_naming_the_source_and_what_the_service_said(
    workdir: Path, replay: ReplayServer
) -> None:
    replay.phrase_not_found = {"MSCs[tiab]"}
    replay.faults.queue("html", times=2, path="/api/v2/studies")
    result = run("sources", "check", cwd=workdir)
    assert result.returncode == 1
    assert "error: pubmed: PubMed rejected the query: PhraseNotFound 'MSCs[tiab]'" in result.stderr
    assert "  QueryTranslation: (" in result.stderr
    assert "hint: fix sources.pubmed.query in config/sources.toml" in result.stderr
    assert "error: ctgov: check failed after 2 tries; last: sent an unusable body: not JSON" in (
        result.stderr
    )
    failed = [line for line in result.stdout.splitlines() if "failed" in line]
    assert len(failed) == 2 and "feed" not in " ".join(failed)


def test_command_refuses_an_unknown_name(workdir: Path) -> None:
    result = run("sources", "check", "embase", cwd=workdir)
    assert result.returncode == 1
    assert "error: unknown source 'embase'" in result.stderr and "pubmed" in result.stderr
