"""Source adapters, registered by name in one literal mapping."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from etl.errors import ConfigError
from etl.records import Quarantined, SourceRecord
from etl.settings import Settings
from etl.sources.base import Source

SOURCE_NAMES = ("pubmed", "ctgov", "europepmc", "feed")  # sources that crawl
FILE_FORMATS = ("pubmed", "ctgov", "ictrp", "europepmc", "feed")  # files `parse`/`ingest` read


def get_source(name: str, settings: Settings) -> Source:
    """The configured adapter for `name`; a clear error for unknown or unconfigured names."""
    if name not in SOURCE_NAMES:
        raise ConfigError(f"unknown source {name!r}", f"known sources: {', '.join(SOURCE_NAMES)}")
    config = getattr(settings.sources, name, None)
    if name == "pubmed":
        from etl.sources.pubmed.source import PubMedSource

        return PubMedSource(config, settings)
    if name == "ctgov":
        from etl.sources.ctgov.source import CtGovSource

        return CtGovSource(config, settings)
    if name == "europepmc":
        from etl.sources.europepmc.source import EuropePmcSource

        return EuropePmcSource(config, settings)
    if name == "feed":
        from etl.sources.feed.source import FeedSource

        return FeedSource(config, settings)
    raise AssertionError(name)  # pragma: no cover - every registered name is handled above


def parser_for(name: str) -> Callable[..., Iterator[SourceRecord | Quarantined]]:
    """The pure file parser of a source, usable without any configuration.

    Every parser takes (path, keep_raw=True); only PubMed's can skip serialising raw bytes.
    """
    if name == "pubmed":
        from etl.sources.pubmed.parse import parse_efetch

        return parse_efetch
    if name == "ctgov":
        from etl.sources.ctgov.parse import parse_studies

        return lambda path, keep_raw=True: parse_studies(path)
    if name == "ictrp":
        from etl.sources.ictrp.parse import parse_ictrp

        return lambda path, keep_raw=True: parse_ictrp(path)
    if name == "europepmc":
        from etl.sources.europepmc.parse import parse_search

        return lambda path, keep_raw=True: parse_search(path)
    if name == "feed":
        from etl.sources.feed.parse import feed_name_of, parse_feed

        return lambda path, keep_raw=True: parse_feed(path, feed_name=feed_name_of(path))
    raise ConfigError(
        f"unknown source {name!r}", f"sources with a file format: {', '.join(FILE_FORMATS)}"
    )
