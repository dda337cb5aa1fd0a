"""The E-utilities replay server: corpus loading, NCBI-shaped answers, and injected faults."""

from __future__ import annotations

import gzip
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import httpx
import pytest
from lxml import etree

from etl.replay import Corpus, CorpusError, FaultPlan, RecordedRequest, ReplayServer
from etl.replay.synthetic import synthetic_article
from etl.replay.terms import DateFilter, TermError, parse_date, parse_filter
from tests.conftest import SAMPLES, need_samples, samples_present

EFETCH_SAMPLES = SAMPLES / "pubmed-efetch"
MALFORMED = EFETCH_SAMPLES / "reciter-special_characters-MALFORMED.xml"
UPDATE_FILE = EFETCH_SAMPLES / "ncbiutils-pubmed22n1313.xml"
EXPIRED = (
    b'<?xml version="1.0" encoding="UTF-8" ?>'
    b"<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>"
)
TOPIC = '("Mesenchymal Stem Cells"[MeSH] OR "mesenchymal stromal cell*"[tiab]) AND cancer*[tiab]'
# 100 records, one a day from 2024-01-01 to 2024-04-09; PMIDs 40000000.. rise with the date.
START, END = date(2024, 1, 1), date(2024, 4, 9)


def sample_paths() -> list[Path]:
    return sorted(p for p in EFETCH_SAMPLES.glob("*.xml") if p != MALFORMED)


def window(first: str, last: str, tag: str = "crdt") -> str:
    return f'{TOPIC} AND ("{first}"[{tag}] : "{last}"[{tag}])'


def pmids_in(body: bytes) -> list[str]:
    root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.tag == "PubmedArticleSet"
    return [a.findtext("MedlineCitation/PMID") or a.findtext("BookDocument/PMID") for a in root]


def esearch(client: httpx.Client, **params: str | int) -> etree._Element:
    response = client.get("esearch.fcgi", params={"db": "pubmed", **params})
    assert response.status_code == 200
    return etree.fromstring(response.content)


@pytest.fixture(scope="module")
def samples() -> Corpus:
    if not samples_present():
        need_samples()
    return Corpus.from_paths(sample_paths())


@pytest.fixture(scope="module")
def hundred() -> Corpus:
    return Corpus.synthetic(100, START, END)


@pytest.fixture
def server(hundred: Corpus):
    with ReplayServer(hundred, cap=50, phrase_not_found={"fleegle[MeSH Terms]"}) as srv:
        srv.faults.slow_seconds = 0.2
        yield srv


@pytest.fixture
def client(server: ReplayServer):
    with httpx.Client(base_url=server.url, timeout=5) as c:
        yield c


# --- corpus ---------------------------------------------------------------------------------


def test_corpus_keeps_each_record_of_the_real_samples(samples: Corpus) -> None:
    assert len(samples) > 250
    assert "20301577" in samples  # a PubmedBookArticle
    book = etree.fromstring(samples.get("20301577"))
    assert book.tag == "PubmedBookArticle"
    record = samples.record("32025781")
    assert (record.crdt, record.mdat) == (date(2020, 2, 7), date(2020, 9, 1))  # entrez, revised


def test_corpus_stores_the_exact_serialized_element() -> None:
    path = EFETCH_SAMPLES / "ncbiutils-orcid.xml"
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    article = etree.parse(str(path), parser).getroot()[0]
    corpus = Corpus.from_paths([path])
    assert corpus.get("32820036") == etree.tostring(article, with_tail=False)


def test_create_date_falls_back_to_the_pubmed_date() -> None:
    corpus = Corpus.from_paths([EFETCH_SAMPLES / "klortho-efetch.pubmedexample.xml"])
    record = corpus.record("17284678")  # History has aheadofprint and pubmed, no entrez
    assert record.crdt == date(2007, 2, 8)
    assert record.mdat == record.crdt  # no DateRevised either


def test_later_file_replaces_an_earlier_version() -> None:
    first = EFETCH_SAMPLES / "klortho-efetch.pubmed.xml"
    second = EFETCH_SAMPLES / "klortho-efetch.pubmedexample.xml"  # also holds PMID 17284678
    newest = Corpus.from_paths([second]).get("17284678")
    assert Corpus.from_paths([first, second]).get("17284678") == newest


def test_malformed_file_is_an_error_naming_the_file() -> None:
    with pytest.raises(CorpusError, match="reciter-special_characters-MALFORMED.xml"):
        Corpus.from_paths([MALFORMED])


