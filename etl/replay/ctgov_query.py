"""The part of a CT.gov API v2 ``/studies`` request the replay server honours, and its 400s.

Topic words are ignored (the study corpus is already the topic), so a crawler's real query can be
sent unchanged: only the ``AREA[LastUpdatePostDate]RANGE[lo,hi]`` window, an
``AREA[SecondaryId]"id"`` (how one trial of another registry is looked up), the status and NCT id
filters, the sort and the paging parameters select and order studies. Parameters the API does not
know are refused with its own ``400`` text, so a misspelt parameter fails here as it would there.
Known ones that select nothing here (``fields``, ``postFilter.*``, ``filter.geo``, ``aggFilters``,
other ``query.*`` areas) are accepted and ignored: every study is served whole. Error texts other
than "unknown parameter" and "Error parsing query in <area>" are the replay server's own wording.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000

STATUSES = [
    "ACTIVE_NOT_RECRUITING",
    "COMPLETED",
    "ENROLLING_BY_INVITATION",
    "NOT_YET_RECRUITING",
    "RECRUITING",
    "SUSPENDED",
    "TERMINATED",
    "WITHDRAWN",
    "AVAILABLE",
    "NO_LONGER_AVAILABLE",
    "TEMPORARILY_NOT_AVAILABLE",
    "APPROVED_FOR_MARKETING",
    "WITHHELD",
    "UNKNOWN",
]

# Search-area labels the API names in its "Error parsing query in ..." messages.
AREA_LABELS = {
    "query.term": "Other terms",
    "query.cond": "Conditions or disease",
    "query.intr": "Intervention / treatment",
}
_QUERIES = ("cond", "term", "locn", "titles", "intr", "outc", "spons", "lead", "id", "patient")
_FILTERS = ("overallStatus", "geo", "ids", "advanced", "synonyms")
KNOWN_PARAMS = frozenset(
    {"format", "markupFormat", "aggFilters", "geoDecay", "fields", "sort"}
    | {"countTotal", "pageSize", "pageToken"}
    | {f"query.{name}" for name in _QUERIES}
    | {f"{kind}.{name}" for kind in ("filter", "postFilter") for name in _FILTERS}
)
"""Every ``/studies`` parameter of the 2.0 OpenAPI spec; accepted even where it is ignored."""

_RANGE = re.compile(
    r"AREA\[\s*LastUpdatePostDate\s*\]\s*RANGE\[\s*([^,\]]*?)\s*,\s*([^\]]*?)\s*\]", re.I
)
_SECONDARY = re.compile(r'AREA\[\s*SecondaryId\s*\]\s*(?:"([^"]*)"|([^\s()]+))', re.I)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SPLIT = re.compile(r"[,|]")


class QueryError(ValueError):
    """A request the API refuses with ``400 Bad Request``; the message is the plain-text body."""


@dataclass(frozen=True, slots=True)
class StudyQuery:
    """What selects and orders studies; equal queries may share page tokens."""

    since: date = date.min
    until: date = date.max
    statuses: frozenset[str] = frozenset()
    ncts: frozenset[str] = frozenset()
    descending: bool = False
    secondary_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One ``/studies`` request: the query, and the parameters that may change between pages."""

    query: StudyQuery
    page_size: int
    token: str | None
    count_total: bool


def parse_request(
    params: Mapping[str, str], phrases: Iterable[str] = (), coerce_page_size: bool = False
) -> PageRequest:
    """The request as the replay server reads it; QueryError for anything the API would refuse.

    ``phrases`` play PubMed's PhraseNotFound here: a ``query.term``/``cond``/``intr`` containing
    one (case-insensitively) is refused as an Essie syntax error, the API's way of failing a query.
    """
    unknown = sorted(set(params) - KNOWN_PARAMS)
    if unknown:
        raise QueryError(f"`{unknown[0]}` is unknown parameter")
    if params.get("format", "json").lower() != "json":
        raise QueryError(f"format `{params['format']}` is not served by the replay server")
    _check_phrases(params, phrases)
    since, until = _update_window(params)
    query = StudyQuery(
        since, until, _statuses(params), _ncts(params), _descending(params), _secondary(params)
    )
    token = params.get("pageToken", "").strip() or None
    page_size = _page_size(params.get("pageSize", ""), coerce_page_size)
    return PageRequest(query, page_size, token, _flag(params, "countTotal"))


