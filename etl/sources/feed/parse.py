"""RSS 1.0/2.0 and Atom feeds -> normalised paper records, from bytes and without network access.

Fetching is the caller's job (httpx, keeping ETag and Last-Modified); feedparser only ever gets
the bytes, wrapped in a stream, so that it can take them neither for a URL to fetch nor for a file
name to open. A set `bozo` flag is judged as rss2email judges it: an encoding override or a
non-XML content type is logged and the entries kept; a SAX error after which feedparser's loose
parser still found entries is logged and those entries kept; a SAX error with no entries, or a
body that is no feed at all, is one quarantine entry. A feed with no entries yields nothing.

Each record's raw bytes are its entry as feedparser read it, as compact JSON: a feed cannot be
cut into per-entry bytes the way an XML record set can.
"""

from __future__ import annotations

import io
import json
import logging
import time
import xml.sax
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser

from etl.normalize.text import squash, valid_json
from etl.records import Quarantined, SourceRecord, failure_reason
from etl.sources.base import read_body
from etl.sources.feed.fields import SOURCE, paper_record
from etl.sources.feed.guard import MAX_BYTES, body_problem, fix_char_refs
from etl.sources.sniff import HEAD, feed_refusal, utf8_declared_otherwise

log = logging.getLogger(__name__)

ParseResult = SourceRecord | Quarantined

# Bozo exceptions that leave the entries intact (rss2email warns and goes on).
BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def parse_feed(
    source: str | Path | bytes,
    location: str | None = None,
    feed_name: str = "",
    max_bytes: int = MAX_BYTES,
) -> Iterator[ParseResult]:
    """Records (and quarantined failures) from the bytes of one feed.

    `source` is a path (`.gz` too) or the response body, never a URL; `location` names it in
    messages (defaults to the file name, or `<response>` for bytes); `feed_name` prefixes every
    `source_id`, so that two feeds' guids can never collide. A body over `max_bytes`, nested
    absurdly deep, or that feedparser cannot read at all is one quarantine entry.
    """
    where = location or ("<response>" if isinstance(source, bytes) else Path(source).name)
    try:
        body = read_body(source, limit=max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        yield Quarantined(SOURCE, where, "", f"cannot read the file: {exc}", b"")
        return
    problem = body_problem(body, max_bytes) or feed_refusal(body[:HEAD])
    if problem:
        yield Quarantined(SOURCE, where, "", problem, body[:max_bytes], whole_file=True)
        return
    head, warning = utf8_declared_otherwise(body[:HEAD])
    if warning:
        log.warning("%s: %s", where, warning)
        body = head + body[HEAD:]
    try:
        parsed = parse_bytes(body)
    except Exception as exc:  # feedparser's own bugs: one feed's failure, never the run's
        reason = f"feedparser could not read the feed: {type(exc).__name__}: {exc}"
        yield Quarantined(SOURCE, where, "", reason, body)
        return
    problem = _bozo_problem(parsed, where)
    if problem:
        yield Quarantined(SOURCE, where, "", problem, body)
        return
    total = len(parsed.entries)
    for i, entry in enumerate(parsed.entries):
        yield _record_of(entry, parsed.feed, f"entry {i + 1} of {total}", where, feed_name)


def feed_name_of(path: str | Path) -> str:
    """The feed name a file stands for: its name without `.xml`-like and `.gz` suffixes."""
    name = Path(path).name
    name = name[:-3] if name.endswith(".gz") else name
    return Path(name).stem


def feed_info(source: str | Path | bytes) -> dict[str, Any]:
    """The feed's title, link, entry count and format ("rss20", "rss10", "atom10", or None)."""
    parsed = parse_bytes(read_body(source, limit=MAX_BYTES))
    return {
        "title": squash(parsed.feed.get("title")) or None,
        "link": squash(parsed.feed.get("link")) or None,
        "entries": len(parsed.entries),
        "version": parsed.get("version") or None,
    }


def parse_bytes(body: bytes) -> feedparser.FeedParserDict:
    """feedparser on bytes only. HTML is kept as sent (sanitize_html=False): records keep text
    alone, and the sanitizer drops markup the parser reads, such as CNKI's "</br>". Character
    references feedparser would raise on are made harmless first (see guard.fix_char_refs)."""
    return feedparser.parse(
        io.BytesIO(fix_char_refs(body)), sanitize_html=False, resolve_relative_uris=False
    )


def _bozo_problem(parsed: feedparser.FeedParserDict, where: str) -> str | None:
    """Why the feed yields nothing but a quarantine entry, or None when its entries are usable."""
    exc = parsed.get("bozo_exception") if parsed.get("bozo") else None
    entries = len(parsed.entries)
    if isinstance(exc, BENIGN_BOZO):
        log.info("%s: %s: %s", where, type(exc).__name__, exc)
    elif exc is not None and entries:
        log.warning("%s: %s; keeping the %d entries read", where, _describe(exc), entries)
    elif exc is not None:
        return f"not a well-formed feed, no entries read: {_describe(exc)}"
    if not entries and not parsed.get("version"):
        return "not an RSS or Atom feed: no feed element found"
    return None


def _describe(exc: Exception) -> str:
    if isinstance(exc, xml.sax.SAXParseException):
        line, column = exc.getLineNumber(), (exc.getColumnNumber() or 0) + 1
        return f"{type(exc).__name__} at line {line}, column {column}: {exc.getMessage()}"
    return f"{type(exc).__name__}: {exc}"


def _record_of(
    entry: dict[str, Any], feed: dict[str, Any], position: str, where: str, feed_name: str
) -> ParseResult:
    raw = _compact(entry)
    try:
        data = valid_json(paper_record(entry, feed, feed_name))
    except Exception as exc:  # a ParseError, or a value no rule foresaw: this entry's failure
        return Quarantined(SOURCE, where, "", f"{position}: {failure_reason(exc)}", raw)
    return SourceRecord(data, raw, where)


def _compact(entry: dict[str, Any]) -> bytes:
    """The entry as compact UTF-8 JSON, feedparser's parsed dates as ISO text (UTC; JSON would
    write them as bare 9-number arrays); with \\u escapes if it holds a lone surrogate, so one
    odd character never stops a feed."""
    plain = {key: _iso_time(value) for key, value in entry.items()}
    try:
        text = json.dumps(plain, separators=(",", ":"), ensure_ascii=False, default=str)
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(plain, separators=(",", ":"), default=str).encode()


def _iso_time(value: Any) -> Any:
    if isinstance(value, time.struct_time):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", value)
    return value
