"""ClinicalTrials.gov API v2 adapter: incremental by LastUpdatePostDate, paged by pageToken.

Pages are asked for in ascending LastUpdatePostDate, so once a page's records are committed the
watermark may move to the newest date no later page can hold: the page's dates before its newest
one (the next page may go on with more studies of that day), and on the last page the newest
itself. A run starts `overlap_days` before the watermark, because dates are day-granular, and
the store absorbs the overlap.

    [sources.ctgov]
    base_url = "https://clinicaltrials.gov/api/v2/"
    query_term = '"mesenchymal stem cell" OR "mesenchymal stromal cell"'
    query_cond = "cancer OR neoplasm OR leukemia OR lymphoma OR myeloma OR graft-versus-host"
    start_date = "2020-01-01"
    overlap_days = 3
    page_size = 1000
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import ClassVar

import httpx

from etl.http import request, shared_limiter
from etl.records import Batch, Quarantined, SourceRecord, text_of
from etl.settings import CtGovSettings, Settings
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
from etl.sources.ctgov.parse import page_token, parse_studies, total_count

log = logging.getLogger(__name__)
EMPTY_PAGES_LIMIT = 3  # a token on empty pages: the API's known quirk on the last page


class CtGovSource(Adapter):
    name: ClassVar[str] = "ctgov"
    config: CtGovSettings
    settings: Settings

    @staticmethod
    def parse(
        source: str | Path | bytes, keep_raw: bool = True
    ) -> Iterator[SourceRecord | Quarantined]:
        return parse_studies(source)

    def fetch(self, ctx: FetchContext) -> Iterator[Batch]:
        start = self._start(ctx)
        params = self._params(start)
        token: str | None = None
        empty = 0
        page = 0
        held = ""  # the newest LastUpdatePostDate of the pages so far
        ctx.report(f"updated since {start}", None)
        while True:
            page += 1
            query = {**params, **({"pageToken": token} if token else {})}
            body = self._get(ctx.http, query, f"studies page {page}")
            batch = batch_of(parse_studies(body, location=f"ctgov page {page}"))
            next_token = page_token(body)
            empty = empty + 1 if not batch.records and not batch.quarantined else 0
            last = not next_token or next_token == token or empty >= EMPTY_PAGES_LIMIT
            days = [held, *(text_of(r.data, "last_update_posted") or "" for r in batch.records)]
            newest = max(days)
            # The next page may hold more of the newest day: claim it only when there is none.
            mark = newest if last else max((d for d in days if d < newest), default="")
            if mark:
                batch.cursor = {"last_update": mark}
            held = newest
            yield batch
            if last:
                break
            token = next_token

    lookup_schemes: ClassVar[tuple[str, ...]] = ("nct",)

    def lookup(
        self, http: httpx.Client, scheme: str, value: str
    ) -> list[SourceRecord | Quarantined]:
        """One study by NCT id through `/studies?filter.ids=`: an unknown id is an empty page,
        not an HTTP error, so "no such trial" and "the request failed" stay apart."""
        if scheme != "nct":
            raise NotImplementedError(f"ctgov cannot look up one record by {scheme}")
        query = {"format": "json", "filter.ids": value, "pageSize": "1"}
        body = self._get(http, query, f"study {value}")
        return list(parse_studies(body, location=f"ctgov {value}"))

    def _start(self, ctx: FetchContext) -> date:
        if ctx.since:
            return ctx.since
        mark = (ctx.cursor or {}).get("last_update")
        if mark:
            return date.fromisoformat(mark) - timedelta(days=self.config.overlap_days)
        return self.config.start_date

    def check(self, ctx: CheckContext) -> CheckResult:
        """Two pages with `countTotal`: the newest updated studies of the whole query, and one
        study of the LastUpdatePostDate window for its count."""
        newest = self._get(ctx.http, {
            **self._query(), "format": "json", "sort": "LastUpdatePostDate:desc",
            "pageSize": str(max(ctx.show, 1)), "countTotal": "true",
        }, "check")  # fmt: skip
        recent = self._get(ctx.http, {
            **self._query(), "format": "json", "pageSize": "1", "countTotal": "true",
            "filter.advanced": _since(ctx.recent_since),
        }, "check (recent)")  # fmt: skip
        records = parse_studies(newest, location="ctgov check")
        return CheckResult(
            self.name,
            hits=total_count(newest),
            hits_recent=total_count(recent),
            recent_days=ctx.recent_days,
            examples=first_examples(records, ctx.show, _example),
        )

    def _get(self, http: httpx.Client, params: dict[str, str], what: str) -> bytes:
        """One `/studies` page through the process's ctgov limiter, retried and checked."""
        return request(
            http, "GET", self.config.base_url + "studies", _check_page, what=f"ctgov: {what}",
            params=params, limiter=shared_limiter("ctgov", self.config.requests_per_second),
            policy=self.policy(),
            setting="[sources.ctgov] base_url in config/sources.toml",
        )  # fmt: skip

    def _params(self, start: date) -> dict[str, str]:
        return {
            "format": "json",
            "filter.advanced": _since(start),
            "sort": "LastUpdatePostDate:asc",
            "pageSize": str(self.config.page_size),
            "countTotal": "true",
            **self._query(),
        }

    def _query(self) -> dict[str, str]:
        """The configured topic: the given areas, which the API ANDs."""
        areas = (("query.term", self.config.query_term),
                 ("query.cond", self.config.query_cond),
                 ("query.intr", self.config.query_intr))  # fmt: skip
        return {key: " ".join(value.split()) for key, value in areas if value}


def _since(start: date) -> str:
    return f"AREA[LastUpdatePostDate]RANGE[{start.isoformat()},MAX]"


def _example(record: SourceRecord) -> Example:
    data = record.data
    return Example(
        record.source_id, text_of(data, "title") or "", text_of(data, "last_update_posted")
    )


def _check_page(response: httpx.Response) -> bytes:
    """A page is a JSON object with a `studies` list; anything else is an error for the request."""
    json_object(response.content, "studies", list)
    return response.content
