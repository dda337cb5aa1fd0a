"""PubMed adapter: incremental crawl by create date, split under the esearch cap, then a re-fetch of
records modified in the same window so new retraction and erratum links reach stored records.

Cursor: {"crdt": "YYYY-MM-DD", "mdat": "YYYY-MM-DD"}, the last day of the last committed window of
each pass. A run starts `overlap_days` before it, because PubMed indexes some records late; the
store absorbs the overlap.

    [sources.pubmed]
    base_url = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
    query = '"mesenchymal stem cell*"[tiab] AND cancer*[tiab]'
    start_date = "2025-01-01"     # first day crawled when there is no cursor
    overlap_days = 10
    batch_size = 400              # PMIDs per efetch
    search_cap = 9999             # esearch's window; a window with as many hits is halved
    refetch_modified = true
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import ClassVar

import httpx

from etl.http import shared_limiter
from etl.records import Batch, Quarantined, SourceRecord, text_of
from etl.settings import PubMedSettings, Settings
from etl.sources.base import (
    Adapter,
    CheckContext,
    CheckResult,
    Example,
    FetchContext,
    first_examples,
)
from etl.sources.pubmed.eutils import (
    EUtils,
    HistoryExpired,
    QueryRejected,
    SearchResult,
    window_term,
)
from etl.sources.pubmed.parse import parse_efetch

log = logging.getLogger(__name__)
MISSING_RETRIES = 2


class PubMedSource(Adapter):
    name: ClassVar[str] = "pubmed"
    config: PubMedSettings
    settings: Settings

    @staticmethod
    def parse(
        source: str | Path | bytes, keep_raw: bool = True
    ) -> Iterator[SourceRecord | Quarantined]:
        return parse_efetch(source, keep_raw=keep_raw)

    def fetch(self, ctx: FetchContext) -> Iterator[Batch]:
        run = _Run(self._api(ctx.http), self.config, ctx)
        yield from run.crawl()

    def check(self, ctx: CheckContext) -> CheckResult:
        """Three requests: the query's count and first ids, its count by create date ([crdt])
        over the recent days, and one efetch for the examples' titles."""
        api = self._api(ctx.http)
        query = " ".join(self.config.query.split())
        try:
            found = api.esearch(query, ctx.show)
            recent_term = window_term(query, "crdt", ctx.recent_since, ctx.now.date())
            recent = api.esearch(recent_term, 0)
        except QueryRejected as exc:
            return _rejected(exc)
        ids = found.ids[: ctx.show]
        records = parse_efetch(api.efetch_ids(ids), location="pubmed check") if ids else ()
        return CheckResult(
            self.name,
            hits=found.count,
            hits_recent=recent.count,
            recent_days=ctx.recent_days,
            examples=first_examples(records, ctx.show, _example),
            notes=_notes(found.translation, found.warnings) if found.warnings else (),
        )

    lookup_schemes: ClassVar[tuple[str, ...]] = ("pmid", "doi", "title")
    LOOKUP_HITS: ClassVar[int] = 5  # a title search's first hits: enough to find the cited one

    def lookup(
        self, http: httpx.Client, scheme: str, value: str
    ) -> list[SourceRecord | Quarantined]:
        """efetch of one PMID; a DOI or a title through esearch first ([doi], [ti]), then efetch
        of what it found, in esearch's order."""
        api = self._api(http)
        if scheme == "pmid":
            ids = [value]
        elif scheme in ("doi", "title"):
            ids = api.esearch(lookup_term(scheme, value), self.LOOKUP_HITS).ids[: self.LOOKUP_HITS]
        else:
            raise NotImplementedError(f"pubmed cannot look up one record by {scheme}")
        if not ids:
            return []
        found = list(parse_efetch(api.efetch_ids(ids), location=f"pubmed lookup {scheme}"))
        order = {pmid: rank for rank, pmid in enumerate(ids)}
        return sorted(found, key=lambda item: order.get(_pmid_of(item), len(order)))

    def _api(self, http: httpx.Client) -> EUtils:
        """Every PubMed request of the process shares one limiter, identity and key."""
        return EUtils(
            http,
            self.config,
            shared_limiter("pubmed", self.settings.pubmed_rate()),
            self.policy(),
            self.settings.secrets.ncbi_api_key,
        )


def lookup_term(scheme: str, value: str) -> str:
    """The esearch term that finds one DOI, or a title's words: quotes and brackets inside a
    title would end PubMed's phrase or open a field tag, so only its words are kept."""
    if scheme == "doi":
        return f'"{value}"[doi]'
    words = " ".join(re.findall(r"[^\W_]+(?:[-'][^\W_]+)*", value))
    return f'"{words}"[ti]'


def _pmid_of(item: SourceRecord | Quarantined) -> str:
    return item.source_id if isinstance(item, SourceRecord) else item.record_key


