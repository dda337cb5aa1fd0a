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

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import ClassVar

import httpx

from etl.http import request, shared_limiter
from etl.records import Batch, Quarantined, SourceRecord, text_of
from etl.settings import EuropePmcSettings, Settings
from etl.sources.base import (
    Adapter,
    CheckContext,
    CheckResult,
    Example,
    FetchContext,
    batch_of,
    first_examples,
    json_object,
)
from etl.sources.europepmc.parse import hit_count, next_cursor, parse_search


class EuropePmcSource(Adapter):
    name: ClassVar[str] = "europepmc"
    config: EuropePmcSettings
    settings: Settings

    @staticmethod
    def parse(
        source: str | Path | bytes, keep_raw: bool = True
    ) -> Iterator[SourceRecord | Quarantined]:
        return parse_search(source)

    def fetch(self, ctx: FetchContext) -> Iterator[Batch]:
        start, end = self._window(ctx), ctx.now.date()
        span = f"[{start.isoformat()} TO {end.isoformat()}]"
        query = f"({self._topic()}) AND (CREATION_DATE:{span} OR UPDATE_DATE:{span})"
        cursor, page = "*", 0
        ctx.report(f"{start}..{end}", None)
        while True:
            page += 1
            params = {"query": query, "format": "json", "resultType": "core",
                      "pageSize": str(self.config.page_size), "cursorMark": cursor}  # fmt: skip
            body = self._search(ctx.http, params, f"search page {page}")
            batch = batch_of(parse_search(body, location=f"europepmc page {page}"))
            following = next_cursor(body)
            if not following or following == cursor or not batch.fetched:
                batch.cursor = {"through": end.isoformat()}  # the whole window is in
                yield batch
                return
            yield batch
            cursor = following

    # Only what PubMed cannot answer: a PMC article's id, and a preprint's (PPR…).
    lookup_schemes: ClassVar[tuple[str, ...]] = ("pmcid", "ppr")

    def lookup(
        self, http: httpx.Client, scheme: str, value: str
    ) -> list[SourceRecord | Quarantined]:
        """One search for the id (`PMCID:PMC…`, or a preprint's `EXT_ID:PPR… AND SRC:PPR`),
        parsed as a crawl parses a page."""
        if scheme == "pmcid":
            query = f"PMCID:{value}"
        elif scheme == "ppr":
            query = f"EXT_ID:{value} AND SRC:PPR"
        else:
            raise NotImplementedError(f"europepmc cannot look up one record by {scheme}")
        params = {"query": query, "format": "json", "resultType": "core", "pageSize": "5",
                  "cursorMark": "*"}  # fmt: skip
        body = self._search(http, params, f"lookup {value}")
        return list(parse_search(body, location=f"europepmc {value}"))

    def check(self, ctx: CheckContext) -> CheckResult:
        """Two searches: the query's first page (its hitCount and examples), and the query
        limited to FIRST_IDX_DATE over the recent days, as an id list of one, for its count."""
        topic = self._topic()
        first = self._search(ctx.http, {
            "query": topic, "format": "json", "resultType": "core",
            "pageSize": str(max(ctx.show, 1)), "cursorMark": "*",
        }, "check")  # fmt: skip
        span = f"[{ctx.recent_since.isoformat()} TO {ctx.now.date().isoformat()}]"
        recent = self._search(ctx.http, {
            "query": f"({topic}) AND FIRST_IDX_DATE:{span}", "format": "json",
            "resultType": "idlist", "pageSize": "1",
        }, "check (recent)")  # fmt: skip
        records = parse_search(first, location="europepmc check")
        return CheckResult(
            self.name,
            hits=hit_count(first),
            hits_recent=hit_count(recent),
            recent_days=ctx.recent_days,
            examples=first_examples(records, ctx.show, _example),
        )

    def _topic(self) -> str:
        return " ".join(self.config.query.split())

    def _search(self, http: httpx.Client, params: dict[str, str], what: str) -> bytes:
        """One search request through the process's Europe PMC limiter, retried and checked."""
        return request(
            http, "GET", self.config.base_url + "search", _check_page,
            what=f"europepmc: {what}", params=params,
            limiter=shared_limiter("europepmc", self.config.requests_per_second),
            policy=self.policy(),
            setting="[sources.europepmc] base_url in config/sources.toml",
        )  # fmt: skip

    def _window(self, ctx: FetchContext) -> date:
        if ctx.since:
            return ctx.since
        mark = (ctx.cursor or {}).get("through")
        if mark:
            return date.fromisoformat(mark) - timedelta(days=self.config.overlap_days)
        return self.config.start_date


def _example(record: SourceRecord) -> Example:
    """A preprint by its PPR id, an article by its PMID (else PMCID, else Europe PMC's key)."""
    data = record.data
    ids = data.get("identifiers") or {}
    ident = ids.get("ppr") or ids.get("pmid") or ids.get("pmcid") or record.source_id
    when = text_of(data, "created") or text_of(data, "published")
    return Example(ident, text_of(data, "title") or "", when)


def _check_page(response: httpx.Response) -> bytes:
    json_object(response.content, "resultList")
    return response.content
