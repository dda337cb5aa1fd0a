"""The source-adapter contract (see sources/README.md).

An adapter turns an upstream into `Batch`es: records plus, at the end of each unit of work, the
cursor that is safe to save once those records are committed. It never touches the database: the
pipeline loads the cursor, hands it in, and saves the new one after the commit, so a crash
re-fetches rather than skips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

import httpx

from etl.errors import ConfigError
from etl.records import Batch, Quarantined, SourceRecord
from etl.sources.xmlstream import open_source


@dataclass(frozen=True)
class FetchContext:
    http: httpx.Client
    cursor: dict[str, Any] | None
    now: datetime
    since: date | None = None
    # Called with a short text as the crawl moves on (window, batch), for progress displays.
    report: Callable[[str, int | None], None] = lambda text, total: None


class Source(Protocol):
    name: ClassVar[str]

    def fetch(self, ctx: FetchContext) -> Iterator[Batch]: ...

    def parse_file(self, path: Path) -> Iterator[SourceRecord | Quarantined]: ...


def require_table(config: Any, settings: Any, name: str) -> None:
    """A source asked for without its table in sources.toml: say which file and table."""
    if config is None:
        raise ConfigError(
            f"{settings.config_dir / 'sources.toml'}: no [sources.{name}] table",
            "add one (see the comments in config/sources.toml)",
        )


def batch_of(items: Iterable[SourceRecord | Quarantined]) -> Batch:
    """One parsed page as a batch: records counted as fetched, broken ones set aside."""
    batch = Batch()
    for item in items:
        if isinstance(item, Quarantined):
            batch.quarantined.append(item)
        else:
            batch.records.append(item)
            batch.fetched += 1
    return batch


def read_body(source: str | Path | bytes) -> bytes:
    """The whole of a response body, a file, or a gzipped file."""
    if isinstance(source, bytes):
        return source
    with open_source(source) as stream:
        return stream.read()