def _rejected(exc: QueryRejected) -> CheckResult:
    """PubMed answers a query with unknown parts by searching without them; an operator must
    see which parts and how PubMed read the rest, or a typo looks like a narrow query."""
    return CheckResult(
        "pubmed",
        ok=False,
        error=f"PubMed rejected the query: {'; '.join(exc.problems)}",
        hint=exc.hint,
        notes=_notes(exc.translation, exc.warnings),
    )


def _notes(translation: str | None, warnings: tuple[str, ...]) -> tuple[str, ...]:
    head = (f"QueryTranslation: {translation}",) if translation else ()
    return head + tuple(f"warning: {warning}" for warning in warnings)


def _example(record: SourceRecord) -> Example:
    data = record.data
    return Example(
        record.source_id,
        text_of(data, "title") or "",
        text_of(data, "created") or text_of(data, "published"),
    )


class _Run:
    """The state of one crawl: which ids this run has already fetched, and the window bounds."""

    def __init__(self, api: EUtils, config: PubMedSettings, ctx: FetchContext) -> None:
        self.api = api
        self.config = config
        self.ctx = ctx
        self.seen: set[str] = set()
        self.end = ctx.now.date()

    def crawl(self) -> Iterator[Batch]:
        cursor = self.ctx.cursor or {}
        overlap = timedelta(days=self.config.overlap_days)
        crdt_start = self._start(cursor.get("crdt"), overlap)
        yield from self._pass("crdt", crdt_start)
        if not self.config.refetch_modified:
            return
        if cursor.get("mdat") or self.ctx.since:
            yield from self._pass("mdat", self._start(cursor.get("mdat"), overlap))
        else:
            # First run: every record of the range was just fetched fresh; start watching edits.
            yield Batch(cursor={"mdat": self.end.isoformat()})

    def _start(self, watermark: str | None, overlap: timedelta) -> date:
        if self.ctx.since:
            return self.ctx.since
        if watermark:
            return min(date.fromisoformat(watermark) - overlap, self.end)
        return min(self.config.start_date, self.end)

    def _pass(self, field: str, start: date) -> Iterator[Batch]:
        for window_start, window_end, result in self._windows(field, start, self.end):
            self.ctx.report(f"{field} {window_start}..{window_end}", len(result.ids))
            yield from self._fetch_window(field, result)
            yield Batch(cursor={field: window_end.isoformat()})

    def _windows(
        self, field: str, start: date, end: date
    ) -> Iterator[tuple[date, date, SearchResult]]:
        """Windows in date order, each under the esearch cap (halved until it is)."""
        cap = self.config.search_cap
        result = self.api.esearch(window_term(self.config.query, field, start, end), cap)
        if result.count < cap or start == end:
            if result.count >= cap:
                log.error(
                    "pubmed: %s %s alone has %d hits, more than esearch's %d; only those are "
                    "fetched: narrow sources.pubmed.query",
                    field,
                    start,
                    result.count,
                    cap,
                )
            yield start, end, result
            return
        middle = start + (end - start) // 2
        yield from self._windows(field, start, middle)
        yield from self._windows(field, middle + timedelta(days=1), end)

    def _fetch_window(self, field: str, result: SearchResult) -> Iterator[Batch]:
        size = self.config.batch_size
        ids = result.ids
        if field == "mdat":  # records of this run's create-date pass are fresh already
            ids = [pmid for pmid in ids if pmid not in self.seen]
            for start in range(0, len(ids), size):
                yield self._batch(ids[start : start + size], None, 0)
            return
        for start in range(0, len(ids), size):
            yield self._batch(ids[start : start + size], result, start)

    def _batch(self, expected: list[str], result: SearchResult | None, retstart: int) -> Batch:
        body = self._efetch(expected, result, retstart)
        batch = Batch()
        self._collect(batch, body, f"efetch {expected[0]}..{expected[-1]}")
        missing = [pmid for pmid in expected if pmid not in self.seen]
        for _ in range(MISSING_RETRIES):
            if not missing:
                break
            self._collect(batch, self.api.efetch_ids(missing), "efetch (retry of missing ids)")
            missing = [pmid for pmid in missing if pmid not in self.seen]
        if missing:
            log.warning(
                "pubmed: %d PMIDs were asked for but never returned: %s",
                len(missing),
                ", ".join(missing[:20]),
            )
            batch.failed.extend(missing)
        return batch

    def _efetch(self, ids: list[str], result: SearchResult | None, retstart: int) -> bytes:
        if result is not None and result.webenv:
            try:
                return self.api.efetch_history(result, retstart, len(ids))
            except HistoryExpired as exc:
                log.info("pubmed: history expired (%s); fetching by id", exc)
        return self.api.efetch_ids(ids)

    def _collect(self, batch: Batch, body: bytes, where: str) -> None:
        for item in parse_efetch(body, location=f"pubmed {where}"):
            if isinstance(item, Quarantined):
                batch.quarantined.append(item)
                if item.record_key:
                    self.seen.add(item.record_key)
                continue
            if item.source_id in self.seen and not item.deleted:
                continue
            self.seen.add(item.source_id)
            batch.records.append(item)
            batch.fetched += 1
