"""Feed: bigger blocks for the parser, with the stream read and failing exactly as before."""

from __future__ import annotations

import io

import pytest

from etl.sources.xmlstream import Feed


class Cut(io.RawIOBase):
    """A stream that gives `good` bytes in reads of the size asked for, then raises EOFError."""

    def __init__(self, good: int) -> None:
        self.left = good
        self.asked: list[int] = []

    def read(self, size: int = -1) -> bytes:
        self.asked.append(size)
        if self.left <= 0:
            raise EOFError("cut short")
        n = min(size, self.left)
        self.left -= n
        return b"x" * n


def test_blocks_are_joined_but_the_stream_is_read_in_the_sizes_asked_for() -> None:
    stream = io.BytesIO(b"a" * 100_000)
    feed = Feed(stream, size=65_536)
    assert len(feed.read(1_000)) == 66_000  # whole reads of 1,000 until 65,536 are passed
    assert len(feed.read(1_000)) == 34_000
    assert feed.read(1_000) == b""


def test_an_error_comes_after_the_data_read_before_it() -> None:
    stream = Cut(good=2_500)
    feed = Feed(stream, size=10_000)  # type: ignore[arg-type]
    assert feed.read(1_000) == b"x" * 2_500
    assert stream.asked == [1_000, 1_000, 1_000, 1_000]
    with pytest.raises(EOFError, match="cut short"):
        feed.read(1_000)


def test_an_error_with_nothing_before_it_is_raised_at_once() -> None:
    with pytest.raises(EOFError):
        Feed(Cut(good=0), size=10_000).read(1_000)  # type: ignore[arg-type]
