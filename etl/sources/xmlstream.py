"""Streaming XML sources, shared by the parsers of PubMed and ICTRP files.

Each parser streams with `iterparse` and releases what it has read; when a file is not well
formed, it reads the file again record by record (`record_chunks`, a block at a time, so a file of
any size or a gzip bomb costs a block of memory), so one broken record is set aside and the others
still come through. These are the pieces that do not depend on the format.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol, cast

from lxml import etree

from etl.sources.gunzip import GzipReader

# How every source file is read: no entity expansion, no network, no DTD; records of any size.
SAFE_XML: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": True,
}
CHUNK_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_POSITION = re.compile(r",\s*line (\d+), column (\d+)\s*$")
_FEED_SIZE = 1 << 20


def open_source(source: str | Path | bytes) -> IO[bytes]:
    """A byte stream over a response body, a file, or a gzipped file."""
    if isinstance(source, bytes):
        return io.BytesIO(source)
    path = Path(source)
    if path.suffix == ".gz":
        return cast(IO[bytes], GzipReader(path))  # the read/close/with part of IO parsers use
    return path.open("rb")


class Readable(Protocol):
    """What `Feed` reads from: a file, a gzip reader or a stream with its head put back."""

    def read(self, size: int = -1, /) -> bytes: ...


class Feed:
    """A stream handed to the parser in blocks of about `size` bytes, however little it asks for.

    lxml's iterparse asks for 32 KiB at a time; libxml2 parses 256 KiB blocks about 7% faster
    (fewer calls into the parser and fewer event batches), and the tree still holds only one
    block's records at a time, so memory stays flat. The stream itself is still read in the sizes
    the parser asks for, and an error is raised only after the data read before it has been
    handed over, so a cut or corrupt .gz ends at the same record as when read directly.
    """

    def __init__(self, stream: Readable, size: int = 1 << 18) -> None:
        self._stream = stream
        self._size = size
        self._error: Exception | None = None

    def read(self, size: int = -1) -> bytes:
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        if size < 0:
            return self._stream.read()
        blocks: list[bytes] = []
        total = 0
        while total < self._size:
            try:
                block = self._stream.read(size)
            except Exception as exc:
                if not blocks:
                    raise
                self._error = exc  # raised at the next call, after this data
                break
            if not block:
                break
            blocks.append(block)
            total += len(block)
        return b"".join(blocks)


def release(elem: etree._Element) -> None:
    """Free what has been read: the element itself and the siblings already handled."""
    elem.clear(keep_tail=False)  # type: ignore[call-arg]  # lxml-stubs lack lxml 4.4's keep_tail
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def split_position(exc: etree.XMLSyntaxError) -> tuple[str, int, int]:
    """libxml2's message without its trailing position, and that position (1-based)."""
    match = _POSITION.search(exc.msg or "")
    if match:
        return exc.msg[: match.start()], int(match[1]), int(match[2])
    return exc.msg or str(exc), exc.lineno or 1, (exc.offset or 0) + 1


class _NoTree:
    """A parser target that keeps nothing: a syntax check in flat memory."""

    def start(self, tag: str | bytes, attrib: Any, nsmap: Any = None) -> None:
        pass

    def end(self, tag: str | bytes) -> None:
        pass

    def data(self, data: str | bytes) -> None:
        pass

    def comment(self, text: str | bytes) -> None:
        pass

    def close(self) -> None:
        return None


MAX_RECORD = (
    256 << 20
)  # one record larger than this is set aside unread (a PubMed record is ~10 KB)
_OVERLAP = 64  # bytes kept back when reading on: a tag split across two reads is still found


@dataclass(frozen=True)
class Chunk:
    """One top-level record's bytes cut out of a file that does not parse as a whole.

    `complete` is False for a record whose end tag never came: it is cut where the next record
    starts (or the file ends), so a missing end tag costs that record alone. `oversize` marks a
    record longer than the limit, of which only the start is kept."""

    line: int
    data: bytes
    complete: bool
    oversize: bool = False


