"""Reading a .gz file with its decompression on a second thread.

zlib lets go of the interpreter while it inflates, so a thread that inflates the next megabyte
while the parser reads this one takes decompression (about a fifth of the time of a baseline
file) off the parser's path. The stream behaves as `gzip.open` does where it matters to the
parsers: several members and zero padding are read through, a file that is not gzip says "Not
a gzipped file", a cut file ends with EOFError, and every error comes after the data that
preceded it, so a broken file still yields every record before the break (a file whose
checksum fails at its very end loses up to the last megabyte before the error, which `gzip`
would hand over first). Memory stays bounded: at most `depth` blocks wait for the reader.
Hand-overs are a megabyte each because the inflating thread waits for the interpreter at every
one (up to its 5 ms switch interval while the parser holds it).
"""

from __future__ import annotations

import contextlib
import gzip
import queue
import threading
import zlib
from pathlib import Path
from typing import IO

MAGIC = b"\x1f\x8b"
PIECE = 1 << 20  # inflated bytes per zlib call: what a failed checksum at the end can cost
_END = b""


class GzipReader:
    """A read-only binary stream over a gzip file, inflated ahead of the reader."""

    def __init__(self, path: Path, block: int = 1 << 20, depth: int = 4) -> None:
        self._file: IO[bytes] = path.open("rb")
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(depth)
        self._stop = threading.Event()
        self._buffer = memoryview(b"")
        self._finished = False
        self._thread = threading.Thread(target=self._inflate, args=(block,), daemon=True)
        self._thread.start()

    # -- the reader's side ----------------------------------------------------------------------

    def read(self, size: int = -1) -> bytes:
        if not self._buffer:
            if self._finished:
                return b""
            item = self._queue.get()
            if isinstance(item, BaseException):
                self._finished = True
                raise item
            if item is _END or not item:
                self._finished = True
                return b""
            self._buffer = memoryview(item)
        if size < 0:
            rest = [bytes(self._buffer)]
            self._buffer = memoryview(b"")
            while chunk := self.read(1 << 20):
                rest.append(chunk)
            return b"".join(rest)
        taken, self._buffer = self._buffer[:size], self._buffer[size:]
        return bytes(taken)

    def close(self) -> None:
        """Stop the thread (it may be waiting for room in the queue) and close the file."""
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._file.close()

    def __enter__(self) -> GzipReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the inflating thread -------------------------------------------------------------------

    def _inflate(self, block: int) -> None:
        pieces: list[bytes] = []
        size = 0
        try:
            for piece in _members(self._file, block):
                pieces.append(piece)
                size += len(piece)
                if size >= block:  # one hand-over a megabyte: fewer switches between threads
                    if not self._put(b"".join(pieces)):
                        return
                    pieces, size = [], 0
        except (OSError, EOFError, zlib.error) as exc:
            if pieces and not self._put(b"".join(pieces)):
                return
            self._put(exc)
            return
        if pieces and not self._put(b"".join(pieces)):
            return
        self._put(_END)

    def _put(self, item: bytes | BaseException) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False


def _members(file: IO[bytes], block: int):  # type: ignore[no-untyped-def]
    """The inflated bytes of every member of the file, in blocks."""
    pending = file.read(block)
    started = False  # inside a member: its end must come before the file's
    inflater = None
    while True:
        if inflater is None:
            pending = pending.lstrip(b"\x00")  # padding between or after members
            if not pending:
                pending = file.read(block)
                if not pending:
                    return
                continue
            if len(pending) < 2:
                pending += file.read(block)
            if pending[:2] != MAGIC:
                raise gzip.BadGzipFile(f"Not a gzipped file ({pending[:2]!r})")
            inflater, started = zlib.decompressobj(16 + zlib.MAX_WBITS), True
        while True:  # in small pieces: a failed check at the end loses only the last one
            data = inflater.decompress(pending, PIECE)
            if data:
                yield data
            pending = inflater.unconsumed_tail
            if inflater.eof or not pending:
                break
        if inflater.eof:
            pending, inflater, started = inflater.unused_data, None, False
            continue
        pending = file.read(block)
        if not pending and started:
            raise EOFError("Compressed file ended before the end-of-stream marker was reached")
