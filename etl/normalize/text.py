"""Text and date clean-up shared by the parsers: plain text out of mixed XML content, ISO dates."""

from __future__ import annotations

import re

from lxml import etree

MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_SEASONS = {"winter": 1, "spring": 4, "summer": 7, "fall": 10, "autumn": 10}
_MEDLINE_DATE = re.compile(r"(\d{4})(?:\s+([A-Za-z]+)(?:\s+(\d{1,2}))?)?")


_UNUSUAL_SPACE = re.compile(r"[^\S ]|  ")  # any whitespace but a single plain space


def squash(text: str | None) -> str:
    """Collapse runs of whitespace (including newlines from pretty-printing) to one space."""
    if not text:
        return ""
    if _UNUSUAL_SPACE.search(text):
        return " ".join(text.split())
    return text.strip()  # only single plain spaces inside: the same result, far cheaper


_TIGHT = frozenset({"sub", "sup"})


def squash_all(texts: list[str]) -> list[str]:
    """squash() for a list, with one whitespace check for the whole list in the common case."""
    if _UNUSUAL_SPACE.search("\x00".join(texts)):
        return [squash(text) for text in texts]
    return [text.strip() for text in texts]


def inner_text(elem: etree._Element | None) -> str:
    """All text of an element with inline markup (<i>, <sup>, MathML) removed, entities decoded."""
    if elem is None:
        return ""
    if len(elem) == 0:
        return squash(elem.text)
    parts: list[str] = []
    _mixed_text(elem, parts)
    return squash("".join(parts))


def _mixed_text(elem: etree._Element, parts: list[str]) -> None:
    """Text in document order; pretty-printing line breaks before <sub>/<sup> are dropped so that
    "β<sub>2</sub>" stays "β2" even when an export put the <sub> on its own line."""
    parts.append(elem.text or "")
    for child in elem:
        if isinstance(child.tag, str):
            if child.tag in _TIGHT:
                last = parts[-1]
                kept = last.rstrip()
                if "\n" in last[len(kept) :]:
                    parts[-1] = kept
            _mixed_text(child, parts)
        parts.append(child.tail or "")


def month_number(value: str | None) -> int | None:
    """'Jan', 'january', '01' or '1' -> 1; anything else -> None."""
    if not value:
        return None
    value = value.strip().lower()
    if value.isdigit():
        number = int(value)
        return number if 1 <= number <= 12 else None
    return MONTHS.get(value[:3]) or _SEASONS.get(value)


def iso_date(year: str | None, month: str | None = None, day: str | None = None) -> str | None:
    """Partial ISO date: "2024", "2024-05" or "2024-05-17"; None without a plausible year."""
    if not year or not year.strip().isdigit() or len(year.strip()) != 4:
        return None
    result = year.strip()
    number = month_number(month)
    if number is None:
        return result
    result += f"-{number:02d}"
    if day and day.strip().isdigit() and 1 <= int(day) <= 31:
        result += f"-{int(day):02d}"
    return result


def date_of(elem: etree._Element | None) -> str | None:
    """ISO date from an element with Year/Month/Day (or Season, or a free-text MedlineDate)."""
    if elem is None:
        return None
    parts = {child.tag: child.text for child in elem}
    year = parts.get("Year")
    if year:
        month = parts.get("Month")
        if month is None:
            season = parts.get("Season")
            return iso_date(year, season.split("-")[0] if season else None)
        return iso_date(year, month, parts.get("Day"))
    medline = parts.get("MedlineDate")
    if medline:
        match = _MEDLINE_DATE.search(medline)
        if match:
            return iso_date(match[1], match[2], match[3])
    return None
