"""CT.gov API v2 JSON -> normalised trial records, without network access.

The input is either a `/studies` page (`{"studies": [...], "nextPageToken", "totalCount"}`) or one
study (`/studies/{nctId}`, `{"protocolSection": ...}`). A page holds at most 1000 studies, a few
megabytes, so it is read whole with the standard `json` module; each study then becomes one record
or one quarantine entry, so a bad study never costs the rest of its page. Each record's raw bytes
are the study re-serialised compactly: a page is not split into per-study bytes by the API.

Paging reads the same body: `page_token` says whether there is a next page, `total_count` how many
studies the query matched (first page only, and only with `countTotal=true`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from etl.normalize.text import valid_json
from etl.records import Quarantined, SourceRecord, failure_reason
from etl.sources.base import MAX_PAGE, read_page
from etl.sources.ctgov.fields import SOURCE, study_record

ParseResult = SourceRecord | Quarantined

_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number"}


def parse_studies(source: str | Path | bytes, location: str | None = None) -> Iterator[ParseResult]:
    """Records (and quarantined failures) from a `/studies` page or a single-study document.

    `source` is a path (`.json`, or `.json.gz`) or the bytes of a response; `location` names it in
    messages (defaults to the file name, or `<response>` for bytes).
    """
    where, body = read_page(SOURCE, source, location, "a /studies page", MAX_PAGE)
    if isinstance(body, Quarantined):
        yield body
        return
    try:
        document = _load(body)
    except ValueError as exc:
        yield Quarantined(SOURCE, where, "", f"not JSON: {exc}", body)
        return
    try:
        studies = _studies_of(document)
    except ValueError as exc:
        yield Quarantined(SOURCE, where, "", str(exc), body)
        return
    for position, study in studies:
        yield _record_of(study, position, where)


def page_token(body: bytes) -> str | None:
    """The `nextPageToken` of a page, or None on the last page.

    Only the token decides: a page may hold no studies and still have a next one. A body that is
    not a JSON object raises ValueError rather than reading as "last page", which would end a crawl
    early and let it save a watermark past studies it never saw.
    """
    token = _page(body).get("nextPageToken")
    return token if isinstance(token, str) and token.strip() else None


def total_count(body: bytes) -> int | None:
    """The `totalCount` of a page: on the first page of a `countTotal=true` query only."""
    count = _page(body).get("totalCount")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _record_of(study: Any, position: str, where: str) -> ParseResult:
    raw = _compact(study)
    if not isinstance(study, dict):
        reason = f"{position} is not a JSON object (got {_json_type(study)})"
        return Quarantined(SOURCE, where, "", reason, raw)
    try:
        # Every string valid Unicode first: JSON may carry a lone surrogate ("\\ud800"), which
        # could be neither stored nor printed; it becomes U+FFFD (the raw bytes keep it escaped).
        data = study_record(valid_json(study))
    except Exception as exc:  # a ParseError, or a value no rule foresaw: this study's failure
        reason = f"{position}: {failure_reason(exc)}"
        return Quarantined(SOURCE, where, _raw_nct(study), reason, raw)
    return SourceRecord(data, raw, where)


def _studies_of(document: Any) -> list[tuple[str, Any]]:
    """(position as a person reads it, study) for a page or a single study."""
    if isinstance(document, dict) and "studies" in document:
        studies = document["studies"]
        if not isinstance(studies, list):
            raise ValueError(f'"studies" is not a JSON array (got {_json_type(studies)})')
        total = len(studies)
        return [(f"study {i + 1} of {total} (studies[{i}])", s) for i, s in enumerate(studies)]
    if isinstance(document, dict) and "protocolSection" in document:
        return [("the study", document)]
    if isinstance(document, dict):
        keys = ", ".join(sorted(document)[:5]) or "none"
        raise ValueError(f"neither a /studies page nor a study object (top-level keys: {keys})")
    raise ValueError(f"neither a /studies page nor a study object (got {_json_type(document)})")


def _page(body: bytes) -> dict[str, Any]:
    document = _load(body)
    if not isinstance(document, dict):
        raise ValueError(f"not a /studies page (got {_json_type(document)})")
    return document


def _load(body: bytes) -> Any:
    """Parsed JSON; ValueError (never RecursionError) for anything that is not JSON."""
    try:
        return json.loads(body)
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc


def _compact(study: Any) -> bytes:
    """The study as compact UTF-8 JSON; with \\u escapes if it holds a lone surrogate
    (valid JSON that UTF-8 cannot carry), so one odd character never stops a page."""
    try:
        return json.dumps(study, separators=(",", ":"), ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(study, separators=(",", ":")).encode()


def _raw_nct(study: dict[str, Any]) -> str:
    """Whatever stands in the NCT id field, so a quarantined study can still be looked up."""
    protocol = study.get("protocolSection")
    ident = protocol.get("identificationModule") if isinstance(protocol, dict) else None
    value = ident.get("nctId") if isinstance(ident, dict) else None
    return value.strip() if isinstance(value, str) else ""


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return next((name for kind, name in _JSON_TYPES.items() if isinstance(value, kind)), "value")
