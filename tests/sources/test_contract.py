"""The adapter contract, held against every registered source: adding a source means adding it to
etl/sources/registry.py and giving it what this file asks for (samples, a broken record, a replay
for a source that crawls); the tests then say what is missing or what it does wrong.

For each source: its samples parse into records of its type (no key missing, none unknown, each
value of its type); a broken record is set aside with a reason naming it while the good ones go
on; the adapter's code never reaches for the database; and crawling the replay twice stores
nothing new the second time (the store absorbs the overlap every source asks for again).
"""

from __future__ import annotations

import ast
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from etl.http import build_client
from etl.pipeline.crawl import run_crawl
from etl.records import Quarantined, SourceRecord, validate
from etl.replay import Corpus, ReplayServer
from etl.replay.ctgov import StudyCorpus
from etl.replay.feeds import FeedServer
from etl.sources import REGISTRY, SOURCE_NAMES, get_source, parser_for
from etl.sources.base import FetchContext
from etl.works import store
from tests.conftest import ROOT, SAMPLES, make_settings

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
REGISTRIES = Path(__file__).parent.parent / "registries" / "data"

# Each source's real files in the samples corpus (the deliberately malformed one aside).
SAMPLES_OF = {
    "pubmed": "pubmed-efetch/*.xml",
    "ctgov": "ctgov-v2/*.json",
    "ictrp": "ictrp/*.xml",
    "europepmc": "europepmc/*.json",
    "feed": "feeds/*.xml",
    "isrctn": str(REGISTRIES / "isrctn-*.xml"),  # written for the tests (no recorded corpus)
}


def good_study() -> dict[str, Any]:
    return json.loads((SAMPLES / "ctgov-v2" / "aact-NCT00763412.json").read_text())  # type: ignore[no-any-return]


def good_article() -> bytes:
    whole = (SAMPLES / "pubmed-efetch" / "pubmed-29768149.xml").read_bytes()
    return whole.split(b"<PubmedArticleSet>")[1].split(b"</PubmedArticleSet>")[0]


# One good record and one broken one, in each source's own format (read when a test asks, so
# that without the sample corpus the tests are skipped by name rather than failing to load).
BROKEN: dict[str, Callable[[], tuple[bytes, str]]] = {
    "pubmed": lambda: (
        b"<PubmedArticleSet>" + good_article()
        + b'<PubmedArticle><MedlineCitation Status="MEDLINE"><PMID Version="1">x12</PMID>'
        b"<Article><ArticleTitle>T</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
        b"</PubmedArticleSet>",
        "PMID",
    ),
    "ctgov": lambda: (
        json.dumps({"studies": [good_study(), {"protocolSection": {}}]}).encode(),
        "NCT id",
    ),
    "ictrp": lambda: (
        b"<Trials_downloaded_from_ICTRP><Trial><TrialID>ChiCTR2000029953</TrialID>"
        b"<Public_title>A trial</Public_title></Trial>"
        b"<Trial><Public_title>No id</Public_title></Trial></Trials_downloaded_from_ICTRP>",
        "TrialID",
    ),
    "europepmc": lambda: (
        json.dumps({"hitCount": 2, "resultList": {"result": [
            {"id": "41000001", "source": "MED", "pmid": "41000001", "title": "A paper"},
            {"title": "No id"},
        ]}}).encode(),
        "source and id",
    ),
    "feed": lambda: (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>J</title>'
        b"<item><title>A paper</title><link>https://example.org/a</link></item>"
        b"<item><description>only text</description></item></channel></rss>",
        "identify the entry",
    ),
    "isrctn": lambda: ((REGISTRIES / "isrctn-broken.xml").read_bytes(), "isrctn number"),
}  # fmt: skip


def registered(crawling: bool = False) -> list[str]:
    return list(SOURCE_NAMES if crawling else REGISTRY)


@pytest.mark.parametrize("name", registered())
def test_the_source_has_what_the_contract_needs(name: str) -> None:
    assert name in SAMPLES_OF, f"{name}: name its sample files in SAMPLES_OF"
    assert name in BROKEN, f"{name}: give BROKEN one good and one broken record in its format"
    if name in SOURCE_NAMES:
        assert name in REPLAYS, f"{name} crawls: give REPLAYS a loopback replay of it"


@pytest.mark.parametrize("name", registered())
def test_every_sample_parses_into_records_of_the_sources_type(name: str) -> None:
    pattern = SAMPLES / SAMPLES_OF[name]  # an absolute pattern: samples kept beside the tests
    files = sorted(pattern.parent.glob(pattern.name))
    assert files, f"no samples for {name} at {pattern}"
    parsed = 0
    for path in files:
        for item in parser_for(name)(path):
            if isinstance(item, SourceRecord):
                assert item.source == name
                validate(item.data)  # raises naming the field that is off
                parsed += 1
    assert parsed


@pytest.mark.parametrize("name", registered())
def test_a_broken_record_is_set_aside_with_its_reason_and_the_rest_go_on(name: str) -> None:
    body, reason = BROKEN[name]()
    items = list(parser_for(name)(body))
    records = [item for item in items if isinstance(item, SourceRecord)]
    (quarantined,) = [item for item in items if isinstance(item, Quarantined)]
    assert len(records) == 1
    validate(records[0].data)
    assert quarantined.source == name and reason in quarantined.reason
    assert quarantined.raw, "the broken record's bytes are kept for a person to look at"


