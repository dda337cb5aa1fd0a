"""E-utilities calls (esearch, efetch) and the checks that tell a real answer from a bad one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import httpx
from lxml import etree

from etl.errors import SourceResponseError
from etl.http import BUSY_HINT, BadBody, RateLimiter, RetryPolicy, request
from etl.settings import PubMedSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
POST_ABOVE = 200  # ids per efetch beyond which the list goes in a POST body (NCBI's advice)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


@dataclass(frozen=True)
class SearchResult:
    count: int
    ids: list[str]
    webenv: str | None
    query_key: str | None
    # How PubMed read the term, and its WarningList as "Tag: text": what an operator needs to
    # judge a query, which the crawl itself does not use.
    translation: str | None = None
    warnings: tuple[str, ...] = ()


class QueryRejected(SourceResponseError):
    """PubMed's ErrorList: parts of the query it does not know, with how it read the rest."""

    def __init__(
        self, problems: list[str], translation: str | None, warnings: tuple[str, ...]
    ) -> None:
        super().__init__(
            f"pubmed: esearch did not understand the query: {'; '.join(problems)}",
            "fix sources.pubmed.query in config/sources.toml (check it with the PubMed web search)",
        )
        self.problems = problems
        self.translation = translation
        self.warnings = warnings


class HistoryExpired(Exception):
    """The history server no longer knows our WebEnv: fetch by id instead."""


