"""Filters and order of the evidence map, from query parameters: plain functions over rows.

Filter names and values are the classification's ids (`cancer=aml&phase=phase2&source=
umbilical_cord`), so a link to a filtered map means the same in both editions and search can use
the same names. Several values of one filter are alternatives; different filters must all hold.
An unknown filter or sort is ignored rather than refused: a shared link from an older map still
opens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from etl.evidence.rows import CLINICAL_STAGES, EvidenceRow
from etl.facts.words import STATUS

FILTERS = ("cancer", "strategy", "source", "phase", "status", "country", "kind", "year")
SORTS = ("updated", "year", "study", "strategy", "cancer", "phase", "source", "status",
         "patients", "country", "sponsor", "kind")  # fmt: skip
DEFAULT_SORT, DEFAULT_ORDER = "updated", "desc"
STATUS_ORDER = (*STATUS, "published", "retracted")


@dataclass(frozen=True)
class Query:
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = DEFAULT_SORT
    order: str = DEFAULT_ORDER

    def params(self, **changes: str | None) -> str:
        """The query string of this view (with `changes`), for links and the CSV address."""
        pairs = [(name, value) for name in FILTERS for value in self.filters.get(name, ())]
        sort, order = changes.get("sort", self.sort), changes.get("order", self.order)
        if (sort, order) != (DEFAULT_SORT, DEFAULT_ORDER):
            pairs += [("sort", sort or DEFAULT_SORT), ("order", order or DEFAULT_ORDER)]
        return urlencode(pairs)

    def chosen(self, name: str) -> str:
        return self.filters.get(name, ("",))[0]


def parse_query(get: Callable[[str], list[str]]) -> Query:
    """A query from a request's parameters (`get` returns every value of a name)."""
    filters = {}
    for name in FILTERS:
        values = tuple(dict.fromkeys(v.strip() for v in get(name) if v.strip()))
        if values:
            filters[name] = values
    sort = next(iter(get("sort")), DEFAULT_SORT)
    order = next(iter(get("order")), DEFAULT_ORDER)
    return Query(
        filters,
        sort if sort in SORTS else DEFAULT_SORT,
        order if order in ("asc", "desc") else DEFAULT_ORDER,
    )


def values(row: EvidenceRow, name: str) -> tuple[str, ...]:
    """The filter values a row has under `name`."""
    found: dict[str, Any] = {
        "cancer": row.cancers,
        "strategy": row.strategies,
        "source": row.sources,
        "phase": (row.phase,),
        "status": (row.status.lower() if row.status else None,),  # recruiting, as search has it
        "country": row.countries,
        "kind": (row.kind,),
        "year": (str(row.year) if row.year else None,),
    }
    return tuple(value for value in found[name] if value)


def select(
    rows: Iterable[EvidenceRow], query: Query, text: Callable[[EvidenceRow, str], str]
) -> list[EvidenceRow]:
    """The rows the filters let through, in the query's order. `text(row, column)` is the cell as
    a reader sees it: text columns sort by their words in the edition shown. A row without the
    value sorts last either way."""
    kept = [row for row in rows if all(set(values(row, name)) & set(wanted)
                                       for name, wanted in query.filters.items())]  # fmt: skip
    key = _key(query.sort, text)
    present = [row for row in kept if key(row) is not None]
    missing = [row for row in kept if key(row) is None]
    present.sort(key=lambda row: row.key)  # stable ties: by identifier
    present.sort(key=key, reverse=query.order == "desc")
    return present + missing


def _key(sort: str, text: Callable[[EvidenceRow, str], str]) -> Callable[[EvidenceRow], Any]:
    if sort == "patients":
        return lambda row: row.patients
    if sort == "year":
        return lambda row: row.year
    if sort == "updated":
        return lambda row: row.updated
    if sort == "phase":
        return lambda row: (
            CLINICAL_STAGES.index(row.phase) if row.phase in CLINICAL_STAGES else None
        )
    if sort == "status":
        return lambda row: STATUS_ORDER.index(row.status) if row.status in STATUS_ORDER else None
    return lambda row: text(row, sort).casefold() or None


def options(rows: Sequence[EvidenceRow], name: str) -> list[tuple[str, int]]:
    """Each value of a filter among the rows, with how many rows have it, most common first."""
    counts = Counter(value for row in rows for value in values(row, name))
    if name == "year":
        return sorted(counts.items(), reverse=True)
    if name == "phase":
        return sorted(counts.items(), key=lambda item: CLINICAL_STAGES.index(item[0]))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
