"""ESearch and EFetch answers computed from a corpus, shaped like NCBI's, HTTP left aside.

Kept apart from the HTTP plumbing so the PubMed rules the crawler must cope with (the 9,999
window, in-band errors at HTTP 200, PhraseNotFound, silently missing ids, expiring history) are
in one place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape

from etl.replay.corpus import Corpus
from etl.replay.history import History
from etl.replay.terms import parse_filter

XML_TYPE = "text/xml; charset=UTF-8"
JSON_TYPE = "application/json; charset=UTF-8"
EFETCH_MAX = 10_000

_ESEARCH_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC '
    '"-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
_EFETCH_HEAD = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC '
    b'"-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    b'"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
)
_JSON_HEADER = {"type": "esearch", "version": "0.3"}


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer before it is written: status, body, content type and extra headers."""

    status: int
    body: bytes
    content_type: str = XML_TYPE
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class _Page:
    count: int
    retstart: int
    ids: list[str]
    translation: str
    webenv: str | None = None
    query_key: int | None = None
    not_found: tuple[str, ...] = ()


class EUtils:
    """The two E-utilities the crawler uses, over a corpus, a result cap and a history store."""

    def __init__(self, corpus: Corpus, cap: int, phrase_not_found: set[str]) -> None:
        self.corpus = corpus
        self.cap = cap
        self.phrase_not_found = phrase_not_found
        self.history = History()

    def esearch(self, params: Mapping[str, str]) -> Reply:
        """Search by the date windows in the term; page within the cap; store history if asked."""
        as_json = params.get("retmode", "xml").lower() == "json"
        try:
            page = self._search(params)
        except ValueError as err:
            return esearch_error(str(err), as_json)
        if params.get("rettype") == "count":
            return _count_reply(page.count, as_json)
        return _json_page(page) if as_json else _xml_page(page)

    def efetch(self, params: Mapping[str, str]) -> Reply:
        """Stored records for an id list or a stored search, unknown and deleted ids left out."""
        if params.get("db", "pubmed") != "pubmed":
            return efetch_error(f"Invalid db name specified: {params['db']}")
        try:
            ids = self._fetch_ids(params)
        except (LookupError, ValueError) as err:
            return efetch_error(str(err))
        found = (self.corpus.get(pmid) for pmid in ids)
        body = b"".join(xml + b"\n" for xml in found if xml is not None)
        return Reply(200, _EFETCH_HEAD + b"<PubmedArticleSet>\n" + body + b"</PubmedArticleSet>\n")

    def _search(self, params: Mapping[str, str]) -> _Page:
        if params.get("db", "pubmed") != "pubmed":
            raise ValueError(f"Invalid db name specified: {params['db']}")
        term = params.get("term", "").strip()
        dates = parse_filter(params)
        if not term and dates.crdt is None and dates.mdat is None:
            raise ValueError("Empty term and query_key - nothing todo")
        retstart = _int(params, "retstart", 0)
        retmax = min(_int(params, "retmax", 20), self.cap)
        if retstart > self.cap - 1:
            raise ValueError(_cap_message(self.cap))
        missing = tuple(sorted(p for p in self.phrase_not_found if p.lower() in term.lower()))
        ids = [] if missing else self.corpus.search(dates.crdt, dates.mdat)
        window = ids[: self.cap]
        webenv, key = None, None
        if params.get("usehistory", "").lower() == "y":
            webenv, key = self.history.store(window, params.get("WebEnv"))
        page_ids = window[retstart : retstart + retmax]
        return _Page(len(ids), retstart, page_ids, term, webenv, key, missing)

    def _fetch_ids(self, params: Mapping[str, str]) -> list[str]:
        if params.get("id", "").strip():
            wanted = (p.strip() for p in params["id"].split(","))
            return list(dict.fromkeys(p for p in wanted if p))
        if not params.get("WebEnv"):
            raise ValueError("Empty id list - nothing todo")
        key = _int(params, "query_key", 1)
        stored = self.history.get(params["WebEnv"], key)
        if stored is None:
            raise LookupError(f"Unable to obtain query #{key}")  # expired or never stored
        retstart = _int(params, "retstart", 0)
        return stored[retstart : retstart + min(_int(params, "retmax", 20), EFETCH_MAX)]


