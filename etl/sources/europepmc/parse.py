"""Europe PMC REST search pages (JSON or XML) -> normalised paper records, without network access.

A page holds at most 1000 results, a few megabytes with `resultType=core`, so it is read whole:
JSON with the standard `json` module, XML with lxml (see `xmlpage`), each XML result first turned
into the dict the JSON format holds, so that one mapping (`fields.paper_record`) serves both. Each
result becomes one record or one quarantine entry, so a bad result never costs the rest of its
page. A record's raw bytes are its result re-serialised compactly (JSON) or its `<result>`
element (XML): the API does not split a page into per-result bytes.

Paging reads the same body: `next_cursor` gives the cursorMark of the next page (None on the last
one), `hit_count` how many results the query matched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lxml import etree

from etl.normalize.text import valid_json
from etl.records import Quarantined, SourceRecord, failure_reason
from etl.sources.base import MAX_PAGE, read_page
from etl.sources.europepmc.fields import SOURCE, ParseError, paper_record, record_key
from etl.sources.europepmc.xmlpage import (
    XML_ROOTS,
    XmlPage,
    chunk_key,
    describe_error,
    element_dict,
    parse_result,
    result_chunks,
)
from etl.sources.sniff import HEAD, describe, wrong_file

ParseResult = SourceRecord | Quarantined

_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number"}


def parse_search(source: str | Path | bytes, location: str | None = None) -> Iterator[ParseResult]:
    """Records (and quarantined failures) from one search response, JSON or XML.

    `source` is a path (`.json`, `.xml`, either `.gz`) or the bytes of a response; `location`
    names it in messages (defaults to the file name, or `<response>` for bytes).
    """
    where, body = read_page(SOURCE, source, location, "a search page", MAX_PAGE)
    if isinstance(body, Quarantined):
        yield body
        return
    refusal = _refusal(body[:HEAD])
    if refusal:
        yield Quarantined(SOURCE, where, "", refusal, body, whole_file=True)
    elif _is_xml(body):
        yield from _xml_records(body, where)
    else:
        yield from _json_records(body, where)


def next_cursor(body: bytes) -> str | None:
    """The `nextCursorMark` to send for the next page, or None after the last page.

    The last page has no `nextCursorMark` (API 6.6+) or, with older releases, repeats the cursor
    it was sent; the request echo holds that cursor URL-encoded ("%2A" for "*"). A body that is
    not a search response raises ValueError rather than reading as "last page", which would end a
    crawl early and let it save a watermark past results it never saw.
    """
    header = _header(body)
    cursor = header.get("nextCursorMark")
    if not isinstance(cursor, str) or not cursor.strip():
        return None
    request = header.get("request")
    sent = request.get("cursorMark") if isinstance(request, dict) else None
    if isinstance(sent, str) and cursor in (sent, unquote(sent)):
        return None
    return cursor


def hit_count(body: bytes) -> int | None:
    """How many results the query matched (`hitCount`), or None if the response does not say."""
    count = _header(body).get("hitCount")
    if isinstance(count, str) and count.strip().isdigit():  # XML: all values are text
        return int(count)
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _json_records(body: bytes, where: str) -> Iterator[ParseResult]:
    try:
        document = _load(body)
    except ValueError as exc:
        yield Quarantined(SOURCE, where, "", f"not JSON: {exc}", body)
        return
    try:
        results = _results_of(document)
    except ValueError as exc:
        yield Quarantined(SOURCE, where, "", str(exc), body)
        return
    total = len(results)
    for i, result in enumerate(results):
        position = f"result {i + 1} of {total} (resultList.result[{i}])"
        yield _record_of(result, position, where, _compact(result))


def _xml_records(body: bytes, where: str) -> Iterator[ParseResult]:
    try:
        page = XmlPage(body)
    except etree.XMLSyntaxError as exc:
        yield from _recover(body, where, exc)
        return
    except ValueError as exc:
        yield Quarantined(SOURCE, where, "", str(exc), body)
        return
    results = page.results()
    total = len(results)
    for i, elem in enumerate(results):
        position = f"result {i + 1} of {total}"
        yield _record_of(element_dict(elem), position, where, etree.tostring(elem))


def _recover(body: bytes, where: str, first_error: etree.XMLSyntaxError) -> Iterator[ParseResult]:
    """A page that is not well-formed: each `<result>` is parsed on its own, so the complete ones
    still come through and a broken one is quarantined with its id; the break itself is reported
    when no single result holds it (a page cut short after its last complete result)."""
    broken = seen = 0
    for line, chunk in result_chunks(body):
        seen += 1
        try:
            elem = parse_result(chunk)
        except etree.XMLSyntaxError as exc:
            broken += 1
            reason = f"result {seen}: {describe_error(exc, first_line=line)}"
            yield Quarantined(SOURCE, where, chunk_key(chunk), reason, chunk)
            continue
        yield _record_of(element_dict(elem), f"result {seen}", where, chunk)
    if not broken:
        place = f" (after {seen} complete results)" if seen else ""
        reason = describe_error(first_error) + place
        yield Quarantined(SOURCE, where, "", reason, b"" if seen else body)


def _record_of(result: Any, position: str, where: str, raw: bytes) -> ParseResult:
    if not isinstance(result, dict):
        reason = f"{position} is not a JSON object (got {_json_type(result)})"
        return Quarantined(SOURCE, where, "", reason, raw)
    try:
        # Every string valid Unicode first: JSON may carry a lone surrogate ("\\ud800"), which
        # could be neither stored nor printed; it becomes U+FFFD (the raw bytes keep it escaped).
        data = paper_record(valid_json(result))
    except Exception as exc:  # a ParseError, or a value no rule foresaw: this result's failure
        reason = f"{position}: {failure_reason(exc)}"
        return Quarantined(SOURCE, where, _raw_key(result), reason, raw)
    return SourceRecord(data, raw, where)


def _results_of(document: Any) -> list[Any]:
    if not isinstance(document, dict):
        raise ValueError(f"not a Europe PMC search response (got {_json_type(document)})")
    result_list = document.get("resultList")
    if result_list is None:
        keys = ", ".join(sorted(document)[:5]) or "none"
        raise ValueError(f"not a Europe PMC search response (no resultList; keys: {keys})")
    results = result_list.get("result", []) if isinstance(result_list, dict) else None
    if not isinstance(results, list):
        raise ValueError("resultList.result is not a JSON array")
    return results


def _header(body: bytes) -> dict[str, Any]:
    """The paging fields of a page, JSON or XML; ValueError for anything else."""
    if _is_xml(body):
        try:
            return XmlPage(body).header()
        except etree.XMLSyntaxError as exc:
            raise ValueError(describe_error(exc)) from exc
    document = _load(body)
    if not isinstance(document, dict) or not ("resultList" in document or "hitCount" in document):
        raise ValueError(f"not a Europe PMC search response (got {_json_type(document)})")
    return document


def _load(body: bytes) -> Any:
    """Parsed JSON; ValueError (never RecursionError) for anything that is not JSON."""
    try:
        return json.loads(body)
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc


EXPECTED = "a Europe PMC search response (format=json, or format=xml: <responseWrapper>)"


def _refusal(head: bytes) -> str | None:
    """A file that is certainly no search response (an HTML page, UTF-16 XML, PubMed XML, a
    feed, nothing at all); JSON and the page's own XML are judged by their contents."""
    what = describe(head)
    if what == "JSON" or what.startswith("not XML"):
        return None  # judged as JSON, which says where it breaks
    if what.startswith("UTF-16"):
        return (
            f"this is UTF-16 text, not {EXPECTED}: the API sends UTF-8; convert the file "
            "(iconv -f UTF-16 -t UTF-8) and parse it again"
        )
    return wrong_file(head, EXPECTED, XML_ROOTS)


def _is_xml(body: bytes) -> bool:
    return body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _compact(result: Any) -> bytes:
    """The result as compact UTF-8 JSON; with \\u escapes if it holds a lone surrogate
    (valid JSON that UTF-8 cannot carry), so one odd character never stops a page."""
    try:
        return json.dumps(result, separators=(",", ":"), ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(result, separators=(",", ":")).encode()


def _raw_key(result: dict[str, Any]) -> str:
    """Whatever key the result has, so a quarantined one can still be looked up."""
    try:
        source, ident = record_key(result)
    except ParseError:
        raw = result.get("id")
        return raw.strip() if isinstance(raw, str) else ""
    return f"{source}:{ident}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return next((name for kind, name in _JSON_TYPES.items() if isinstance(value, kind)), "value")
