"""Text and date clean-up shared by the parsers: plain text out of mixed XML content, ISO dates."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from etl.normalize.script import subscript, superscript

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
    "β<sub>2</sub>" stays "β₂" even when an export put the <sub> on its own line. A raised or
    lowered run keeps its meaning in plain text: "10<sup>6</sup>" is "10⁶" (see
    etl.normalize.script), never "106"."""
    parts.append(elem.text or "")
    for child in elem:
        tag = child.tag
        if isinstance(tag, str):
            if tag in _TIGHT:
                last = parts[-1]
                kept = last.rstrip()
                if "\n" in last[len(kept) :]:
                    parts[-1] = kept
                inner: list[str] = []
                _mixed_text(child, inner)
                run = "".join(inner)
                parts.append(superscript(run) if tag == "sup" else subscript(run))
            else:
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


def valid_text(text: str) -> str:
    """Text that UTF-8 can carry: a lone surrogate (JSON allows "\\ud800", and a character
    reference or a decoder with `surrogatepass` can make one) becomes U+FFFD; a surrogate pair
    left split becomes the character it stands for."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def valid_json(value: Any) -> Any:
    """`valid_text` applied to every string of parsed JSON (keys too)."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {valid_text(k): valid_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [valid_json(v) for v in value]
    return value


_UNRESOLVED = re.compile(r"&[A-Za-z][A-Za-z0-9._-]{0,31};")


def drop_unresolved(text: str) -> str:
    """Entity references left in text after every known one was decoded ("&xxe;": declared in
    a DTD nobody resolves, or no entity at all) are removed: they stand for nothing we read."""
    return _UNRESOLVED.sub("", text) if "&" in text else text
