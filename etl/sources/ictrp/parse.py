"""WHO ICTRP "Export results to XML" files -> normalised trial records, streaming, offline.

The same approach as the PubMed parser: one `iterparse` pass that clears each `<Trial>` once it is
read, so a full export stays in flat memory. When the file is not well formed the pass stops at
the break; the rest of the file is then cut into its `<Trial>` elements and each is parsed on its
own, so a broken trial is quarantined (with its TrialID, line and raw bytes) and every other trial
still comes through. Entities are never resolved and nothing is fetched.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from etl.records import Quarantined, SourceRecord, failure_reason
from etl.sources.ictrp.fields import SOURCE, trial_record
from etl.sources.sniff import utf8_declared_otherwise, wrong_file
from etl.sources.xmlstream import (
    CHUNK_PARSER,
    MAX_RECORD,
    SAFE_XML,
    Chunk,
    Prefixed,
    locate_break_in,
    open_source,
    read_head,
    record_chunks,
    release,
    split_position,
)

log = logging.getLogger(__name__)
ROOTS = frozenset({"trials_downloaded_from_ictrp"})
EXPECTED = "an ICTRP XML export (<Trials_downloaded_from_ICTRP> with <Trial> records)"

ParseResult = SourceRecord | Quarantined

_TRIAL_ID = re.compile(rb"<TrialID\s*>\s*([^<]*?)\s*</TrialID\s*>", re.I)


def parse_ictrp(source: str | Path | bytes, location: str | None = None) -> Iterator[ParseResult]:
    """Records (and quarantined failures) from an ICTRP XML export.

    `source` is a path (`.xml` or `.xml.gz`) or the file's bytes; `location` names it in messages
    (defaults to the file name, or `<response>` for bytes). A file that is something else (an
    HTML page, JSON, PubMed XML, a feed) is one quarantine entry saying what it is.
    """
    where = location or ("<response>" if isinstance(source, bytes) else Path(source).name)
    done = 0
    seen: set[str] = set()  # TrialIDs the streaming pass yielded, for the recovery pass
    try:
        with open_source(source) as stream:
            head = read_head(stream)
            refusal = wrong_file(head, EXPECTED, ROOTS, strict=False)
            if refusal:
                yield Quarantined(SOURCE, where, "", refusal, head[:4096], whole_file=True)
                return
            head, warning = utf8_declared_otherwise(head)
            if warning:
                log.warning("%s: %s", where, warning)
            for _, trial in etree.iterparse(
                Prefixed(head, stream),
                events=("end",),
                tag="Trial",
                **SAFE_XML,
            ):
                done += 1
                item = _record_of(trial, where, done)
                seen.add(item.source_id if isinstance(item, SourceRecord) else item.record_key)
                yield item
                release(trial)
    except etree.XMLSyntaxError as exc:
        yield from _recover(source, where, done, seen, exc)
    except (OSError, EOFError, zlib.error) as exc:
        reason = f"cannot read the file after {done} trials: {exc}"
        yield Quarantined(SOURCE, where, "", reason, b"")


def _record_of(trial: etree._Element, where: str, number: int) -> ParseResult:
    """One `<Trial>` -> its record; one without a TrialID is quarantined by its position."""
    # with_tail=False: the text after </Trial> is layout, and only partly read at this point
    raw = etree.tostring(trial, with_tail=False)
    try:
        data = trial_record(trial)
    except Exception as exc:  # a ParseError, or a value no rule foresaw: this trial's failure
        reason = f"Trial {number} in the file: {failure_reason(exc)}"
        return Quarantined(SOURCE, where, "", reason, raw)
    return SourceRecord(data, raw, where)


def _recover(
    source: str | Path | bytes,
    where: str,
    done: int,
    seen: set[str],
    first_error: etree.XMLSyntaxError,
) -> Iterator[ParseResult]:
    """Read the file again trial by trial, in flat memory, after a syntax error: the trials the
    streaming pass did not yield are parsed one by one and the broken ones quarantined; a trial
    whose end tag is missing is cut where the next starts, so it alone is lost. A break that no
    single trial explains (damage between trials) is reported once on its own."""
    reported = number = 0
    try:
        with open_source(source) as stream:
            for chunk in record_chunks(stream, ("Trial",)):
                number += 1
                key = _text(_TRIAL_ID.search(chunk.data))
                if (key and key in seen) or (not key and number <= done):
                    seen.discard(key)  # yielded before the break
                    continue
                if not chunk.complete:
                    reported += 1
                    yield _unfinished(chunk, key, where, first_error)
                    continue
                try:
                    trial = etree.fromstring(chunk.data, CHUNK_PARSER)
                except etree.XMLSyntaxError as exc:
                    reported += 1
                    yield _broken(chunk.data, where, exc, first_line=chunk.line)
                    continue
                yield _record_of(trial, where, number)
    except (OSError, EOFError, zlib.error) as exc:
        yield Quarantined(SOURCE, where, "", f"cannot read the file after {number} trials: {exc}")
        return
    if not reported:
        message, line, column = split_position(first_error)
        if not first_error.lineno:
            message, line, column = locate_break_in(source) or (message, line, column)
        reason = f"not well-formed XML at line {line}, column {column}, outside any <Trial>: "
        yield Quarantined(SOURCE, where, "", reason + message, b"")


def _unfinished(chunk: Chunk, key: str, where: str, error: etree.XMLSyntaxError) -> Quarantined:
    """A `<Trial>` whose end tag never came: cut at the next trial or the end of the file."""
    if chunk.oversize:
        reason = f"<Trial> at line {chunk.line} is larger than {MAX_RECORD:,} bytes: not read"
        return Quarantined(SOURCE, where, key, reason, chunk.data)
    message, line, column = split_position(error)
    if not error.lineno:
        message, line, column = locate_break_in(chunk.data) or (message, line, column)
    reason = (
        f"unterminated <Trial> starting at line {chunk.line}: not well-formed XML at line "
        f"{line}, column {column}: {message}"
    )
    return Quarantined(SOURCE, where, key, reason, chunk.data)


def _broken(chunk: bytes, where: str, exc: etree.XMLSyntaxError, first_line: int) -> Quarantined:
    message, line, column = split_position(exc)
    reason = f"not well-formed XML at line {first_line + line - 1}, column {column}: {message}"
    return Quarantined(SOURCE, where, _text(_TRIAL_ID.search(chunk)), reason, chunk)


def _text(match: re.Match[bytes] | None) -> str:
    return match[1].decode("utf-8", "replace") if match else ""