class EUtils:
    """A thin client for one PubMed configuration: identification, rate limit, retries."""

    def __init__(
        self,
        client: httpx.Client,
        settings: PubMedSettings,
        limiter: RateLimiter,
        policy: RetryPolicy,
        api_key: str | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.limiter = limiter
        self.policy = policy
        self.identity = {"tool": settings.tool, "email": settings.email}
        if api_key:
            self.identity["api_key"] = api_key

    def esearch(self, term: str, retmax: int) -> SearchResult:
        params = {
            "db": "pubmed",
            "term": term,
            "retmax": str(retmax),
            "usehistory": "y",
            **self.identity,
        }
        return self._call("esearch.fcgi", params, check_esearch, "esearch")

    def efetch_history(self, result: SearchResult, retstart: int, retmax: int) -> bytes:
        params = {
            "db": "pubmed",
            "retmode": "xml",
            "WebEnv": result.webenv or "",
            "query_key": result.query_key or "",
            "retstart": str(retstart),
            "retmax": str(retmax),
            **self.identity,
        }
        return self._call("efetch.fcgi", params, check_efetch_history, "efetch")

    def efetch_ids(self, ids: list[str]) -> bytes:
        params = {"db": "pubmed", "retmode": "xml", "id": ",".join(ids), **self.identity}
        post = len(ids) > POST_ABOVE
        return self._call("efetch.fcgi", params, check_efetch, "efetch", post=post)

    def _call(
        self,
        path: str,
        params: dict[str, str],
        check: Callable[[httpx.Response], T],
        what: str,
        post: bool = False,
    ) -> T:
        url = self.settings.base_url + path
        return request(
            self.client,
            "POST" if post else "GET",
            url,
            check,
            what=f"pubmed: {what}",
            params=None if post else params,
            data=params if post else None,
            limiter=self.limiter,
            policy=self.policy,
            setting="[sources.pubmed] base_url in config/sources.toml",
            busy_hint=f"{BUSY_HINT} (NCBI_API_KEY raises PubMed's rate limit)",
        )


def window_term(query: str, field: str, start: date, end: date) -> str:
    """The topic query restricted to a day-granular, inclusive date window."""
    span = f'("{start:%Y/%m/%d}"[{field}] : "{end:%Y/%m/%d}"[{field}])'
    return f"({' '.join(query.split())}) AND {span}"


def check_esearch(response: httpx.Response) -> SearchResult:
    """An esearch answer (XML, or the JSON of retmode=json) as a SearchResult, or why not."""
    if response.content.lstrip()[:1] == b"{":
        return _esearch_json(response)
    root = _xml_root(response, "eSearchResult")
    error = root.findtext("ERROR")
    if error:
        raise BadBody(f"esearch reported an error: {error.strip()}")
    translation = (root.findtext("QueryTranslation") or "").strip() or None
    warnings = [(item.tag, item.text or "") for item in root.iterfind("WarningList/*")]
    _refuse_query_errors(
        [(item.tag, item.text or "") for item in root.iterfind("ErrorList/*")],
        translation,
        warnings,
    )
    for tag, text in warnings:
        # "No items found." is how an empty window is reported: quiet news, not a problem.
        level = logging.DEBUG if tag == "OutputMessage" else logging.WARNING
        log.log(level, "pubmed: esearch %s: %s", tag, text)
    count_text = root.findtext("Count")
    if count_text is None or not count_text.strip().isdigit():
        raise BadBody("esearch answer has no Count")
    return SearchResult(
        count=int(count_text),
        ids=[(i.text or "").strip() for i in root.iterfind("IdList/Id")],
        webenv=root.findtext("WebEnv"),
        query_key=root.findtext("QueryKey"),
        translation=translation,
        warnings=_shown(warnings),
    )


def _esearch_json(response: httpx.Response) -> SearchResult:
    try:
        result = response.json()["esearchresult"]
    except (ValueError, KeyError, TypeError):
        raise BadBody("not the JSON of an esearch answer") from None
    if "ERROR" in result:
        raise BadBody(f"esearch reported an error: {result['ERROR']}")
    translation = str(result.get("querytranslation") or "").strip() or None
    warnings = _json_list(result.get("warninglist"))
    _refuse_query_errors(_json_list(result.get("errorlist")), translation, warnings)
    count = str(result.get("count", ""))
    if not count.isdigit():
        raise BadBody("esearch answer has no count")
    return SearchResult(
        count=int(count),
        ids=[str(i) for i in result.get("idlist", [])],
        webenv=result.get("webenv"),
        query_key=result.get("querykey"),
        translation=translation,
        warnings=_shown(warnings),
    )


# The JSON answer names the XML elements in lower-case plurals.
_JSON_NAMES = {
    "phrasesnotfound": "PhraseNotFound",
    "fieldsnotfound": "FieldNotFound",
    "phrasesignored": "PhraseIgnored",
    "quotedphrasesnotfound": "QuotedPhraseNotFound",
    "outputmessages": "OutputMessage",
}


def _json_list(lists: object) -> list[tuple[str, str]]:
    """An `errorlist` or `warninglist` object as the (tag, text) pairs of its XML form."""
    if not isinstance(lists, dict):
        return []
    return [
        (_JSON_NAMES.get(str(kind), str(kind)), str(value))
        for kind, values in lists.items()
        for value in values or []
    ]


def _shown(pairs: list[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(f"{tag}: {text.strip()}" for tag, text in pairs if text and text.strip())


def _refuse_query_errors(
    problems: list[tuple[str, str]], translation: str | None, warnings: list[tuple[str, str]]
) -> None:
    """A misspelt tag gives Count 0 plus PhraseNotFound: a broken query, not a quiet day."""
    shown = [f"{kind} {text.strip()!r}" for kind, text in problems if text and text.strip()]
    if shown:
        raise QueryRejected(shown, translation, _shown(warnings))


def check_efetch_history(response: httpx.Response) -> bytes:
    """As check_efetch, but an error about the stored query means the history has expired."""
    body = response.content
    if b"<eFetchResult" in body[:400]:
        message = _error_text(body)
        if "query" in message.lower() or "session" in message.lower():
            raise HistoryExpired(message)
    return check_efetch(response)


def check_efetch(response: httpx.Response) -> bytes:
    """The body, once it is known to be one complete PubmedArticleSet."""
    body = response.content
    head = body[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:300]:
        raise BadBody("an HTML page instead of PubMed XML")
    tail = body.rstrip()[-64:]
    if b"<eFetchResult" in body[:400]:
        raise BadBody(f"efetch reported an error: {_error_text(body)}")
    if b"<PubmedArticleSet" not in body[:2048]:
        raise BadBody(f"not a PubmedArticleSet (starts {body[:60]!r})")
    if not tail.endswith((b"</PubmedArticleSet>", b"<PubmedArticleSet/>")):
        raise BadBody(f"the XML is cut short after {len(body)} bytes")
    return body


def _xml_root(response: httpx.Response, expected: str) -> etree._Element:
    body = response.content
    if b"<html" in body[:300].lower():
        raise BadBody("an HTML page instead of E-utilities XML")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise BadBody(f"not well-formed XML: {exc}") from None
    if root.tag != expected:
        raise BadBody(f"expected <{expected}>, got <{root.tag}>")
    return root


def _error_text(body: bytes) -> str:
    try:
        return (etree.fromstring(body, _PARSER).findtext("ERROR") or "").strip() or "unknown error"
    except etree.XMLSyntaxError:
        return body[:200].decode("utf-8", "replace")
