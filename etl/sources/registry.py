"""Every source, in one place: its name and its adapter class (whose `parse` reads its files).

`crawl`, `parse`, `ingest`, `sources check`, `config check` and the tests that hold every source
to the adapter contract all read this mapping, and the settings are checked against it. Classes
are named by import path and imported on first use, so a command that only needs the names does
not load lxml and feedparser, and `parse pubmed` loads only PubMed's adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

from etl.errors import ConfigError
from etl.records import Quarantined, SourceRecord

if TYPE_CHECKING:
    from etl.sources.base import Adapter

Parser = Callable[..., Iterator[SourceRecord | Quarantined]]


@dataclass(frozen=True)
class Entry:
    adapter: str  # "module:Class": the adapter, whose `parse` reads the source's saved files
    crawls: bool = True  # False: files only, through `parse` and `ingest`


REGISTRY: dict[str, Entry] = {
    "pubmed": Entry("etl.sources.pubmed.source:PubMedSource"),
    "ctgov": Entry("etl.sources.ctgov.source:CtGovSource"),
    "ictrp": Entry("etl.sources.ictrp.source:IctrpSource", crawls=False),
    "europepmc": Entry("etl.sources.europepmc.source:EuropePmcSource"),
    "feed": Entry("etl.sources.feed.source:FeedSource"),
    # Looked up by id only (and its saved answers parsed): see etl.settings.LOOKUP_ONLY.
    "isrctn": Entry("etl.sources.isrctn.source:IsrctnSource", crawls=False),
}
SOURCE_NAMES = tuple(name for name, entry in REGISTRY.items() if entry.crawls)
FILE_FORMATS = tuple(REGISTRY)  # every source reads its own saved files (`parse`, `ingest`)


def _entry(name: str, crawling: bool) -> Entry:
    entry = REGISTRY.get(name)
    if entry is None or (crawling and not entry.crawls):
        known = SOURCE_NAMES if crawling else FILE_FORMATS
        what = "known sources" if crawling else "sources with a file format"
        files_only = f" ({name} is not crawled: mscwatch parse/ingest)" if entry else ""
        raise ConfigError(f"unknown source {name!r}{files_only}", f"{what}: {', '.join(known)}")
    return entry


@cache
def adapter_class(name: str, crawling: bool = True) -> type[Adapter]:
    """The adapter class of a registered source (with `crawling`, of one that crawls); a clear
    error naming the known ones for any other name."""
    module, _, attribute = _entry(name, crawling).adapter.partition(":")
    cls: type[Adapter] = getattr(import_module(module), attribute)
    return cls


def parser_for(name: str) -> Parser:
    """The pure file parser of a source, usable without any configuration: it takes a path
    (or bytes) and `keep_raw` (only PubMed's can skip serialising raw bytes)."""
    return adapter_class(name, crawling=False).parse
