"""WHO ICTRP "Export results to XML" files -> normalised trial records, streaming, offline.

The same approach as the PubMed parser: one `iterparse` pass that clears each `<Trial>` once it is
read, so a full export stays in flat memory. When the file is not well formed the pass stops at
the break; the rest of the file is then cut into its `<Trial>` elements and each is parsed on its
own, so a broken trial is quarantined (with its TrialID, line and raw bytes) and every other trial
still comes through. Entities are never resolved and nothing is fetched.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from etl.records import Quarantined, SourceRecord
from etl.sources.ictrp.fields import SOURCE, ParseError, trial_record
from etl.sources.xmlstream import (
    CHUNK_PARSER,
    SAFE_XML,
    Whole,
    locate_break,
    open_source,
    release,
    split_position,
)

ParseResult = SourceRecord | Quarantined

_TRIAL_CHUNK = re.compile(rb"<Trial\b.*?</Trial\s*>", re.S)
_TRIAL_START = re.compile(rb"<Trial\b")
_BLANK = re.compile(rb"\s*")
_TRIAL_ID = re.compile(rb"<TrialID\s*>\s*([^<]*?)\s*</TrialID\s*>", re.I)


def parse_ictrp(source: str | Path | bytes, location: str | None = None) -> Iterator[ParseResult]:
    """Records (and quarantined failures) from an ICTRP XML export.

    `source` is a path (`.xml` or `.xml.gz`) or the file's bytes; `location` names it in messages
    (defaults to the file name, or `<response>` for bytes).
    """
    where = location or ("<response>" if isinstance(source, bytes) else Path(source).name)
    done = 0
    try:
        with open_source(source) as stream:
            for _, trial in etree.iterparse(
                stream,
                events=("end",),
                tag="Trial",
                **SAFE_XML,
            ):
                done += 1
                yield _record_of(trial, where, done)
                release(trial)
    except etree.XMLSyntaxError as exc:
        yield from _recover(source, where, done, exc)
    except (OSError, EOFError, zlib.error) as exc:
        reason = f"cannot read the file after {done} trials: {exc}"
        yield Quarantined(SOURCE, where, "", reason, b"")


def _record_of(trial: etree._Element, where: str, number: int) -> ParseResult:
    """One `<Trial>` -> its record; one without a TrialID is quarantined by its position."""
    # with_tail=False: the text after </Trial> is layout, and only partly read at this point
    raw = etree.tostring(trial, with_tail=False)
    try:
        data = trial_record(trial)
    except ParseError as exc:
        return Quarantined(SOURCE, where, "", f"Trial {number} in the file: {exc}", raw)
    return SourceRecord(data, raw, where)


def _recover(
    source: str | Path | bytes, where: str, skip: int, first_error: etree.XMLSyntaxError
) -> Iterator[ParseResult]:
    """Parse the trials after a syntax error one by one, quarantining those that are broken.

    The first `skip` trials were already yielded by the streaming pass. A break that no single
    trial explains (a cut-off file, damage between trials) is reported once on its own.
    """
    with Whole(source) as data:
        seen = reported = 0
        line, counted_to, end = 1, 0, 0
        for match in _TRIAL_CHUNK.finditer(data):
            seen += 1
            line += data[counted_to : match.start()].count(b"\n")
            counted_to, end = match.start(), match.end()
            if seen <= skip:
                continue
            chunk = match.group(0)
            try:
                trial = etree.fromstring(chunk, CHUNK_PARSER)
            except etree.XMLSyntaxError as exc:
                reported += 1
                yield _broken(chunk, where, exc, first_line=line)
                continue
            yield _record_of(trial, where, seen)
        if not reported:
            yield _unexplained(
                data, end, line + data[counted_to:end].count(b"\n"), where, first_error
            )


def _unexplained(
    data: Any, end: int, line: int, where: str, error: etree.XMLSyntaxError
) -> Quarantined:
    """The break outside any complete trial: a `<Trial>` cut short, or damage between trials."""
    if _BLANK.fullmatch(data):
        return Quarantined(SOURCE, where, "", "empty file: no XML at all", b"")
    message, error_line, column = split_position(error)
    if not error.lineno:
        message, error_line, column = locate_break(data) or (message, error_line, column)
    start = _TRIAL_START.search(data, end)
    if start is not None:  # a trial opened after the last complete one and never closed
        tail = bytes(data[start.start() :])
        trial_id = _TRIAL_ID.search(tail)
        first = line + data[end : start.start()].count(b"\n")
        reason = (
            f"unterminated <Trial> starting at line {first}: not well-formed XML at line "
            f"{error_line}, column {column}: {message}"
        )
        return Quarantined(SOURCE, where, _text(trial_id), reason, tail)
    reason = f"not well-formed XML at line {error_line}, column {column}, outside any <Trial>: "
    return Quarantined(SOURCE, where, "", reason + message, b"")


def _broken(chunk: bytes, where: str, exc: etree.XMLSyntaxError, first_line: int) -> Quarantined:
    message, line, column = split_position(exc)
    reason = f"not well-formed XML at line {first_line + line - 1}, column {column}: {message}"
    return Quarantined(SOURCE, where, _text(_TRIAL_ID.search(chunk)), reason, chunk)


def _text(match: re.Match[bytes] | None) -> str:
    return match[1].decode("utf-8", "replace") if match else ""
