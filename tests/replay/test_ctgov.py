"""The CT.gov API v2 replay: study corpus, ``/api/v2/studies`` paging and filters, faults, and
the demo files, over real HTTP on loopback."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from etl.records import SourceRecord
from etl.replay import Corpus, CorpusError, ReplayServer, StudyCorpus
from etl.replay.ctgov_query import StudyQuery
from etl.sources.ctgov.parse import page_token, parse_studies, total_count
from tests.conftest import ROOT, SAMPLES

DEMO = ROOT / "etl" / "demo" / "data" / "ctgov"
AUTUMN = DEMO / "studies-2026-autumn.json"
UPDATE = DEMO / "studies-2026-autumn-update.json"
# The demo studies in the default order: LastUpdatePostDate ascending, then NCT id.
ORDER = [
    "NCT07108362",  # 2026-09-01
    "NCT06385529",  # 09-03
    "NCT06218473",  # 09-15
    "NCT06802957",  # 09-22
    "NCT06034518",  # 10-01
    "NCT06457719",  # 10-09
    "NCT06571092",  # 10-09
    "NCT06975208",  # 10-15
    "NCT06690245",  # 10-20
    "NCT06126650",  # 10-28
    "NCT07189054",  # 10-28
    "NCT06937415",  # 11-04
    "NCT06891374",  # 11-10
    "NCT07032218",  # 11-18
    "NCT07246619",  # 11-20
]
DATED_SAMPLES = ["NCT00763412", "NCT02210780", "NCT06171568"]  # 2017, 2020, 2023
UPDATED = ["NCT06571092", "NCT06126650", "NCT06975208"]  # 2026-11-22, 11-23, 11-24
CRAWL = {
    "format": "json",
    "query.cond": "cancer OR neoplasm",
    "query.intr": '"mesenchymal stem cell" OR "mesenchymal stromal cell" OR MSC',
    "filter.advanced": "AREA[LastUpdatePostDate]RANGE[2026-09-01,MAX]",
    "sort": "LastUpdatePostDate:asc",
}


@pytest.fixture(scope="module")
def demo() -> StudyCorpus:
    return StudyCorpus.from_paths([AUTUMN])


@pytest.fixture
def server(demo: StudyCorpus) -> Iterator[ReplayServer]:
    with ReplayServer(None, phrase_not_found={"fleegle"}, studies=demo) as srv:
        srv.faults.slow_seconds = 0.2
        yield srv


@pytest.fixture
def client(server: ReplayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.ctgov_url, timeout=5) as c:
        yield c


def get(client: httpx.Client, **params: Any) -> httpx.Response:
    return client.get("studies", params=params)


def ids(page: dict[str, Any]) -> list[str]:
    return [s["protocolSection"]["identificationModule"]["nctId"] for s in page["studies"]]


def crawl(client: httpx.Client, params: dict[str, Any]) -> list[httpx.Response]:
    """Every page of a query, following nextPageToken until it is absent (as a crawler must)."""
    responses = [get(client, **params)]
    while (token := responses[-1].json().get("nextPageToken")) and len(responses) < 50:
        responses.append(get(client, **params, pageToken=token))
    return responses


# --- corpus ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("samples")  # the recorded corpus
def test_corpus_reads_pages_and_single_study_files_of_the_real_samples() -> None:
    files = sorted((SAMPLES / "ctgov-v2").glob("*.json"))
    corpus = StudyCorpus.from_paths(files)
    assert len(corpus) == 19
    assert "NCT00763412" in corpus and "nct02576665" in corpus  # a single study; any case
    study = corpus.get("NCT06171568")
    assert study == json.loads((SAMPLES / "ctgov-v2" / "aact-NCT06171568.json").read_text())
    # The page samples were asked with `fields`, so have no LastUpdatePostDate: they sort last.
    assert corpus.search(StudyQuery())[:3] == DATED_SAMPLES


def test_corpus_orders_by_update_date_then_nct(demo: StudyCorpus) -> None:
    assert len(demo) == 15
    found = [s["protocolSection"]["identificationModule"]["nctId"] for s in demo.studies()]
    assert found == ORDER


def test_later_file_replaces_studies_and_replace_needs_a_held_study() -> None:
    corpus = StudyCorpus.from_paths([AUTUMN, UPDATE])
    assert len(corpus) == 15
    status = corpus.get("NCT06975208")["protocolSection"]["statusModule"]
    assert status["overallStatus"] == "COMPLETED"
    new = corpus.get("NCT06571092")
    new["protocolSection"]["identificationModule"]["nctId"] = "NCT09999999"
    with pytest.raises(KeyError):
        corpus.replace(new)
    corpus.add(new)
    assert "NCT09999999" in corpus and len(corpus) == 16


def test_gzipped_page_loads_like_the_plain_one(tmp_path: Path, demo: StudyCorpus) -> None:
    packed = tmp_path / "studies.json.gz"
    packed.write_bytes(gzip.compress(AUTUMN.read_bytes()))
    assert StudyCorpus.from_paths([packed]).studies() == demo.studies()


def test_returned_studies_are_copies(demo: StudyCorpus) -> None:
    study = demo.get("NCT06218473")
    study["hasResults"] = False
    assert demo.get("NCT06218473")["hasResults"] is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "NCT-broken.json"),
        ('{"studies": [{"protocolSection": {}}]}', "nctId"),
        ('{"totalCount": 3}', "neither a /studies page nor a study"),
    ],
)
def test_unusable_file_is_an_error_naming_it(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "NCT-broken.json"
    path.write_text(text)
    with pytest.raises(CorpusError, match=message) as caught:
        StudyCorpus.from_paths([path])
    assert "NCT-broken.json" in str(caught.value)


# --- paging ---------------------------------------------------------------------------------


def test_pages_of_five_through_the_demo_until_no_token(
    server: ReplayServer, client: httpx.Client
) -> None:
    responses = crawl(client, {**CRAWL, "pageSize": 5})
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all(r.headers["content-type"].startswith("application/json") for r in responses)
    pages = [r.json() for r in responses]
    assert [ids(p) for p in pages] == [ORDER[:5], ORDER[5:10], ORDER[10:]]
    assert "nextPageToken" not in pages[-1]
    first, second = pages[0]["nextPageToken"], pages[1]["nextPageToken"]
    assert first != second and first[:30] == second[:30]  # one result list, one prefix
    assert [r.path for r in server.requests] == ["/api/v2/studies"] * 3
    assert server.requests[1].params["pageToken"] == first


def test_default_page_size_is_ten_and_sort_directions(client: httpx.Client) -> None:
    assert ids(get(client).json()) == ORDER[:10]
    assert ids(get(client, sort="@relevance").json()) == ORDER[:10]
    newest = get(client, sort="LastUpdatePostDate:desc", pageSize=3).json()
    assert ids(newest) == ["NCT07246619", "NCT07032218", "NCT06891374"]
    # Without a direction a date field sorts descending, as the spec says; ties stay by NCT id.
    undirected = ids(get(client, sort="LastUpdatePostDate", pageSize=1000).json())
    assert undirected[4:6] == ["NCT06126650", "NCT07189054"]
    assert undirected[-1] == "NCT07108362"


def test_the_update_date_range_is_inclusive_and_max_is_open(client: httpx.Client) -> None:
    window = "AREA[LastUpdatePostDate]RANGE[2026-10-09,2026-10-28]"
    assert ids(get(client, **{"filter.advanced": window}, pageSize=100).json()) == ORDER[5:11]
    late = "AREA[LastUpdatePostDate]RANGE[2026-11-18,MAX]"
    assert ids(get(client, **{"filter.advanced": late}).json()) == ORDER[13:]
    early = "AREA[Phase]PHASE2 AND AREA[LastUpdatePostDate]RANGE[MIN,2026-09-03]"
    assert ids(get(client, **{"filter.advanced": early}).json()) == ORDER[:2]
    in_term = {"query.term": "AREA[LastUpdatePostDate]RANGE[2026-11-21,MAX]"}
    assert get(client, **in_term).json() == {"studies": []}


def test_status_and_id_filters(client: httpx.Client) -> None:
    params = {"filter.overallStatus": "WITHDRAWN|TERMINATED", "pageSize": 100}
    assert ids(get(client, **params).json()) == ["NCT07108362", "NCT06802957"]
    params = {"filter.ids": "nct07246619,NCT06385529"}
    assert ids(get(client, **params).json()) == ["NCT06385529", "NCT07246619"]
    bad = get(client, **{"filter.overallStatus": "FINISHED"})
    assert bad.status_code == 400 and "`FINISHED`" in bad.text


def test_count_total_is_on_the_first_page_only(client: httpx.Client) -> None:
    responses = crawl(client, {**CRAWL, "pageSize": 6, "countTotal": "true"})
    assert [total_count(r.content) for r in responses] == [15, None, None]
    assert "totalCount" not in get(client, pageSize=6).json()


def test_page_size_over_1000_is_refused_unless_coerced(
    server: ReplayServer, client: httpx.Client
) -> None:
    response = get(client, pageSize=1001)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert "pageSize" in response.text
    assert get(client, pageSize=1000).status_code == 200
    assert ids(get(client, pageSize=0).json()) == ORDER[:10]  # 0 means the default
    assert get(client, pageSize="ten").status_code == 400
    server.ctgov_coerce_page_size = True
    assert ids(get(client, pageSize=5000).json()) == ORDER


def test_unknown_expired_or_foreign_tokens_are_refused(
    server: ReplayServer, client: httpx.Client
) -> None:
    assert get(client, pageToken="ZVt07cGHkvI2wRk2CJf6").status_code == 400
    token = get(client, **CRAWL, pageSize=5).json()["nextPageToken"]
    again = [ids(get(client, **CRAWL, pageSize=5, pageToken=token).json()) for _ in range(2)]
    assert again == [ORDER[5:10]] * 2  # a retry may re-send the same token
    assert ids(get(client, **CRAWL, pageSize=7, pageToken=token).json()) == ORDER[5:12]
    other_query = {**CRAWL, "filter.advanced": "AREA[LastUpdatePostDate]RANGE[2026-10-01,MAX]"}
    foreign = get(client, **other_query, pageSize=5, pageToken=token)
    assert foreign.status_code == 400 and "different parameters" in foreign.text
    server.expire_page_tokens()
    expired = get(client, **CRAWL, pageSize=5, pageToken=token)
    assert expired.status_code == 400 and "unknown or expired" in expired.text


def test_last_page_token_quirk_leads_to_an_empty_page(
    server: ReplayServer, client: httpx.Client
) -> None:
    server.ctgov_token_on_last_page = True
    fives = [r.json() for r in crawl(client, {**CRAWL, "pageSize": 5})]
    assert [len(p["studies"]) for p in fives] == [5, 5, 5, 0]
    assert fives[-1] == {"studies": []}
    tens = [r.json() for r in crawl(client, {**CRAWL, "pageSize": 10})]
    assert [len(p["studies"]) for p in tens] == [10, 5, 0]
    assert "nextPageToken" in tens[1] and sum(map(len, map(ids, tens))) == 15
    none = get(client, **{"filter.advanced": "AREA[LastUpdatePostDate]RANGE[2030-01-01,MAX]"})
    assert none.json() == {"studies": []}  # no token when there is nothing at all


def test_edits_show_in_new_searches_but_not_in_a_result_list_being_paged() -> None:
    corpus = StudyCorpus.from_paths([AUTUMN])
    with ReplayServer(None, studies=corpus) as srv, httpx.Client(base_url=srv.ctgov_url) as c:
        first = get(c, **CRAWL, pageSize=10).json()
        for study in json.loads(UPDATE.read_text())["studies"]:
            corpus.replace(study)
        rest = get(c, **CRAWL, pageSize=10, pageToken=first["nextPageToken"]).json()
        since = {"filter.advanced": "AREA[LastUpdatePostDate]RANGE[2026-11-21,MAX]"}
        fresh = get(c, **since).json()
    assert ids(first) + ids(rest) == ORDER  # the snapshot keeps its order
    assert ids(fresh) == UPDATED
    assert [s["protocolSection"]["statusModule"]["overallStatus"] for s in fresh["studies"]] == [
        "RECRUITING",
        "TERMINATED",
        "COMPLETED",
    ]


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"filter.phase": "PHASE2"}, "`filter.phase` is unknown parameter"),
        ({"query.cond": "fleegle OR cancer"}, "Error parsing query in Conditions or disease:"),
        ({"query.term": "x AND FLEEGLE"}, "Error parsing query in Other terms:"),
        ({"query.intr": "fleegle"}, "Error parsing query in Intervention / treatment:"),
        ({"filter.advanced": "AREA[LastUpdatePostDate]RANGE[2026-13-01,MAX]"}, "2026-13-01"),
        ({"format": "csv"}, "format `csv`"),
        ({"sort": "EnrollmentCount"}, "EnrollmentCount"),
        ({"countTotal": "yes"}, "countTotal"),
    ],
)
def test_bad_requests_are_plain_text_400s(
    client: httpx.Client, params: dict[str, str], text: str
) -> None:
    response = get(client, **params)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert text in response.text


def test_single_study_endpoint(client: httpx.Client, demo: StudyCorpus) -> None:
    response = client.get("studies/nct06690245")
    assert response.status_code == 200 and response.json() == demo.get("NCT06690245")
    assert client.get("studies/NCT00000000").status_code == 404
    assert client.get("studies/ChiCTR2400086123").status_code == 400


def test_each_api_is_served_only_when_given_its_corpus(demo: StudyCorpus) -> None:
    with ReplayServer(None, studies=demo) as srv, httpx.Client(base_url=srv.url) as c:
        assert c.get("esearch.fcgi", params={"term": "x"}).status_code == 404
        assert c.get("api/v2/version").status_code == 404
    with ReplayServer(Corpus()) as srv, httpx.Client(base_url=srv.url) as c:
        assert c.get("api/v2/studies").status_code == 404
        assert c.get("esearch.fcgi", params={"term": "x"}).status_code == 200


# --- faults ---------------------------------------------------------------------------------


def test_faults_hit_studies_and_the_same_token_is_retried(
    server: ReplayServer, client: httpx.Client
) -> None:
    token = get(client, **CRAWL, pageSize=5).json()["nextPageToken"]
    server.faults.queue("503", times=2, path="studies")
    server.faults.queue("429", path="studies")
    statuses = [get(client, **CRAWL, pageSize=5, pageToken=token).status_code for _ in range(4)]
    assert statuses == [503, 503, 429, 200]
    assert server.faults.injected == {"503": 2, "429": 1}
    assert len(server.requests) == 5  # faulted requests are recorded too
    server.faults.queue("drop", path="studies")
    with pytest.raises(httpx.RemoteProtocolError):
        get(client, **CRAWL)
    server.faults.queue("truncate", path="studies")
    with pytest.raises(httpx.RemoteProtocolError):
        get(client, **CRAWL)
    server.faults.queue("html", path="studies")
    html = get(client, **CRAWL)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    with pytest.raises(ValueError):
        page_token(html.content)  # a crawler must not read an HTML page as "last page"
    assert ids(get(client, **CRAWL, pageSize=5, pageToken=token).json()) == ORDER[5:10]


def test_path_filter_keeps_pubmed_faults_off_studies(demo: StudyCorpus) -> None:
    with ReplayServer(Corpus(), studies=demo) as srv, httpx.Client(base_url=srv.url) as c:
        srv.faults.queue("500", path="efetch")
        assert c.get("api/v2/studies").status_code == 200
        assert c.get("efetch.fcgi", params={"id": "1"}).status_code == 500


# --- the parser reads what is served --------------------------------------------------------


def test_parser_reads_every_served_page_without_quarantine(client: httpx.Client) -> None:
    records: list[SourceRecord] = []
    for response in crawl(client, {**CRAWL, "pageSize": 4, "countTotal": "true"}):
        parsed = list(parse_studies(response.content))
        assert all(isinstance(r, SourceRecord) for r in parsed), parsed
        records += parsed
    assert [r.source_id for r in records] == ORDER


@pytest.mark.parametrize("path", [AUTUMN, UPDATE])
def test_parser_reads_the_demo_files_without_quarantine(path: Path) -> None:
    records = list(parse_studies(path))
    assert records and all(isinstance(r, SourceRecord) for r in records), records
    assert len(records) == (15 if path == AUTUMN else 3)


def test_demo_studies_link_to_the_demo_papers() -> None:
    by_nct = {r.source_id: r.data for r in parse_studies(AUTUMN)}
    assert "ChiCTR2400086123" in by_nct["NCT06690245"]["identifiers"]["registry_ids"]
    assert "2021-004817-33" in by_nct["NCT06457719"]["identifiers"]["registry_ids"]
    assert "41000052" in by_nct["NCT06218473"]["reference_pmids"]
    assert by_nct["NCT06218473"]["has_results"] is True
    assert by_nct["NCT06802957"]["why_stopped"] and by_nct["NCT07108362"]["status"] == "WITHDRAWN"
    pubmed = (ROOT / "etl" / "demo" / "data" / "pubmed" / "efetch-2026-autumn.xml").read_text()
    linked = [nct for nct in by_nct if nct in pubmed]
    assert len(linked) >= 8
    updates = {r.source_id: r.data for r in parse_studies(UPDATE)}
    assert list(updates) == UPDATED
    assert updates["NCT06975208"]["has_results"] and updates["NCT06126650"]["why_stopped"]
    assert updates["NCT06571092"]["phases"] == ["PHASE1", "PHASE2"]


def test_a_secondary_id_search_finds_only_the_study_that_files_it() -> None:
    """`AREA[SecondaryId]"…"` selects studies by their secondaryIdInfos (case and spaces aside),
    as the lookup of another registry's id asks it; other words are still ignored."""
    from etl.replay.ctgov import StudiesApi

    written = ROOT / "tests" / "registries" / "data" / "ctgov-NCT07123456.json"
    corpus = StudyCorpus.from_paths([written])
    corpus.add({"protocolSection": {"identificationModule": {"nctId": "NCT07123499"}}})
    api = StudiesApi(corpus)

    def ncts(term: str) -> list[str]:
        body = api.search({"format": "json", "query.term": term}).body
        return [study["protocolSection"]["identificationModule"]["nctId"]
                for study in json.loads(body)["studies"]]  # fmt: skip

    assert ncts('AREA[SecondaryId]"ChiCTR2100045678"') == ["NCT07123456"]
    assert ncts("AREA[SecondaryId]chictr 2100045678") == []  # a bare word ends at the space
    assert ncts('AREA[SecondaryId]"chictr 2100045678"') == ["NCT07123456"]
    assert ncts('AREA[SecondaryId]"ChiCTR2100045679"') == []
    assert sorted(ncts("mesenchymal")) == ["NCT07123456", "NCT07123499"]
