"""Defensive reads of a Europe PMC result: any wrapper may be missing, and a list of one may come
as the bare object (the XML format does that), so nothing here assumes a type."""

from __future__ import annotations

import re
from typing import Any

from etl.normalize.text import iso_date

_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
# Lists whose items are plain values; every other wrapped list holds objects.
_SCALAR_ITEMS = frozenset({"keyword", "pubType", "fullTextId"})


def listed(container: dict[str, Any], item: str) -> list[Any]:
    """The items of a wrapped list (`{"authorList": {"author": [...]}}`) found by the item name;
    the wrapper is `<item>List`, except `authorAffiliationDetailsList` for `authorAffiliation`.
    Items of the wrong type are dropped."""
    wrapper = "authorAffiliationDetailsList" if item == "authorAffiliation" else f"{item}List"
    values = items(obj(container, wrapper).get(item))
    return values if item in _SCALAR_ITEMS else [v for v in values if isinstance(v, dict)]


def items(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def obj(container: dict[str, Any], key: str) -> dict[str, Any]:
    value = container.get(key)
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str:
    """Strings as they are, numbers as digits (XML gives "2025" where JSON gives 2025)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def date(value: Any) -> str | None:
    """ "2025-06-16" (or a partial ISO date) as the record's ISO date; None for anything else."""
    match = _ISO.match(text(value).strip())
    return iso_date(match[1], match[2], match[3]) if match else None
