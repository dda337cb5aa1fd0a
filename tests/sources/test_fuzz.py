"""Any bytes at all, given to any of the five parsers, give records or clear errors: never a
traceback, never text that cannot be stored or printed, never more than a set memory.

Inputs are raw bytes, and real documents of each format broken by random edits that favour the
characters parsers trip on (tags, entities, character references, surrogate escapes, BOMs).
Each parser gets a few seconds: enough, with the seeds below, to have found every crash the
parsers had, and small enough for the normal suite.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.records import Quarantined, SourceRecord
from etl.sources.ctgov.parse import parse_studies
from etl.sources.europepmc.parse import parse_search
from etl.sources.feed.parse import parse_feed
from etl.sources.ictrp.parse import parse_ictrp
from etl.sources.pubmed.parse import parse_efetch

MEMORY_LIMIT = 64 << 20  # bytes of Python allocations a parse of a few KB may peak at

SEEDS: dict[str, bytes] = {
    "pubmed": b'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet>\n<PubmedArticleSet>\n'
    b'<PubmedArticle><MedlineCitation Status="MEDLINE"><PMID Version="1">123</PMID><Article>'
    b"<Journal><Title>J</Title><JournalIssue><PubDate><Year>2024</Year><Month>May</Month>"
    b"</PubDate></JournalIssue></Journal><ArticleTitle>[MSCs in 10<sup>6</sup> &amp; AML]."
    b'</ArticleTitle><Abstract><AbstractText Label="R">NCT01234567 p<sub>trend</sub>'
    b'</AbstractText></Abstract><AuthorList><Author ValidYN="Y"><LastName>Qiu</LastName>'
    b"<ForeName>Z</ForeName></Author></AuthorList><Language>eng</Language></Article>"
    b'</MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="doi">10.1/x</ArticleId>'
    b"</ArticleIdList></PubmedData></PubmedArticle>\n<DeleteCitation><PMID>5</PMID>"
    b"</DeleteCitation>\n</PubmedArticleSet>\n",
    "ctgov": b'{"studies": [{"protocolSection": {"identificationModule": {"nctId": "NCT01234567",'
    b' "briefTitle": "MSC \\ud800 10^6^", "secondaryIdInfos": [{"id": "IRCT20180216038783N1"}]},'
    b' "statusModule": {"overallStatus": "RECRUITING", "startDateStruct": {"date": "2024-05"}},'
    b' "designModule": {"phases": ["PHASE2"], "enrollmentInfo": {"count": 40}}}}],'
    b' "nextPageToken": "abc"}',
    "ictrp": b"<?xml version='1.0' encoding='UTF-8' ?><Trials_downloaded_from_ICTRP>\r\n"
    b"<Trial><TrialID>ChiCTR2000029308</TrialID><Public_title>MSC &amp;lt;sup&amp;gt;6"
    b"&amp;lt;/sup&amp;gt;</Public_title><Date_registration3>20200101</Date_registration3>"
    b"<Phase>Phase 2</Phase><Target_size>40</Target_size><Secondary_IDs>NCT01234567</Secondary_IDs>"
    b"</Trial>\r\n</Trials_downloaded_from_ICTRP>",
    "europepmc": b'{"hitCount": 1, "nextCursorMark": "AoE", "resultList": {"result": [{"id": "1",'
    b' "source": "MED", "pmid": "1", "title": "m&lt;sup&gt;6&lt;/sup&gt;A", "abstractText":'
    b' "<h4>Results</h4>10<sup>6</sup> \\udfff", "authorList": {"author": [{"fullName": "Qiu Z"},'
    b' {"fullName": "Qiu Z"}]}, "firstPublicationDate": "2024-05-01"}]}}',
    "feed": b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>J</title>'
    b"<language>en-us</language><item><title>MSCs &#55357;&#56832; &#x110000;</title>"
    b"<link>https://example.org/a?doi=10.1/x</link><guid>pubmed:123</guid><description>"
    b"<![CDATA[<p>Abstract</p><p>10<sup>6</sup> cells, NCT01234567</p>]]></description>"
    b"<pubDate>Mon, 06 May 2024 00:00:00 GMT</pubDate></item></channel></rss>",
}
PARSERS: dict[str, Callable[[bytes], Iterator[SourceRecord | Quarantined]]] = {
    "pubmed": lambda body: parse_efetch(body, location="fuzz"),
    "ctgov": lambda body: parse_studies(body, location="fuzz"),
    "ictrp": lambda body: parse_ictrp(body, location="fuzz"),
    "europepmc": lambda body: parse_search(body, location="fuzz"),
    "feed": lambda body: parse_feed(body, location="fuzz", feed_name="fuzz"),
}
TRICKY = [
    b"<", b">", b"&", b";", b"</", b"/>", b"&#", b"&#xD800;", b"&#x110000;", b"&#55357;",
    b"&amp;", b"&xxe;", b"\\ud800", b"\\u", b'"', b"{", b"}", b"[", b"]", b"\x00", b"\xff\xfe",
    b"\xef\xbb\xbf", b"\xed\xa0\x80", b"\xc3", b"<![CDATA[", b"]]>", b"<!--", b"<sup>", b"</sup>",
    b"<PubmedArticle>", b"</PubmedArticle>", b"<Trial>", b"</Trial>", b"<item>", b"<result>",
    b"<!DOCTYPE x [<!ENTITY e 'v'>]>", b"\r\n", b" ", b"0", b"9",
]  # fmt: skip


@st.composite
def broken(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed with a few random cuts, insertions and replacements."""
    body = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, len(body)))
        kind = draw(st.sampled_from(("insert", "delete", "replace", "cut")))
        piece = draw(st.sampled_from(TRICKY) | st.binary(min_size=1, max_size=4))
        if kind == "insert":
            body[where:where] = piece
        elif kind == "delete":
            del body[where : where + draw(st.integers(1, 40))]
        elif kind == "replace":
            body[where : where + len(piece)] = piece
        else:
            del body[where:]
    return bytes(body)


def check(name: str, body: bytes) -> None:
    tracemalloc.start()
    try:
        items = list(PARSERS[name](body))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT, f"{name}: {peak / 2**20:.0f} MB for {len(body)} bytes"
    for item in items:
        if isinstance(item, Quarantined):
            assert item.reason and isinstance(item.reason, str)
            item.describe().encode("utf-8")  # a message that can be printed
        else:
            assert isinstance(item, SourceRecord)
            json.dumps(item.data, ensure_ascii=False).encode("utf-8")  # storable, printable
            assert item.source_id and isinstance(item.source_id, str)


FUZZ = settings(
    max_examples=70,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_the_seeds_parse(name: str) -> None:
    items = list(PARSERS[name](SEEDS[name]))
    assert items and all(isinstance(i, SourceRecord) for i in items), items


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(data=st.data())
def test_broken_documents_give_records_or_clear_errors(name: str, data: st.DataObject) -> None:
    check(name, data.draw(broken(SEEDS[name])))


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(body=st.binary(max_size=600))
def test_any_bytes_give_records_or_clear_errors(name: str, body: bytes) -> None:
    check(name, body)
