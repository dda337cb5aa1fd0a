"""Producing the next items on a second thread while the caller works on this one.

Ingest parses a file and writes it batch by batch. Much of a write waits outside the
interpreter (SQLite's own code, zlib, a PostgreSQL round trip), and parsing the next batch can
use that time. At most `depth` items wait, so memory stays bounded; an error of the producer
reaches the caller where the item would have; a caller that stops early stops the producer.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_END = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def ahead(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """The items of `items`, in order, produced on a thread of their own."""
    waiting: queue.Queue[object] = queue.Queue(depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the caller, which raises it
            put(_Failed(exc))
            return
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        put(_END)

    thread = threading.Thread(target=produce, name="prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = waiting.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                waiting.get(timeout=0.05)
