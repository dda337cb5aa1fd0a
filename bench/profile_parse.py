"""Where our PubMed parser spends its time: the lxml pass against the field extraction.

parse_bench.py says how far `parse_efetch` is from a bare lxml pass; this says why, by timing the
same loop with the pieces added one at a time (best of `--repeat`), then profiling the extraction
alone with cProfile on elements already parsed, so that lxml's share does not blur the picture.

Run from the project root: `python bench/profile_parse.py [--articles N] [--top K]`.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import make_big_file  # a sibling script: this file is run as `python bench/profile_parse.py`
from lxml import etree

from etl.sources.pubmed.fields import paper_record
from etl.sources.pubmed.parse import TOP_LEVEL, parse_efetch
from etl.sources.xmlstream import SAFE_XML, Feed, release


def _articles(path: Path, tag: str | tuple[str, ...], blocks: bool = True) -> Iterator[Any]:
    """iterparse as parse_efetch runs it (256 KiB blocks), or as the bench's floor (32 KiB)."""
    with path.open("rb") as stream:
        yield from etree.iterparse(
            Feed(stream) if blocks else stream,
            events=("end",),
            tag=tag,
            **SAFE_XML,
        )


def steps(path: Path) -> dict[str, Callable[[], None]]:
    """The parse loop, one piece more at each step (the parser's own iterparse settings)."""

    def floor() -> None:
        for _, elem in _articles(path, "PubmedArticle", blocks=False):
            release(elem)

    def floor_top_level() -> None:
        for _, elem in _articles(path, TOP_LEVEL):
            release(elem)

    def extract() -> None:
        for _, elem in _articles(path, TOP_LEVEL):
            paper_record(elem)
            release(elem)

    def full() -> None:
        for _ in parse_efetch(path, keep_raw=False):
            pass

    def full_raw() -> None:
        for _ in parse_efetch(path, keep_raw=True):
            pass

    return {
        "iterparse tag=PubmedArticle + release": floor,
        "  the same, 3 top-level tags, 256 KiB blocks": floor_top_level,
        "  + paper_record (field extraction)": extract,
        "parse_efetch keep_raw=False": full,
        "parse_efetch keep_raw=True": full_raw,
    }


def best_of(run: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def profile_extraction(path: Path, top: int) -> None:
    """cProfile of paper_record alone, on elements parsed beforehand (they stay in memory)."""
    elements = [elem for _, elem in _articles(path, TOP_LEVEL)]
    profile = cProfile.Profile()
    profile.enable()
    for elem in elements:
        paper_record(elem)
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats("etl", top)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000, help="file to time (20000)")
    parser.add_argument("--profile-articles", type=int, default=5_000, help="cProfile (5000)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=20, help="functions to list (20)")
    args = parser.parse_args(argv)
    (path,) = make_big_file.ensure(args.articles)
    timings = {name: best_of(run, args.repeat) for name, run in steps(path).items()}
    floor = timings["iterparse tag=PubmedArticle + release"]
    print(f"{args.articles:,} articles, best of {args.repeat}:")
    for name, seconds in timings.items():
        per = seconds / args.articles * 1e6
        print(f"  {name:45s} {seconds:6.2f} s  {per:6.1f} us/article  {seconds / floor:4.2f}x")
    (small,) = make_big_file.ensure(args.profile_articles)
    profile_extraction(small, args.top)


if __name__ == "__main__":
    main()
