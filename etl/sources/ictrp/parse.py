"""WHO ICTRP "Export results to XML" files -> normalised trial records, streaming, offline.

The same approach as the PubMed parser: one `iterparse` pass that clears each `<Trial>` once it is
read, so a full export stays in flat memory. When the file is not well formed the pass stops at
the break; the rest of the file is then cut into its `<Trial>` elements and each is parsed on its
own, so a broken trial is quarantined (with its TrialID, line and raw bytes) and every other trial
still comes through. Entities are never resolved and nothing is fetched.
"""

from __future__ import annotations

import gzip
import io
import mmap
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from lxml import etree

from etl.records import Quarantined, SourceRecord
from etl.sources.ictrp.fields import SOURCE, ParseError, trial_record

ParseResult = SourceRecord | Quarantined

_TRIAL_CHUNK = re.compile(rb"<Trial\b.*?</Trial\s*>", re.S)
_TRIAL_START = re.compile(rb"<Trial\b")
_BLANK = re.compile(rb"\s*")
_TRIAL_ID = re.compile(rb"<TrialID\s*>\s*([^<]*?)\s*</TrialID\s*>", re.I)
_POSITION = re.compile(r",\s*line (\d+), column (\d+)\s*$")
_FEED_SIZE = 1 << 20
_CHUNK_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
)


def parse_ictrp(source: str | Path | bytes, location: str | None = None) -> Iterator[ParseResult]:
    """Records (and quarantined failures) from an ICTRP XML export.

    `source` is a path (`.xml` or `.xml.gz`) or the file's bytes; `location` names it in messages
    (defaults to the file name, or `<response>` for bytes).
    """
    where = location or ("<response>" if isinstance(source, bytes) else Path(source).name)
    done = 0
    try:
        with _open(source) as stream:
            for _, trial in etree.iterparse(
                stream,
                events=("end",),
                tag="Trial",
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                huge_tree=True,
            ):
                done += 1
                yield _record_of(trial, where, done)
                _release(trial)
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


def _open(source: str | Path | bytes) -> IO[bytes]:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    path = Path(source)
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def _release(elem: etree._Element) -> None:
    """Free what has been read: the element itself and the siblings already handled."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def _recover(
    source: str | Path | bytes, where: str, skip: int, first_error: etree.XMLSyntaxError
) -> Iterator[ParseResult]:
    """Parse the trials after a syntax error one by one, quarantining those that are broken.

    The first `skip` trials were already yielded by the streaming pass. A break that no single
    trial explains (a cut-off file, damage between trials) is reported once on its own.
    """
    with _Whole(source) as data:
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
                trial = etree.fromstring(chunk, _CHUNK_PARSER)
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
    message, error_line, column = _split_position(error)
    if not error.lineno:
        message, error_line, column = _locate(data) or (message, error_line, column)
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
    message, line, column = _split_position(exc)
    reason = f"not well-formed XML at line {first_line + line - 1}, column {column}: {message}"
    return Quarantined(SOURCE, where, _text(_TRIAL_ID.search(chunk)), reason, chunk)


def _text(match: re.Match[bytes] | None) -> str:
    return match[1].decode("utf-8", "replace") if match else ""


def _split_position(exc: etree.XMLSyntaxError) -> tuple[str, int, int]:
    """libxml2's message without its trailing position, and that position (1-based)."""
    match = _POSITION.search(exc.msg or "")
    if match:
        return exc.msg[: match.start()], int(match[1]), int(match[2])
    return exc.msg or str(exc), exc.lineno or 1, (exc.offset or 0) + 1


class _NoTree:
    """A parser target that keeps nothing: a syntax check in flat memory."""

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        pass

    def end(self, tag: str) -> None:
        pass

    def data(self, text: str) -> None:
        pass

    def close(self) -> None:
        return None


def _locate(data: Any) -> tuple[str, int, int] | None:
    """Where the file first breaks, by a second pass that builds no tree.

    The streaming pass reports some breaks (an undeclared entity between trials) only as
    "no element found" at line 0, and its error log is shared with every other parse in the
    thread, so it cannot be trusted for the position.
    """
    parser = etree.XMLParser(
        target=_NoTree(), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
    )
    try:
        for start in range(0, len(data), _FEED_SIZE):
            parser.feed(data[start : start + _FEED_SIZE])
        parser.close()
    except etree.XMLSyntaxError as exc:
        return _split_position(exc)
    return None


class _Whole:
    """The complete bytes of a source, memory-mapped for files so recovery stays cheap."""

    def __init__(self, source: str | Path | bytes) -> None:
        self.source = source
        self._file: IO[bytes] | None = None
        self._map: mmap.mmap | None = None

    def __enter__(self) -> Any:
        if isinstance(self.source, bytes):
            return self.source
        path = Path(self.source)
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as stream:
                return stream.read()
        self._file = path.open("rb")
        if path.stat().st_size == 0:
            return b""
        self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        return self._map

    def __exit__(self, *exc: object) -> None:
        if self._map is not None:
            self._map.close()
        if self._file is not None:
            self._file.close()
