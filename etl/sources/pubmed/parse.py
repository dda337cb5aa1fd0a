"""PubMed efetch / baseline XML -> normalised records, streaming and without network access.

The fast path is one `iterparse` pass that clears each article once it is read, so memory stays flat
whatever the file size. When the file is not well formed, the pass stops at the break; the rest of
the file is then cut into its top-level records and each is parsed on its own, so one broken record
is quarantined with its reason and raw bytes and every other record still comes through.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from etl.normalize.identifiers import normalize_pmid
from etl.records import Deletion, Quarantined, SourceRecord, failure_reason
from etl.sources.pubmed.fields import SOURCE, paper_record
from etl.sources.sniff import utf8_declared_otherwise, wrong_file
from etl.sources.xmlstream import (
    CHUNK_PARSER,
    MAX_RECORD,
    SAFE_XML,
    Chunk,
    Feed,
    Prefixed,
    locate_break_in,
    open_source,
    read_head,
    record_chunks,
    release,
    split_position,
)

log = logging.getLogger(__name__)

TOP_LEVEL = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")

ROOTS = frozenset(
    {"pubmedarticleset", "pubmedarticle", "pubmedbookarticle", "pubmedbookarticleset"}
)
EXPECTED = "PubMed XML (<PubmedArticleSet>: efetch output or a baseline/update file)"
_PMID_IN_BYTES = re.compile(rb"<PMID[^>]*>\s*(\d+)\s*</PMID>")

ParseResult = SourceRecord | Quarantined


def parse_efetch(
    source: str | Path | bytes, location: str | None = None, keep_raw: bool = True
) -> Iterator[ParseResult]:
    """Records (and quarantined failures) from an efetch response or a baseline/update file.

    `source` is a path (`.xml` or `.xml.gz`) or the bytes of a response; `location` names it in
    messages (defaults to the file name). `keep_raw=False` skips serialising each record's raw XML,
    for callers that only print the normalised fields (a broken record keeps its bytes anyway).
    A file that is not PubMed XML (an HTML page, an E-utilities error, esummary output, a feed)
    is one quarantine entry saying what it is, never "0 records".
    """
    default = "<response>" if isinstance(source, bytes) else Path(source).name
    where = location or default
    done = 0
    seen: set[str] = set()  # keys of what the streaming pass yielded, for the recovery pass
    try:
        with open_source(source) as stream:
            head = read_head(stream)
            refusal = wrong_file(head, EXPECTED, ROOTS)
            if refusal:
                yield Quarantined(SOURCE, where, "", refusal, head[:4096], whole_file=True)
                return
            head, warning = utf8_declared_otherwise(head)
            if warning:
                log.warning("%s: %s", where, warning)
            for _, elem in etree.iterparse(
                Feed(Prefixed(head, stream)),
                events=("end",),
                tag=TOP_LEVEL,
                **SAFE_XML,
            ):
                if elem.tag == "DeleteCitation":
                    for item in _deletions(elem, where):
                        seen.add(_key(item))
                        yield item
                else:  # _records_of, inlined: this loop runs once per article
                    item = _paper(elem, where, keep_raw)
                    seen.add(item.data["source_id"] if type(item) is SourceRecord else _key(item))
                    yield item
                done += 1
                release(elem)
    except etree.XMLSyntaxError as exc:
        yield from _recover(source, where, seen, exc, keep_raw)
    except (OSError, EOFError, zlib.error) as exc:
        # An unreadable or cut-short .gz (or a file that vanished): say so, keep what was read.
        reason = f"cannot read the file after {done} records: {exc}"
        yield Quarantined(SOURCE, where, "", reason, b"")


def _key(item: ParseResult) -> str:
    """What the recovery pass compares: a PMID, or "delete:" and a PMID for a deletion."""
    if isinstance(item, Quarantined):
        return item.record_key
    return f"delete:{item.source_id}" if item.deleted else item.source_id


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
    except Exception as exc:  # a ParseError, or a value no rule foresaw: this record's failure
        pmid = elem.findtext("MedlineCitation/PMID") or elem.findtext("BookDocument/PMID") or ""
        return Quarantined(SOURCE, where, pmid.strip(), failure_reason(exc), etree.tostring(elem))
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
    seen: set[str],
    first_error: etree.XMLSyntaxError,
    keep_raw: bool,
) -> Iterator[ParseResult]:
    """Read the file again, record by record, in flat memory: each record the streaming pass did
    not yield is parsed on its own, and a broken one is quarantined with its PMID, so every PMID
    in the bytes is either in the output or named in an error. A record whose end tag is
    missing is cut where the next one starts: it costs that record alone."""
    broken = fresh = 0
    last_line = 0
    try:
        with open_source(source) as stream:
            for chunk in record_chunks(stream, TOP_LEVEL):
                last_line = chunk.line
                key = _chunk_key(chunk.data)
                if key and key in seen:
                    seen.discard(key)  # yielded before the break; a later repeat is read again
                    continue
                fresh += 1
                if not chunk.complete:
                    broken += 1
                    yield _unfinished(chunk, where, first_error)
                    continue
                try:
                    elem = etree.fromstring(chunk.data, CHUNK_PARSER)
                except etree.XMLSyntaxError as exc:
                    broken += 1
                    yield _broken(chunk.data, where, exc, first_line=chunk.line)
                    continue
                yield from _records_of(elem, where, keep_raw)
    except (OSError, EOFError, zlib.error) as exc:
        reason = f"cannot read the file after line {last_line}: {exc}"
        yield Quarantined(SOURCE, where, "", reason, b"")
        return
    if not broken:
        # Every record parses on its own, so the break is outside them: between records, or
        # a file cut short after the last one. Never silent: say where the stream broke.
        message, line, column = split_position(first_error)
        if not first_error.lineno:  # lxml's streaming report is vague here: look again
            message, line, column = locate_break_in(source) or (message, line, column)
        place = "between records" if fresh else "after the last record"
        reason = f"not well-formed XML at line {line}, column {column}, {place}: "
        yield Quarantined(SOURCE, where, "", reason + message, b"")


def _chunk_key(data: bytes) -> str:
    """The key `_key` gives the record these bytes hold, as far as the bytes can be read."""
    match = _PMID_IN_BYTES.search(data)
    if match is None:
        return ""
    pmid = normalize_pmid(match[1].decode()) or ""
    return f"delete:{pmid}" if data.startswith(b"<DeleteCitation") else pmid


def _unfinished(chunk: Chunk, where: str, error: etree.XMLSyntaxError) -> Quarantined:
    """A record whose end tag never came (cut at the next record or the end of the file)."""
    pmids = [m.decode() for m in _PMID_IN_BYTES.findall(chunk.data)]
    tag = chunk.data[1 : chunk.data.find(b">")].split()[0].decode("ascii", "replace")
    if chunk.oversize:
        reason = f"<{tag}> at line {chunk.line} is larger than {MAX_RECORD:,} bytes: not read"
    else:
        message, line, column = split_position(error)
        reason = (
            f"unterminated <{tag}> starting at line {chunk.line} (no </{tag}> before the next "
            f"record or the end of the file); the file breaks at line {line}, column {column}: "
            f"{message}"
        )
    return Quarantined(SOURCE, where, pmids[0] if pmids else "", reason, chunk.data)


def _broken(chunk: bytes, where: str, exc: etree.XMLSyntaxError, first_line: int) -> Quarantined:
    pmid_match = _PMID_IN_BYTES.search(chunk)
    message, line, column = split_position(exc)
    reason = f"not well-formed XML at line {first_line + line - 1}, column {column}: {message}"
    return Quarantined(SOURCE, where, pmid_match[1].decode() if pmid_match else "", reason, chunk)
