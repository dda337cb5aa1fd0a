"""The source-adapter contract (see sources/README.md).

An adapter turns an upstream into `Batch`es: records plus, at the end of each unit of work, the
cursor that is safe to save once those records are committed. It never touches the database: the
pipeline loads the cursor, hands it in, and saves the new one after the commit, so a crash
re-fetches rather than skips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

import httpx

from etl.records import Batch, Quarantined, SourceRecord


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
