"""Europe PMC adapter: articles and preprints by creation or update date, paged by cursorMark.

Cursor pages come in relevance order, not by date, so the watermark ({"through": day}) moves only
once a whole window is committed; a run starts `overlap_days` before it.

    [sources.europepmc]
    base_url = "https://www.ebi.ac.uk/europepmc/webservices/rest/"
    query = '"mesenchymal stromal cell" AND cancer'
    start_date = "2025-01-01"
    overlap_days = 7
    page_size = 1000
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import ClassVar

import httpx

from etl.http import BadBody, RetryPolicy, request, shared_limiter
from etl.records import Batch, Quarantined, SourceRecord
from etl.settings import EuropePmcSettings, Settings
from etl.sources.base import FetchContext, batch_of, require_table
from etl.sources.europepmc.parse import next_cursor, parse_search


class EuropePmcSource:
    name: ClassVar[str] = "europepmc"

    def __init__(self, config: EuropePmcSettings | None, settings: Settings) -> None:
        require_table(config, settings, "europepmc")
        self.config = config
        self.settings = settings

    def parse_file(self, path: Path) -> Iterator[SourceRecord | Quarantined]:
        return parse_search(path)

    def fetch(self, ctx: FetchContext) -> Iterator[Batch]:
        start, end = self._window(ctx), ctx.now.date()
        span = f"[{start.isoformat()} TO {end.isoformat()}]"
        topic = " ".join(self.config.query.split())
        query = f"({topic}) AND (CREATION_DATE:{span} OR UPDATE_DATE:{span})"
        limiter = shared_limiter("europepmc", self.config.requests_per_second)
        policy = RetryPolicy.from_settings(self.settings.http)
        cursor, page = "*", 0
        ctx.report(f"{start}..{end}", None)
        while True:
            page += 1
            params = {"query": query, "format": "json", "resultType": "core",
                      "pageSize": str(self.config.page_size), "cursorMark": cursor}  # fmt: skip
            body = request(
                ctx.http, "GET", self.config.base_url + "search", _check_page,
                what=f"europepmc: search page {page}", params=params, limiter=limiter,
                policy=policy,
            )  # fmt: skip
            batch = batch_of(parse_search(body, location=f"europepmc page {page}"))
            following = next_cursor(body)
            if not following or following == cursor or not batch.fetched:
                batch.cursor = {"through": end.isoformat()}  # the whole window is in
                yield batch
                return
            yield batch
            cursor = following

    def _window(self, ctx: FetchContext) -> date:
        if ctx.since:
            return ctx.since
        mark = (ctx.cursor or {}).get("through")
        if mark:
            return date.fromisoformat(mark) - timedelta(days=self.config.overlap_days)
        return self.config.start_date


def _check_page(response: httpx.Response) -> bytes:
    body = response.content
    try:
        document = json.loads(body)
    except ValueError:
        raise BadBody(f"not JSON (starts {body[:60]!r})") from None
    if not isinstance(document, dict) or "resultList" not in document:
        raise BadBody("a JSON answer without a resultList")
    return body
