"""The .gz reader that inflates on a second thread reads what `gzip` reads, and fails where it
fails, after handing over the data before the failure."""

from __future__ import annotations

import gzip
import os
import threading
import zlib
from pathlib import Path

import pytest

from etl.sources.gunzip import GzipReader

DATA = os.urandom(40_000) + b"<PubmedArticle>record</PubmedArticle>\n" * 60_000
PACKED = gzip.compress(DATA)


def read_all(path: Path, size: int = 32_768) -> tuple[bytes, Exception | None]:
    got = []
    try:
        with GzipReader(path, block=8192, depth=2) as stream:
            while chunk := stream.read(size):
                got.append(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        return b"".join(got), exc
    return b"".join(got), None


@pytest.mark.parametrize(
    ("name", "blob", "expected"),
    [
        ("whole", PACKED, DATA),
        ("two members", PACKED + gzip.compress(b"and more"), DATA + b"and more"),
        ("zero padding", PACKED + b"\0" * 700, DATA),
        ("empty", b"", b""),
    ],
)
def test_what_gzip_reads_it_reads(tmp_path: Path, name: str, blob: bytes, expected: bytes) -> None:
    path = tmp_path / "file.gz"
    path.write_bytes(blob)
    assert read_all(path) == (expected, None)
    assert gzip.decompress(blob) == expected
    with GzipReader(path) as stream:
        assert stream.read() == expected  # read() with no size: the rest


def test_a_file_that_is_not_gzip_is_named_so(tmp_path: Path) -> None:
    path = tmp_path / "file.gz"
    path.write_bytes(b"<?xml version='1.0'?><PubmedArticleSet/>")
    data, error = read_all(path)
    assert data == b"" and isinstance(error, gzip.BadGzipFile)
    assert str(error) == "Not a gzipped file (b'<?')"


def test_a_cut_file_hands_over_what_it_holds_then_says_it_ended(tmp_path: Path) -> None:
    path = tmp_path / "file.gz"
    cut = PACKED[: len(PACKED) * 2 // 3]
    path.write_bytes(cut)
    data, error = read_all(path)
    assert isinstance(error, EOFError) and "end-of-stream marker" in str(error)
    assert data == zlib.decompressobj(31).decompress(cut)  # every byte the cut file holds
    assert data and DATA.startswith(data)


def test_a_failed_checksum_is_an_error_after_the_data(tmp_path: Path) -> None:
    path = tmp_path / "file.gz"
    path.write_bytes(PACKED[:-8] + b"\0\0\0\0" + PACKED[-4:])
    data, error = read_all(path)
    assert isinstance(error, zlib.error)
    assert DATA.startswith(data) and len(DATA) - len(data) <= 1 << 20


def test_closing_half_way_stops_the_thread_and_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "file.gz"
    path.write_bytes(PACKED)
    before = threading.active_count()
    stream = GzipReader(path, block=4096, depth=1)
    assert stream.read(100) == DATA[:100]
    stream.close()
    assert threading.active_count() == before
    assert stream._file.closed