def test_gzipped_file_loads_like_the_plain_one(tmp_path: Path) -> None:
    plain = EFETCH_SAMPLES / "ncbiutils-pubmed.xml"
    packed = tmp_path / "pubmed25n0001.xml.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    a, b = Corpus.from_paths([plain]), Corpus.from_paths([packed])
    assert a.pmids() == b.pmids() and len(a) == 5
    assert all(a.get(p) == b.get(p) for p in a.pmids())


def test_delete_citation_removes_records_loaded_before() -> None:
    corpus = Corpus()
    corpus.add_raw("21334990", synthetic_article(21334990, START), START)
    corpus.load(UPDATE_FILE)
    assert corpus.get("21334990") is None
    assert "21334990" in corpus.deleted and len(corpus.deleted) == 559
    assert "17212035" in corpus  # an ordinary record of the same file stays


def test_search_ands_ranges_and_orders_by_pmid_descending(hundred: Corpus) -> None:
    jan = hundred.search((date(2024, 1, 1), date(2024, 1, 31)), None)
    assert jan == [str(40_000_000 + i) for i in range(30, -1, -1)]
    assert hundred.search((date(2024, 1, 1), date(2024, 1, 31)), (date(2024, 1, 31), END)) == [
        "40000030"
    ]
    assert len(hundred.search(None, None)) == 100


def test_replace_changes_bytes_and_modification_date(hundred: Corpus) -> None:
    corpus = hundred.copy()
    edited = synthetic_article(
        40000005,
        date(2024, 1, 6),
        mdat=date(2024, 6, 1),
        publication_types=["Journal Article", "Retracted Publication"],
        comments=[("RetractionIn", "40000099")],
    )
    corpus.replace("40000005", edited, date(2024, 6, 1))
    assert corpus.get("40000005") == edited
    assert corpus.search(None, (date(2024, 6, 1), date(2024, 6, 1))) == ["40000005"]
    assert corpus.record("40000005").crdt == date(2024, 1, 6)
    with pytest.raises(KeyError):
        corpus.replace("1", edited, date(2024, 6, 1))


def test_synthetic_corpus_is_fast_distinct_and_evenly_spread() -> None:
    started = time.perf_counter()
    corpus = Corpus.synthetic(10_000, date(2020, 1, 1), date(2024, 12, 31))
    assert time.perf_counter() - started < 2
    assert len(set(corpus.pmids())) == 10_000
    first, last = corpus.record("40000000"), corpus.record("40009999")
    assert (first.crdt, last.crdt) == (date(2020, 1, 1), date(2024, 12, 31))
    years = range(2020, 2025)
    per_year = [len(corpus.search((date(y, 1, 1), date(y, 12, 31)), None)) for y in years]
    assert max(per_year) - min(per_year) <= 10
    article = etree.fromstring(corpus.get("40000123"))
    assert article.findtext("MedlineCitation/Article/ArticleTitle")
    assert article.findtext("MedlineCitation/Article/Abstract/AbstractText")
    assert article.findtext("PubmedData/ArticleIdList/ArticleId[@IdType='doi']")


# --- term parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "term",
    [
        '("2024/01/10"[crdt] : "2024/01/19"[crdt])',
        "2024/01/10[Date - Create]:2024/01/19[Date - Create]",
        '(  "2024/1/10" [edat]:"2024/01/19"[EDAT] )',
        "asthma AND 2024/01/10:2024/01/19[crdt]",
    ],
)
def test_term_date_range_forms(term: str) -> None:
    assert parse_filter({"term": term}) == DateFilter(crdt=(date(2024, 1, 10), date(2024, 1, 19)))


def test_term_ranges_and_datetype_are_anded() -> None:
    params = {
        "term": '("2024/01/01"[crdt] : "2024/03/31"[crdt]) AND 2024/02[Date - Modification]',
        "datetype": "edat",
        "mindate": "2024/02/15",
        "maxdate": "2024",
    }
    assert parse_filter(params) == DateFilter(
        crdt=(date(2024, 2, 15), date(2024, 3, 31)), mdat=(date(2024, 2, 1), date(2024, 2, 29))
    )
    assert parse_filter({"term": "mesenchymal[tiab]"}) == DateFilter()
    with pytest.raises(TermError):
        parse_date("2024/13/01")


# --- esearch --------------------------------------------------------------------------------


