"""The ingest's read-ahead thread: order, errors where they happened, bounded, stoppable."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from etl.pipeline.prefetch import ahead


def test_items_come_in_order_and_an_error_after_the_items_before_it() -> None:
    def broken() -> Iterator[int]:
        yield from range(5)
        raise ValueError("record 6 is cut")

    seen = []
    with pytest.raises(ValueError, match="record 6 is cut"):
        for item in ahead(broken()):
            seen.append(item)
    assert seen == [0, 1, 2, 3, 4]


def test_the_producer_waits_for_room_and_stops_when_the_caller_does() -> None:
    made: list[int] = []
    closed = threading.Event()

    def counting() -> Iterator[int]:
        try:
            for number in range(1000):
                made.append(number)
                yield number
        finally:
            closed.set()

    items = ahead(counting(), depth=2)
    assert next(items) == 0
    time.sleep(0.3)
    assert len(made) <= 4  # one handed over, two waiting, one held by the producer
    items.close()  # the caller stops (an exception in its loop does the same)
    assert closed.wait(2)
    assert len(made) <= 5
    assert not any(t.name == "prefetch" and t.is_alive() for t in threading.enumerate())