@pytest.mark.parametrize("name", registered())
def test_the_adapter_has_no_way_to_the_database(name: str) -> None:
    """Adapters yield records; only the pipeline stores them. No module of the source's package
    imports the database layer or SQLAlchemy."""
    module = REGISTRY[name].adapter.split(":")[0]
    folder = ROOT / Path(*module.split(".")[:-1])
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )  # fmt: skip
            for target in names:
                assert not target.startswith(("etl.db", "etl.works", "sqlalchemy")), (
                    f"{path.relative_to(ROOT)} imports {target}"
                )


# -- crawling: a loopback replay per source that crawls -----------------------------------------


class _EuropePmcPages(BaseHTTPRequestHandler):
    """A real search page for cursorMark=*, the empty page after it."""

    pages: dict[str, bytes] = {}  # cursorMark "*" and any other, read before serving

    def do_GET(self) -> None:
        params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        body = self.pages["*" if params.get("cursorMark") == "*" else "next"]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _pubmed() -> Iterator[dict[str, Any]]:
    corpus = Corpus.synthetic(60, date(2026, 10, 1), date(2026, 11, 20))
    with ReplayServer(corpus) as server:
        yield {"sources.pubmed.base_url": server.url, "sources.pubmed.requests_per_second": 1000,
               "sources.pubmed.start_date": "2026-10-01",
               "sources.pubmed.batch_size": 25}  # fmt: skip


def _ctgov() -> Iterator[dict[str, Any]]:
    from etl.demo import DATA

    studies = StudyCorpus.from_paths([DATA / "ctgov" / "studies-2026-autumn.json"])
    with ReplayServer(None, studies=studies) as server:
        yield {"sources.ctgov.base_url": server.url + "api/v2/", "sources.ctgov.page_size": 4,
               "sources.ctgov.requests_per_second": 10,
               "sources.ctgov.start_date": "2026-09-01"}  # fmt: skip


def _europepmc() -> Iterator[dict[str, Any]]:
    folder = SAMPLES / "europepmc"
    _EuropePmcPages.pages = {
        "*": (folder / "pyeuropepmc-search_cancer_core.json").read_bytes(),
        "next": (folder / "pyeuropepmc-search_no_results.json").read_bytes(),
    }
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _EuropePmcPages)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"sources.europepmc.enabled": True, "sources.europepmc.requests_per_second": 20,
               "sources.europepmc.base_url": f"http://127.0.0.1:{httpd.server_address[1]}/rest/",
               "sources.europepmc.start_date": "2026-11-01"}  # fmt: skip
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _feed() -> Iterator[dict[str, Any]]:
    with FeedServer() as server:
        server.serve(
            "ijsem.xml", (SAMPLES / "feeds" / "biorss-microbiologyresearch-ijsem.xml").read_bytes()
        )
        yield {"sources.feed.enabled": True, "sources.feed.requests_per_second": 20,
               "sources.feed.feeds": [
                   {"name": "ijsem", "url": server.url + "ijsem.xml"}
               ]}  # fmt: skip


REPLAYS: dict[str, Callable[[], Iterator[dict[str, Any]]]] = {
    "pubmed": _pubmed,
    "ctgov": _ctgov,
    "europepmc": _europepmc,
    "feed": _feed,
}
QUICK_HTTP = {"http.backoff": 0.01, "http.backoff_max": 0.02, "http.timeout": 5.0}


@pytest.fixture(params=registered(crawling=True))
def replayed(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, Any]]]:
    name = request.param
    replay = REPLAYS[name]()
    yield name, next(replay)
    replay.close()


def test_fetching_never_touches_a_database(
    replayed: tuple[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The adapter's fetch runs with every database connection refused: it must not need one."""
    name, overrides = replayed
    settings = make_settings(**overrides, **QUICK_HTTP)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"{name}: the adapter reached for the database")

    monkeypatch.setattr(Engine, "connect", refuse)
    monkeypatch.setattr(Engine, "begin", refuse)
    monkeypatch.setattr(Connection, "execute", refuse)
    with build_client(settings.http) as client:
        batches = list(get_source(name, settings).fetch(FetchContext(client, None, NOW)))
    assert sum(len(batch.records) for batch in batches) > 0


def test_crawling_the_replay_twice_stores_nothing_new(
    replayed: tuple[str, dict[str, Any]], engine: Engine, db_url: str
) -> None:
    name, overrides = replayed
    settings = make_settings(db_url, **overrides, **QUICK_HTTP)
    (first,) = run_crawl(engine, settings, [name], NOW)
    assert first.outcome == "ok", first.error
    assert first.counts.new > 0
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(store.source_records)).scalar()
        events = conn.execute(select(func.count()).select_from(store.events)).scalar()
    (second,) = run_crawl(engine, settings, [name], NOW)
    assert second.outcome in ("ok", "quiet"), second.error
    assert (second.counts.new, second.counts.updated) == (0, 0), second.counts
    with engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(store.source_records)).scalar() == stored
        )
        assert conn.execute(select(func.count()).select_from(store.events)).scalar() == events


def test_the_settings_have_a_table_for_each_source_that_crawls_and_no_other() -> None:
    from etl.settings import LOOKUP_ONLY, SourcesSettings

    assert set(SourcesSettings.model_fields) == set(SOURCE_NAMES) | LOOKUP_ONLY
    assert not LOOKUP_ONLY & set(SOURCE_NAMES), "a lookup-only source never crawls"
    assert set(REGISTRY) >= LOOKUP_ONLY
