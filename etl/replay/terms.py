"""The part of a PubMed search the replay server honours: create and modification date ranges.

Topic words are ignored (the corpus is already the topic), so a crawler's real query text can be
sent unchanged and only its ``[crdt]``/``[mdat]`` windows, or ``datetype``/``mindate``/``maxdate``,
select records.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

DateRange = tuple[date, date]

_DATE = r'"?\s*(\d{4}(?:/\d{1,2}){0,2})\s*"?'
_TAG = r"\[\s*(crdt|edat|mdat|date\s*-\s*create|date\s*-\s*entry|date\s*-\s*modification)\s*\]"
# "a"[tag] : "b"[tag], a:b[tag] and a lone "a"[tag] (one day, month or year).
_RANGE = re.compile(rf"{_DATE}\s*(?:{_TAG}\s*)?(?::\s*{_DATE}\s*)?{_TAG}", re.IGNORECASE)
_MODIFICATION = ("mdat", "date-modification")
# pdat (publication date) is not modelled: records are selected by create/modification date only.
_DATETYPES = {"crdt": "crdt", "edat": "crdt", "mdat": "mdat"}


class TermError(ValueError):
    """A date in a term or in mindate/maxdate that PubMed would reject."""


@dataclass(frozen=True, slots=True)
class DateFilter:
    """The create-date and modification-date windows a search is limited to (None = any)."""

    crdt: DateRange | None = None
    mdat: DateRange | None = None

    def narrowed(self, field: str, bounds: DateRange) -> DateFilter:
        """AND one more range onto ``field`` (``crdt`` or ``mdat``)."""
        old = getattr(self, field)
        if old is not None:
            bounds = (max(old[0], bounds[0]), min(old[1], bounds[1]))
        return replace(self, **{field: bounds})


def parse_filter(params: Mapping[str, str]) -> DateFilter:
    """Date windows from ``term`` plus ``datetype``/``mindate``/``maxdate``, all ANDed."""
    result = DateFilter()
    for match in _RANGE.finditer(params.get("term", "")):
        first, _, second, tag = match.groups()
        field = "mdat" if re.sub(r"\s", "", tag.lower()) in _MODIFICATION else "crdt"
        result = result.narrowed(field, (parse_date(first), parse_date(second or first, end=True)))
    datetype = _DATETYPES.get(params.get("datetype", "").lower())
    if datetype and params.get("mindate") and params.get("maxdate"):
        bounds = (parse_date(params["mindate"]), parse_date(params["maxdate"], end=True))
        result = result.narrowed(datetype, bounds)
    return result


def parse_date(text: str, end: bool = False) -> date:
    """``YYYY``, ``YYYY/MM`` or ``YYYY/MM/DD``; partial dates give their first (or last) day."""
    try:
        parts = [int(p) for p in text.strip().strip('"').split("/")]
        if len(parts) > 3:
            raise ValueError(text)
        year = parts[0]
        month = parts[1] if len(parts) > 1 else (12 if end else 1)
        day = parts[2] if len(parts) > 2 else (calendar.monthrange(year, month)[1] if end else 1)
        return date(year, month, day)
    except ValueError as err:
        raise TermError(f"Invalid date: {text}") from err