def test_esearch_applies_the_crdt_window_and_ignores_topic_words(client: httpx.Client) -> None:
    root = esearch(client, term=window("2024/01/10", "2024/01/19"))
    assert root.findtext("Count") == "10" and root.findtext("RetStart") == "0"
    assert [e.text for e in root.iterfind("IdList/Id")] == [str(40000018 - i) for i in range(10)]
    assert root.findtext("QueryTranslation").startswith('("Mesenchymal Stem Cells"')


def test_esearch_mdat_and_datetype_forms(client: httpx.Client) -> None:
    mdat = esearch(client, term=window("2024/01/10", "2024/01/19", "mdat"))
    dated = esearch(client, term=TOPIC, datetype="edat", mindate="2024/01/10", maxdate="2024/01/19")
    assert mdat.findtext("Count") == dated.findtext("Count") == "10"
    assert esearch(client, term=TOPIC).findtext("Count") == "100"


def test_esearch_bad_db_is_an_in_band_error_like_ncbi(client: httpx.Client) -> None:
    response = client.get("esearch.fcgi", params={"db": "fleegle", "term": "x"})
    sample = etree.parse(str(SAMPLES / "pubmed-esearch" / "klortho-esearch.baderror.xml"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml; charset=UTF-8"
    got = etree.fromstring(response.content)
    assert (got.tag, got.findtext("ERROR")) == ("eSearchResult", sample.findtext("ERROR"))


def test_esearch_json_has_ncbi_shape(client: httpx.Client) -> None:
    response = client.get(
        "esearch.fcgi",
        params={
            "db": "pubmed",
            "term": window("2024/01/01", "2024/01/05"),
            "retmode": "json",
            "usehistory": "y",
            "retmax": "3",
        },
    )
    sample = json.loads((SAMPLES / "pubmed-esearch" / "klortho-esearch.pubmed.json").read_text())
    result = response.json()["esearchresult"]
    assert response.headers["content-type"].startswith("application/json")
    expected_keys = {"count", "retmax", "retstart", "querykey", "webenv", "idlist"}
    assert expected_keys <= set(sample["esearchresult"]) and expected_keys <= set(result)
    assert (result["count"], result["retmax"], result["retstart"]) == ("5", "3", "0")
    assert result["querykey"] == "1" and result["webenv"].startswith("MCID_")
    assert result["idlist"] == ["40000004", "40000003", "40000002"]
    scalars = {k: v for k, v in result.items() if k not in ("idlist", "translationset")}
    assert all(isinstance(v, str) for v in scalars.values())


def test_count_is_true_but_ids_stop_at_the_cap(client: httpx.Client) -> None:
    full = esearch(client, term=TOPIC, retmax=100)
    assert full.findtext("Count") == "100" and full.findtext("RetMax") == "50"
    straddling = esearch(client, term=TOPIC, retstart=40, retmax=20)
    assert len(straddling.findall("IdList/Id")) == 10  # truncated without warning
    assert straddling.find("WarningList") is None
    assert len(esearch(client, term=TOPIC, retstart=49).findall("IdList/Id")) == 1


def test_retstart_beyond_the_cap_is_an_in_band_error(client: httpx.Client) -> None:
    root = esearch(client, term=TOPIC, retstart=50)
    assert root.findtext("ERROR").startswith("'retstart' cannot be larger than 49.")
    assert root.find("Count") is None


def test_phrase_not_found_gives_zero_and_an_error_list(client: httpx.Client) -> None:
    term = f"{TOPIC} AND fleegle[MeSH Terms]"
    root = esearch(client, term=term)
    assert root.findtext("Count") == "0"
    assert root.findtext("ErrorList/PhraseNotFound") == "fleegle[MeSH Terms]"
    result = client.get(
        "esearch.fcgi", params={"db": "pubmed", "term": term, "retmode": "json"}
    ).json()["esearchresult"]
    assert result["errorlist"]["phrasesnotfound"] == ["fleegle[MeSH Terms]"]


# --- efetch ---------------------------------------------------------------------------------


def test_webenv_pages_through_the_whole_capped_result(client: httpx.Client) -> None:
    root = esearch(client, term=TOPIC, usehistory="y", retmax=0)
    webenv, key = root.findtext("WebEnv"), root.findtext("QueryKey")
    assert webenv.startswith("MCID_") and key == "1"
    fetched: list[str] = []
    for start in range(0, 60, 20):
        response = client.post(
            "efetch.fcgi",
            data={
                "db": "pubmed",
                "retmode": "xml",
                "WebEnv": webenv,
                "query_key": key,
                "retstart": str(start),
                "retmax": "20",
            },
        )
        assert response.headers["content-type"] == "text/xml; charset=UTF-8"
        fetched += pmids_in(response.content)
    assert fetched == [str(40000099 - i) for i in range(50)]
    again = esearch(client, term=window("2024/01/01", "2024/01/02"), usehistory="y", WebEnv=webenv)
    assert (again.findtext("WebEnv"), again.findtext("QueryKey")) == (webenv, "2")


def test_efetch_by_ids_via_get_and_post_omits_unknown_ids(client: httpx.Client) -> None:
    ids = ["40000003", "1", "40000001", "40000003"]
    got = client.get("efetch.fcgi", params={"db": "pubmed", "retmode": "xml", "id": ",".join(ids)})
    posted = client.post("efetch.fcgi", data={"db": "pubmed", "id": ",".join(ids)})
    assert got.content == posted.content
    assert pmids_in(got.content) == ["40000003", "40000001"]
    assert b"pubmed_250101.dtd" in got.content.split(b"<PubmedArticleSet>")[0]
    empty = client.get("efetch.fcgi", params={"db": "pubmed", "id": "1,2"})
    assert pmids_in(empty.content) == []


def test_efetch_serves_the_stored_bytes_of_real_records(samples: Corpus) -> None:
    with ReplayServer(samples) as srv, httpx.Client(base_url=srv.url) as c:
        response = c.get("efetch.fcgi", params={"db": "pubmed", "id": "32025781,20301577"})
    assert samples.get("32025781") in response.content
    assert pmids_in(response.content) == ["32025781", "20301577"]


def test_deleted_and_edited_records_show_upstream_changes(hundred: Corpus) -> None:
    corpus = hundred.copy()
    with ReplayServer(corpus) as srv, httpx.Client(base_url=srv.url) as c:
        corpus.delete("40000002")
        edited = synthetic_article(40000001, date(2024, 1, 2), title="Retracted: an MSC study.")
        corpus.replace("40000001", edited, date(2024, 7, 1))
        body = c.get("efetch.fcgi", params={"db": "pubmed", "id": "40000001,40000002"}).content
        changed = esearch(c, term=window("2024/07/01", "2024/07/01", "mdat"))
    assert pmids_in(body) == ["40000001"] and edited in body
    assert [e.text for e in changed.iterfind("IdList/Id")] == ["40000001"]


def test_expired_or_unknown_webenv_is_ncbis_in_band_error(
    server: ReplayServer, client: httpx.Client
) -> None:
    webenv = esearch(client, term=TOPIC, usehistory="y").findtext("WebEnv")
    server.expire_history()
    for env in (webenv, "MCID_unknown"):
        response = client.get(
            "efetch.fcgi", params={"db": "pubmed", "WebEnv": env, "query_key": "1"}
        )
        assert (response.status_code, response.content) == (200, EXPIRED)


def test_unknown_path_is_404_and_requests_are_recorded(
    server: ReplayServer, client: httpx.Client
) -> None:
    assert client.get("esummary.fcgi").status_code == 404
    client.post("efetch.fcgi?db=pubmed", data={"id": "40000001", "tool": "mscwatch"})
    last = server.requests[-1]
    assert isinstance(last, RecordedRequest)
    assert (last.method, last.path) == ("POST", "/efetch.fcgi")
    assert last.params == {"db": "pubmed", "id": "40000001", "tool": "mscwatch"}
    assert abs(last.time - time.time()) < 5


def test_parallel_requests_are_all_answered(server: ReplayServer, client: httpx.Client) -> None:
    def fetch(i: int) -> list[str]:
        return pmids_in(client.get("efetch.fcgi", params={"id": str(40000000 + i)}).content)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(fetch, range(40)))
    assert results == [[str(40000000 + i)] for i in range(40)]
    assert len(server.requests) == 40


# --- server lifecycle -----------------------------------------------------------------------


def test_binds_to_loopback_only(server: ReplayServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}/"
    with socket.create_connection(("127.0.0.1", server.port), timeout=1):
        pass
    # Linux routes all of 127/8 to lo: a wildcard bind would accept this, a 127.0.0.1 bind not.
    with pytest.raises(OSError), socket.create_connection(("127.0.0.2", server.port), timeout=1):
        pass


def test_close_does_not_wait_for_idle_keep_alive_clients(hundred: Corpus) -> None:
    srv = ReplayServer(hundred)
    with httpx.Client(base_url=srv.url) as c:
        assert c.get("esearch.fcgi", params={"term": TOPIC}).status_code == 200
        started = time.perf_counter()
        srv.close()
        assert time.perf_counter() - started < 1
        srv.close()
        with pytest.raises(httpx.TransportError):
            c.get("esearch.fcgi", params={"term": TOPIC})


# --- faults ---------------------------------------------------------------------------------


def test_429_has_retry_after_and_ncbis_json_body(
    server: ReplayServer, client: httpx.Client
) -> None:
    server.faults.queue("429")
    server.faults.retry_after = "7"
    response = client.get("esearch.fcgi", params={"term": TOPIC})
    assert response.status_code == 429 and response.headers["retry-after"] == "7"
    assert response.json() == {"error": "API rate limit exceeded", "count": "11"}
    assert client.get("esearch.fcgi", params={"term": TOPIC}).status_code == 200


@pytest.mark.parametrize(
    ("kind", "status", "text"),
    [
        ("500", 500, b"Internal Server Error"),
        ("502", 502, b"Bad Gateway"),
        ("503", 503, b"Service unavailable"),
        ("html", 200, b"<h1>Service Temporarily Unavailable</h1>"),
    ],
)
def test_error_pages(
    server: ReplayServer, client: httpx.Client, kind: str, status: int, text: bytes
) -> None:
    server.faults.queue(kind)
    response = client.get("efetch.fcgi", params={"id": "40000001"})
    assert response.status_code == status and text in response.content
    assert response.headers["content-type"].startswith("text/html")


def test_error_xml_is_in_band_for_each_endpoint(server: ReplayServer, client: httpx.Client) -> None:
    server.faults.queue("error_xml", times=2)
    search = esearch(client, term=TOPIC)
    assert search.tag == "eSearchResult"
    assert search.findtext("ERROR").startswith("Search Backend failed:")
    fetched = client.get("efetch.fcgi", params={"id": "40000001"})
    assert (fetched.status_code, fetched.content) == (200, EXPIRED)


def test_slow_answers_normally_after_the_delay(server: ReplayServer, client: httpx.Client) -> None:
    server.faults.queue("slow")
    started = time.perf_counter()
    response = client.get("efetch.fcgi", params={"id": "40000001"})
    assert time.perf_counter() - started >= 0.2
    assert pmids_in(response.content) == ["40000001"]


def test_drop_closes_without_an_answer(server: ReplayServer, client: httpx.Client) -> None:
    server.faults.queue("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("efetch.fcgi", params={"id": "40000001"})
    assert client.get("efetch.fcgi", params={"id": "40000001"}).status_code == 200


def test_truncate_sends_half_the_promised_body(server: ReplayServer) -> None:
    server.faults.queue("truncate")
    request = b"GET /efetch.fcgi?id=40000001 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as sock:
        sock.sendall(request)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
    assert len(body) == int(headers[b"Content-Length"]) // 2 > 0
    server.faults.queue("truncate")
    with httpx.Client(base_url=server.url) as c, pytest.raises(httpx.RemoteProtocolError):
        c.get("efetch.fcgi", params={"id": "40000001"})


def test_queued_faults_respect_path_and_times(server: ReplayServer, client: httpx.Client) -> None:
    server.faults.queue("503", times=2, path="efetch")
    assert client.get("esearch.fcgi", params={"term": TOPIC}).status_code == 200
    statuses = [client.get("efetch.fcgi", params={"id": "40000001"}).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert server.faults.injected == {"503": 2}
    assert len(server.requests) == 4  # faulted requests are recorded too


def test_random_faults_repeat_for_a_seed(hundred: Corpus) -> None:
    def statuses(seed: int) -> list[int]:
        with ReplayServer(hundred) as srv, httpx.Client(base_url=srv.url) as c:
            srv.faults.random(0.4, ["500", "503", "429"], seed=seed)
            return [c.get("efetch.fcgi", params={"id": "40000001"}).status_code for _ in range(30)]

    first = statuses(7)
    assert first == statuses(7)
    assert first != statuses(8)
    assert 0 < sum(s != 200 for s in first) < 30


def test_fault_plan_rejects_unknown_kinds_and_clear_stops_injection() -> None:
    plan = FaultPlan()
    with pytest.raises(ValueError):
        plan.queue("teapot")
    plan.queue("500", times=3)
    plan.random(1.0, ["503"], seed=1)
    assert plan.take("/efetch.fcgi") == "500"
    plan.clear()
    assert plan.take("/efetch.fcgi") is None
    assert plan.injected == {"500": 1}
