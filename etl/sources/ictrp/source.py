"""WHO ICTRP: read from the portal's "export to XML" files (ChiCTR and the other registries), which
`parse` and `ingest` load; the portal offers no API to crawl."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from etl.records import Quarantined, SourceRecord
from etl.sources.base import Adapter
from etl.sources.ictrp.parse import parse_ictrp


class IctrpSource(Adapter):
    name: ClassVar[str] = "ictrp"
    crawls: ClassVar[bool] = False

    @staticmethod
    def parse(
        source: str | Path | bytes, keep_raw: bool = True
    ) -> Iterator[SourceRecord | Quarantined]:
        return parse_ictrp(source)
