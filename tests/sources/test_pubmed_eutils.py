"""Every recorded esearch answer, through the same checks the crawler applies."""

from __future__ import annotations

import httpx
import pytest

from etl.errors import SourceResponseError
from etl.http import BadBody
from etl.sources.pubmed.eutils import check_efetch, check_esearch, window_term
from tests.conftest import SAMPLES

ESEARCH = SAMPLES / "pubmed-esearch"


def answer(name: str) -> httpx.Response:
    return httpx.Response(200, content=(ESEARCH / name).read_bytes())


@pytest.mark.parametrize(
    ("name", "count", "first", "webenv"),
    [
        ("biocommons-esearchresults-1.xml", 3, "19209718", True),
        ("klortho-esearch.pubmed.xml", 15169, "23175848", True),
        ("klortho-esearch.pubmed.json", 15169, "23175848", True),
        ("aoi0731-esearch.json", 32, "42531649", False),
    ],
)
def test_esearch_answers_are_read(name: str, count: int, first: str, webenv: bool) -> None:
    result = check_esearch(answer(name))
    assert result.count == count and result.ids[0] == first
    assert bool(result.webenv) is webenv


@pytest.mark.parametrize("name", ["klortho-esearch.error.xml", "klortho-esearch.error.json"])
def test_phrase_not_found_is_refused_not_read_as_results(name: str) -> None:
    with pytest.raises(SourceResponseError, match=r"PhraseNotFound 'fleegle\[MeSH Terms\]'"):
        check_esearch(answer(name))


def test_error_element_is_an_error_for_the_request() -> None:
    with pytest.raises(BadBody, match="Invalid db name specified: fleegle"):
        check_esearch(answer("klortho-esearch.baderror.xml"))


@pytest.mark.parametrize(
    "name", ["klortho-einfo.error.xml", "klortho-einfo.pubmed.xml", "klortho-esummary.pubmed.xml"]
)
def test_answers_of_other_utilities_are_named_not_misread(name: str) -> None:
    with pytest.raises(BadBody, match=r"expected <eSearchResult>, got <e(Info|Summary)Result>"):
        check_esearch(answer(name))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "HTML page"),
        (
            b'<?xml version="1.0"?>\n<PubmedArticleSet>\n<PubmedArticle><MedlineCitation>',
            "cut short",
        ),
        (b"<eFetchResult><ERROR>Search Backend failed</ERROR></eFetchResult>", "Backend failed"),
        (b'{"error":"API rate limit exceeded","count":"11"}', "not a PubmedArticleSet"),
    ],
)
def test_efetch_bodies_that_are_not_pubmed_xml_are_errors(body: bytes, reason: str) -> None:
    with pytest.raises(BadBody, match=reason):
        check_efetch(httpx.Response(200, content=body))


def test_empty_set_is_a_valid_empty_answer() -> None:
    empty = (SAMPLES / "pubmed-efetch" / "metapub-37909814-empty.xml").read_bytes()
    assert check_efetch(httpx.Response(200, content=empty)) == empty


def test_window_term_wraps_the_query() -> None:
    from datetime import date

    term = window_term('"MSC"[tiab]\n  AND cancer', "crdt", date(2026, 1, 2), date(2026, 1, 9))
    assert term == '("MSC"[tiab] AND cancer) AND ("2026/01/02"[crdt] : "2026/01/09"[crdt])'