def esearch_error(message: str, as_json: bool = False) -> Reply:
    """An in-band ESearch ``ERROR`` at HTTP 200, as NCBI sends it."""
    if as_json:
        doc = {"header": _JSON_HEADER, "esearchresult": {"ERROR": message}}
        return Reply(200, json.dumps(doc).encode(), JSON_TYPE)
    body = f"{_ESEARCH_HEAD}<eSearchResult><ERROR>{escape(message)}</ERROR></eSearchResult>\n"
    return Reply(200, body.encode())


def efetch_error(message: str) -> Reply:
    """An in-band EFetch ``ERROR`` at HTTP 200, as NCBI sends it."""
    body = (
        '<?xml version="1.0" encoding="UTF-8" ?>'
        f"<eFetchResult><ERROR>{escape(message)}</ERROR></eFetchResult>"
    )
    return Reply(200, body.encode())


def _cap_message(cap: int) -> str:
    return (
        f"'retstart' cannot be larger than {cap - 1}. For PubMed, ESearch can only retrieve the "
        f"first {cap:,} records matching the query. To obtain more than {cap:,} PubMed records, "
        "consider using EDirect that contains additional logic to batch PubMed search results "
        "automatically so that an arbitrary number can be retrieved."
    )


def _int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ValueError(f"Invalid {name} value: {raw}")
    return int(raw)


def _count_reply(count: int, as_json: bool) -> Reply:
    if as_json:
        doc = {"header": _JSON_HEADER, "esearchresult": {"count": str(count)}}
        return Reply(200, json.dumps(doc).encode(), JSON_TYPE)
    return Reply(
        200, f"{_ESEARCH_HEAD}<eSearchResult><Count>{count}</Count></eSearchResult>\n".encode()
    )


def _xml_page(page: _Page) -> Reply:
    history = ""
    if page.webenv:
        history = f"<QueryKey>{page.query_key}</QueryKey><WebEnv>{page.webenv}</WebEnv>"
    ids = "".join(f"<Id>{pmid}</Id>\n" for pmid in page.ids)
    errors = "".join(f"<PhraseNotFound>{escape(p)}</PhraseNotFound>" for p in page.not_found)
    tail = f"<ErrorList>{errors}</ErrorList>" if errors else ""
    if page.count == 0:
        tail += "<WarningList><OutputMessage>No items found.</OutputMessage></WarningList>"
    body = (
        f"{_ESEARCH_HEAD}<eSearchResult><Count>{page.count}</Count><RetMax>{len(page.ids)}"
        f"</RetMax><RetStart>{page.retstart}</RetStart>{history}<IdList>\n{ids}</IdList>"
        f"<TranslationSet/><QueryTranslation>{escape(page.translation)}</QueryTranslation>"
        f"{tail}</eSearchResult>\n"
    )
    return Reply(200, body.encode())


def _json_page(page: _Page) -> Reply:
    result: dict[str, object] = {
        "count": str(page.count),
        "retmax": str(len(page.ids)),
        "retstart": str(page.retstart),
    }
    if page.webenv:
        result |= {"querykey": str(page.query_key), "webenv": page.webenv}
    result |= {"idlist": page.ids, "translationset": [], "querytranslation": page.translation}
    if page.not_found:
        result["errorlist"] = {"phrasesnotfound": list(page.not_found), "fieldsnotfound": []}
    doc = {"header": _JSON_HEADER, "esearchresult": result}
    return Reply(200, json.dumps(doc, indent=4).encode(), JSON_TYPE)