def _check_phrases(params: Mapping[str, str], phrases: Iterable[str]) -> None:
    for name, label in AREA_LABELS.items():
        text = params.get(name, "").lower()
        for phrase in sorted(phrases):
            if phrase and phrase.lower() in text:
                raise QueryError(
                    f"Error parsing query in {label}: no viable alternative at input '{phrase}'"
                )


def _update_window(params: Mapping[str, str]) -> tuple[date, date]:
    """The intersection of every LastUpdatePostDate RANGE in ``filter.advanced`` and the term
    (the spec's own example puts one in ``query.term``); other Essie pieces are ignored."""
    since, until = date.min, date.max
    for name in ("filter.advanced", "query.term"):
        for low, high in _RANGE.findall(params.get(name, "")):
            since = max(since, _bound(low, "MIN", date.min))
            until = min(until, _bound(high, "MAX", date.max))
    return since, until


def id_key(value: str) -> str:
    """A secondary id as the search matches it: case and spaces do not count, as in Essie."""
    return "".join(value.split()).upper()


def _secondary(params: Mapping[str, str]) -> frozenset[str]:
    """Ids asked for in the SecondaryId area of ``query.term`` (a study must file one of them)."""
    found = _SECONDARY.findall(params.get("query.term", ""))
    return frozenset(id_key(quoted or bare) for quoted, bare in found)


def _bound(value: str, open_word: str, open_value: date) -> date:
    if value.upper() == open_word:
        return open_value
    try:
        if _ISO_DAY.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise QueryError(
        f"Error parsing query in Advanced filter: `{value}` is not a date (yyyy-MM-dd) "
        f"or {open_word} in AREA[LastUpdatePostDate]RANGE"
    )


def _statuses(params: Mapping[str, str]) -> frozenset[str]:
    wanted = _items(params, "overallStatus")
    bad = sorted(s for s in wanted if s not in STATUSES)
    if bad:
        allowed = ", ".join(f"`{s}`" for s in STATUSES)
        raise QueryError(
            "Allowed values for enum field `protocolSection.statusModule.overallStatus` are "
            f"{allowed}; got `{bad[0]}`"
        )
    return frozenset(wanted)


def _ncts(params: Mapping[str, str]) -> frozenset[str]:
    ids = {item.upper() for item in _items(params, "ids")}
    bad = sorted(i for i in ids if not re.fullmatch(r"NCT\d{8}", i))
    if bad:
        raise QueryError(f"`filter.ids` value `{bad[0]}` is not an NCT number")
    return frozenset(ids)


def _items(params: Mapping[str, str], name: str) -> list[str]:
    """A ``filter.*`` comma- or pipe-separated list (``postFilter.*`` is accepted, not applied)."""
    raw = params.get(f"filter.{name}", "")
    return [item.strip() for item in _SPLIT.split(raw) if item.strip()]


def _descending(params: Mapping[str, str]) -> bool:
    """Only LastUpdatePostDate and @relevance are served. With no direction a date field sorts
    descending (the spec's rule); @relevance and no sort give ascending LastUpdatePostDate, then
    NCT id, since the corpus has no relevance scores."""
    items = [item.strip() for item in _SPLIT.split(params.get("sort", "")) if item.strip()]
    if len(items) > 2:
        raise QueryError("`sort` accepts at most 2 items")
    for item in items:
        name, _, direction = item.partition(":")
        if direction.lower() not in ("", "asc", "desc"):
            raise QueryError(f"Invalid sort direction `{direction}` in `{item}`")
        if name.lower() == "lastupdatepostdate":
            return direction.lower() != "asc"
        if name != "@relevance":
            raise QueryError(f"sort field `{name}` is not served by the replay server")
    return False


def _page_size(raw: str, coerce: bool) -> int:
    """The page size; 0 or absent means the default. Above 1000 the replay server refuses
    (the 2.0 spec says the API coerces it down to 1000, which ``coerce`` reproduces)."""
    raw = raw.strip()
    if not raw:
        return DEFAULT_PAGE_SIZE
    if not raw.isdigit():
        raise QueryError(f"Invalid value `{raw}` of parameter `pageSize`: expected integer >= 0")
    size = int(raw)
    if size > MAX_PAGE_SIZE and not coerce:
        raise QueryError(f"`pageSize` must not be greater than {MAX_PAGE_SIZE}, got {size}")
    return min(size, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE


def _flag(params: Mapping[str, str], name: str) -> bool:
    raw = params.get(name, "false").strip().lower()
    if raw not in ("true", "false"):
        raise QueryError(f"Invalid value `{params[name]}` of parameter `{name}`: expected boolean")
    return raw == "true"
