"""One work by hand: a PMID, a DOI, a title or an NCT id looked up in the database first, else
fetched through the source's adapter from the replay server, stored, classified and returned."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, func, select

from etl.db.models import Classification
from etl.demo import DATA
from etl.errors import EtlError
from etl.pipeline.lookup import Reference, lookup, parse_reference
from etl.settings import Settings
from etl.works import store
from tests.conftest import make_settings
from tests.support.searches import SearchReplay, esearch_answer

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
EFETCH = DATA / "pubmed" / "efetch-2026-autumn.xml"
STUDIES = DATA / "ctgov" / "studies-2026-autumn.json"
PMID, DOI = "41000052", "10.5555/s13045-026-01777-4"
TITLE = "Umbilical cord mesenchymal stromal cells for prophylaxis of graft-versus-host disease"
DOI_TERM = f'"{DOI}"[doi]'


@pytest.fixture
def server() -> Iterator[SearchReplay]:
    with SearchReplay.from_files([EFETCH], [STUDIES], None) as srv:
        srv.searches[DOI_TERM] = esearch_answer(DOI_TERM, [PMID])
        yield srv


def settings_for(server: SearchReplay, url: str) -> Settings:
    values: dict[str, Any] = {
        "sources.pubmed.base_url": server.url, "sources.pubmed.requests_per_second": 1000,
        "sources.ctgov.base_url": server.ctgov_url, "sources.ctgov.requests_per_second": 10,
        "http.backoff": 0.01, "http.backoff_max": 0.02, "http.timeout": 2.0,
    }  # fmt: skip
    return make_settings(url, **values)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PMID: 41000052", ("pmid", "41000052")),
        ("pmid:41000052", ("pmid", "41000052")),
        ("41000052", ("pmid", "41000052")),
        ("https://pubmed.ncbi.nlm.nih.gov/41000052/", ("pmid", "41000052")),
        ("https://doi.org/10.5555/S13045-026-01777-4", ("doi", DOI)),
        ("DOI：10.5555/s13045-026-01777-4", ("doi", DOI)),
        ("nct 06218473", ("nct", "NCT06218473")),
        ("ChiCTR2000031234", ("chictr", "ChiCTR2000031234")),
        ("PMC1234567", ("pmcid", "PMC1234567")),
        ("ppr123456", ("ppr", "PPR123456")),
        ("Umbilical cord MSCs for GVHD", ("title", "Umbilical cord MSCs for GVHD")),
    ],
)
def test_a_pasted_reference_is_read_as_its_scheme(text: str, expected: tuple[str, str]) -> None:
    assert parse_reference(text) == Reference(*expected)


def test_a_reference_that_is_nothing_is_refused_with_examples() -> None:
    with pytest.raises(EtlError, match="neither a PMID") as caught:
        parse_reference("abc")
    assert "NCT01234567" in caught.value.hint


def test_a_pmid_is_fetched_stored_classified_then_found_at_home(
    engine: Engine, db_url: str, server: SearchReplay
) -> None:
    settings = settings_for(server, db_url)
    looked = lookup(engine, settings, "PMID 41000052", NOW)
    assert looked.found and looked.fetched and looked.source == "pubmed"
    assert looked.counts.new == 1
    assert looked.data is not None and looked.data["identifiers"]["doi"] == DOI
    with engine.connect() as conn:
        labelled = conn.execute(
            select(Classification.__table__.c.work_id).where(
                Classification.__table__.c.work_id == looked.work_id
            )
        ).scalar()
        records = conn.execute(select(func.count()).select_from(store.source_records)).scalar()
    assert labelled == looked.work_id and records == 1
    fetches = [r.params["id"] for r in server.requests if r.path == "/efetch.fcgi"]
    assert fetches == [PMID]
    server.requests.clear()
    again = lookup(engine, settings, DOI, NOW)  # the same work, by its DOI, without a request
    assert (again.work_id, again.source, server.requests) == (looked.work_id, "database", [])


def test_a_doi_goes_through_esearch_and_a_title_through_a_title_search(
    sqlite_engine: Engine, sqlite_url: str, server: SearchReplay
) -> None:
    settings = settings_for(server, sqlite_url)
    by_doi = lookup(sqlite_engine, settings, f"doi: {DOI}", NOW)
    assert by_doi.source == "pubmed" and by_doi.data and by_doi.data["source_id"] == PMID
    terms = [r.params["term"] for r in server.requests if r.path == "/esearch.fcgi"]
    assert terms == [DOI_TERM]
    other = SearchReplay.from_files([EFETCH], [STUDIES], None)
    with other:
        title = by_doi.data["title"]
        term = f'"{" ".join(title.replace("(", " ").replace(")", " ").split())}"[ti]'
        other.searches[term] = esearch_answer(term, ["41000019", PMID])  # the wrong one first
        found = lookup(sqlite_engine, settings_for(other, sqlite_url), title + " again", NOW)
    # a title with a word more is another title: not taken for the one searched
    assert not found.found and "pubmed" in found.note


def test_a_trial_comes_from_ctgov_by_its_nct_id(
    engine: Engine, db_url: str, server: SearchReplay
) -> None:
    looked = lookup(engine, settings_for(server, db_url), "NCT06218473", NOW)
    assert looked.source == "ctgov" and looked.data is not None
    assert (looked.data["phases"], looked.data["enrollment"]) == (["PHASE3"], 312)
    (asked,) = [r.params for r in server.requests if r.path.endswith("/studies")]
    assert asked["filter.ids"] == "NCT06218473"


def test_what_no_source_holds_is_not_found_and_says_where_it_looked(
    sqlite_engine: Engine, sqlite_url: str, server: SearchReplay
) -> None:
    settings = settings_for(server, sqlite_url)
    assert lookup(sqlite_engine, settings, "NCT09999999", NOW).note == (
        "not in the database, nor at ctgov"
    )
    chictr = lookup(sqlite_engine, settings, "ChiCTR2000031234", NOW)
    assert not chictr.found and "no source fetches chictr ids" in chictr.note
    server.requests.clear()
    offline = lookup(sqlite_engine, settings, PMID, NOW, online=False)
    assert (offline.found, offline.note, server.requests) == (
        False,
        "not in the database (sources not asked)",
        [],
    )


class _EuropePmc(BaseHTTPRequestHandler):
    """Europe PMC's search: one invented article for its PMCID, nothing for anything else."""

    queries: list[str] = []
    RESULT: dict[str, Any] = {
        "id": "41000052", "source": "MED", "pmid": "41000052", "pmcid": "PMC13021488",
        "doi": DOI, "title": TITLE + ".", "pubYear": "2026", "firstPublicationDate": "2026-09-07",
        "journalInfo": {"yearOfPublication": 2026, "dateOfPublication": "2026 Sep",
                        "journal": {"title": "Journal of hematology & oncology",
                                    "isoabbreviation": "J Hematol Oncol"}},
        "pubTypeList": {"pubType": ["Journal Article"]},
        "abstractText": "312 patients were randomised.",
    }  # fmt: skip

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)["query"][0]
        type(self).queries.append(query)
        found = [self.RESULT] if query == "PMCID:PMC13021488" else []
        body = json.dumps({"hitCount": len(found), "resultList": {"result": found}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_pmcid_and_a_preprint_id_come_from_europe_pmc(
    sqlite_engine: Engine, sqlite_url: str
) -> None:
    _EuropePmc.queries = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _EuropePmc)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        settings = make_settings(sqlite_url, **{"sources.europepmc.base_url": url})
        looked = lookup(sqlite_engine, settings, "PMC13021488", NOW)
        missing = lookup(sqlite_engine, settings, "PPR123456", NOW)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert looked.source == "europepmc" and looked.data is not None
    assert looked.data["identifiers"]["pmid"] == "41000052"
    assert not missing.found and missing.note == "not in the database, nor at europepmc"
    assert _EuropePmc.queries == ["PMCID:PMC13021488", "EXT_ID:PPR123456 AND SRC:PPR"]


def test_a_search_that_answers_with_another_work_stores_nothing(
    sqlite_engine: Engine, sqlite_url: str, server: SearchReplay
) -> None:
    term = '"10.5555/unknown-doi"[doi]'
    server.searches[term] = esearch_answer(term, [PMID])  # PubMed read the DOI as words
    looked = lookup(sqlite_engine, settings_for(server, sqlite_url), "10.5555/unknown-doi", NOW)
    assert not looked.found and looked.note == "not in the database, nor at pubmed"
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(store.source_records)).scalar() == 0
