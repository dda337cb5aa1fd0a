"""PubMed efetch / baseline XML -> normalised records, streaming and without network access.

The fast path is one `iterparse` pass that clears each article once it is read, so memory stays flat
whatever the file size. When the file is not well formed, the pass stops at the break; the rest of
the file is then cut into its top-level records and each is parsed on its own, so one broken record
is quarantined with its reason and raw bytes and every other record still comes through.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from etl.normalize.identifiers import normalize_pmid
from etl.records import Deletion, Quarantined, SourceRecord
from etl.sources.pubmed.fields import SOURCE, ParseError, paper_record
from etl.sources.xmlstream import (
    CHUNK_PARSER,
    SAFE_XML,
    Feed,
    Whole,
    locate_break,
    open_source,
    release,
    split_position,
)

TOP_LEVEL = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")

_RECORD_CHUNK = re.compile(rb"<(PubmedArticle|PubmedBookArticle|DeleteCitation)\b.*?</\1\s*>", re.S)
_PMID_IN_BYTES = re.compile(rb"<PMID[^>]*>\s*(\d+)\s*</PMID>")

ParseResult = SourceRecord | Quarantined


def parse_efetch(
    source: str | Path | bytes, location: str | None = None, keep_raw: bool = True
) -> Iterator[ParseResult]:
    """Records (and quarantined failures) from an efetch response or a baseline/update file.

    `source` is a path (`.xml` or `.xml.gz`) or the bytes of a response; `location` names it in
    messages (defaults to the file name). `keep_raw=False` skips serialising each record's raw XML,
    for callers that only print the normalised fields (a broken record keeps its bytes anyway).
    """
    default = "<response>" if isinstance(source, bytes) else Path(source).name
    where = location or default
    done = 0
    try:
        with open_source(source) as stream:
            for _, elem in etree.iterparse(
                Feed(stream),
                events=("end",),
                tag=TOP_LEVEL,
                **SAFE_XML,
            ):
                if elem.tag == "DeleteCitation":
                    yield from _deletions(elem, where)
                else:  # _records_of, inlined: this loop runs once per article
                    yield _paper(elem, where, keep_raw)
                done += 1
                release(elem)
    except etree.XMLSyntaxError as exc:
        yield from _recover(source, where, done, exc, keep_raw)
    except (OSError, EOFError, zlib.error) as exc:
        # An unreadable or cut-short .gz (or a file that vanished): say so, keep what was read.
        reason = f"cannot read the file after {done} records: {exc}"
        yield Quarantined(SOURCE, where, "", reason, b"")


def _records_of(elem: etree._Element, where: str, keep_raw: bool = True) -> Iterator[ParseResult]:
    """One top-level element -> its records; a broken one becomes a quarantine entry."""
    if elem.tag == "DeleteCitation":
        yield from _deletions(elem, where)
    else:
        yield _paper(elem, where, keep_raw)


def _paper(elem: etree._Element, where: str, keep_raw: bool) -> ParseResult:
    """One PubmedArticle or PubmedBookArticle -> its record, or its quarantine entry."""
    try:
        data = paper_record(elem)
    except ParseError as exc:
        pmid = elem.findtext("MedlineCitation/PMID") or elem.findtext("BookDocument/PMID") or ""
        return Quarantined(SOURCE, where, pmid.strip(), str(exc), etree.tostring(elem))
    return SourceRecord(data, etree.tostring(elem) if keep_raw else b"", where)


def _deletions(elem: etree._Element, where: str) -> Iterator[ParseResult]:
    for pmid_elem in elem.iter("PMID"):
        pmid = normalize_pmid(pmid_elem.text)
        if pmid is None:
            raw = etree.tostring(pmid_elem)
            reason = f"DeleteCitation holds a PMID that is not a number: {pmid_elem.text!r}"
            yield Quarantined(SOURCE, where, "", reason, raw)
            continue
        data: Deletion = {
            "source": SOURCE,
            "source_id": pmid,
            "kind": "paper",
            "deleted": True,
            "identifiers": {"pmid": pmid},
        }
        yield SourceRecord(data, b"", where)


def _recover(
    source: str | Path | bytes,
    where: str,
    skip: int,
    first_error: etree.XMLSyntaxError,
    keep_raw: bool,
) -> Iterator[ParseResult]:
    """Parse the records after a syntax error one by one, quarantining those that are broken."""
    with Whole(source) as data:
        seen = broken = 0
        line, counted_to = 1, 0
        for match in _RECORD_CHUNK.finditer(data):
            seen += 1
            line += data[counted_to : match.start()].count(b"\n")
            counted_to = match.start()
            if seen <= skip:
                continue
            chunk = match.group(0)
            try:
                elem = etree.fromstring(chunk, CHUNK_PARSER)
            except etree.XMLSyntaxError as exc:
                broken += 1
                yield _broken(chunk, where, exc, first_line=line)
                continue
            yield from _records_of(elem, where, keep_raw)
        if not broken:
            # Every record parses on its own, so the break is outside them: between records, or
            # a file cut short after the last one. Never silent: say where the stream broke.
            message, line, column = split_position(first_error)
            if not first_error.lineno:  # lxml's streaming report is vague here: look again
                message, line, column = locate_break(data) or (message, line, column)
            place = "after the last record" if seen <= skip else "between records"
            reason = f"not well-formed XML at line {line}, column {column}, {place}: "
            yield Quarantined(SOURCE, where, "", reason + message, b"")


def _broken(chunk: bytes, where: str, exc: etree.XMLSyntaxError, first_line: int) -> Quarantined:
    pmid_match = _PMID_IN_BYTES.search(chunk)
    message, line, column = split_position(exc)
    reason = f"not well-formed XML at line {first_line + line - 1}, column {column}: {message}"
    return Quarantined(SOURCE, where, pmid_match[1].decode() if pmid_match else "", reason, chunk)