def record_chunks(
    stream: IO[bytes], tags: tuple[str, ...], block: int = 1 << 20, max_record: int = MAX_RECORD
) -> Iterator[Chunk]:
    """Each record element of `tags` in a stream, in order, in flat memory.

    The stream is read a block at a time and only the record being cut (or the unread rest of
    the block) is held, so recovering a gzip bomb or a 30 GB file costs a block, not the file.
    """
    names = b"|".join(re.escape(tag.encode()) for tag in tags)
    start_tag = re.compile(rb"<(" + names + rb")\b")
    end_tags = {
        tag.encode(): re.compile(rb"</" + re.escape(tag.encode()) + rb"\s*>") for tag in tags
    }
    buffer, eof = b"", False
    line, counted = 1, 0  # line number at offset `counted` of the buffer
    pos = 0

    def read_more(keep_from: int) -> None:
        nonlocal buffer, eof, line, counted, pos
        line += buffer.count(b"\n", counted, keep_from)
        buffer, counted = buffer[keep_from:], 0
        pos = max(pos - keep_from, 0)
        more = stream.read(block)
        eof = not more
        buffer += more

    while True:
        # a block without "<" (blank filler, one long text) is passed over without a regex scan
        found = start_tag.search(buffer, pos) if buffer.find(b"<", pos) >= 0 else None
        if found is None:
            if eof:
                return
            read_more(max(len(buffer) - _OVERLAP, pos))
            continue
        begin = found.start()
        line += buffer.count(b"\n", counted, begin)
        counted = begin
        end_tag = end_tags[found[1]]
        scanned = found.end()
        while True:
            end = end_tag.search(buffer, scanned)
            following = start_tag.search(buffer, scanned)
            if end is not None and (following is None or end.start() < following.start()):
                yield Chunk(line, buffer[begin : end.end()], True)
                pos = end.end()
                break
            if following is not None or eof:
                stop = following.start() if following is not None else len(buffer)
                yield Chunk(line, buffer[begin:stop], False)
                pos = stop
                break
            if len(buffer) - begin > max_record:
                yield Chunk(line, buffer[begin : begin + 4096], False, oversize=True)
                pos = len(buffer) - _OVERLAP  # look for the next record from here on
                break
            scanned = max(len(buffer) - _OVERLAP, scanned) - begin
            read_more(begin)
            begin = 0
        if pos >= len(buffer) and eof:
            return


def locate_break_in(source: str | Path | bytes) -> tuple[str, int, int] | None:
    """Where a document first breaks, by a second pass over the file, block by block, that
    builds no tree.

    The streaming pass reports some breaks (an undeclared entity between records) only as
    "no element found" at line 0, and its error log is shared with every other parse in the
    thread, so it cannot be trusted for the position.
    """
    parser = etree.XMLParser(target=_NoTree(), **SAFE_XML)
    try:
        with open_source(source) as stream:
            while block := stream.read(_FEED_SIZE):
                parser.feed(block)
        parser.close()
    except etree.XMLSyntaxError as exc:
        return split_position(exc)
    except (OSError, EOFError, zlib.error):
        return None
    return None


class Prefixed:
    """A stream whose first bytes were read already (to see what the file is): they come first."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = head
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0 or size >= len(self._head):
                head, self._head = self._head, b""
                return head + (self._stream.read(size - len(head)) if size > len(head) else b"")
            head, self._head = self._head[:size], self._head[size:]
            return head
        return self._stream.read(size)


def read_head(stream: IO[bytes], size: int = 1 << 16) -> bytes:
    """Up to `size` first bytes of a stream (a gzip stream may return less per read)."""
    blocks: list[bytes] = []
    total = 0
    while total < size and (block := stream.read(size - total)):
        blocks.append(block)
        total += len(block)
    return b"".join(blocks)
