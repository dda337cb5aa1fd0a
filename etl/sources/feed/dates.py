"""Dates in feed entries -> ISO dates, on the publisher's own calendar day.

feedparser's `*_parsed` values are converted to UTC, which moves "Mon, 20 Dec 2021 00:09:28
-0800" to the 20th but a Tokyo midnight to the day before; so the date as written is read first
(W3C/ISO or RFC 822), and the UTC value only when the text is in some other form.
"""

from __future__ import annotations

import re
import time
from email.utils import parsedate_tz
from typing import Any

from etl.normalize.text import iso_date

# Where feeds date an entry, in order: RSS pubDate / Atom published, dc:date (feedparser files it
# under "updated", as it does Atom's updated), PRISM's publication and cover dates.
DATE_KEYS = ("published", "updated", "prism_publicationdate", "prism_coverdate")

_ISO = re.compile(r"^\s*(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:$|[T\s])")
_DAY_MONTH_YEAR = re.compile(r"\b(?:(\d{1,2})\s+)?([A-Za-z]{3,9})\.?\s+(\d{4})\b")


def entry_published(entry: dict[str, Any], fallback_text: str = "") -> str | None:
    """The entry's date as "YYYY-MM-DD" (or "YYYY-MM", "YYYY"); `fallback_text` is a date written
    in words ("February 2022", ScienceDirect's "Publication date:"), read when nothing else is."""
    for key in DATE_KEYS:
        found = iso_from_text(entry.get(key)) or _from_struct(entry.get(f"{key}_parsed"))
        if found:
            return found
    return _from_words(fallback_text)


def iso_from_text(value: Any) -> str | None:
    """ "2021-12-20T12:09:28-08:00", "2021-08", "Fri, 05 Nov 2021 06:00:00 -0400" -> ISO date."""
    if not isinstance(value, str) or not value.strip():
        return None
    match = _ISO.match(value)
    if match:
        return iso_date(match[1], match[2], match[3])
    parts = parsedate_tz(value)
    if parts and parts[0] > 0:
        return iso_date(str(parts[0]), str(parts[1]), str(parts[2]))
    return None


def _from_struct(value: Any) -> str | None:
    if isinstance(value, time.struct_time):
        return f"{value.tm_year:04d}-{value.tm_mon:02d}-{value.tm_mday:02d}"
    return None


def _from_words(text: str) -> str | None:
    match = _DAY_MONTH_YEAR.search(text or "")
    return iso_date(match[3], match[2], match[1]) if match else None
