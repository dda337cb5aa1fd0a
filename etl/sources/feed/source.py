"""RSS and Atom feeds adapter: one conditional GET per configured feed, each with its own state.

A feed has no date window to resume from, only its current entries, so its cursor is what makes
the next poll cheap and correct: where to ask (after a permanent redirect), the validators of the
copy last stored, and whether the feed is gone for good.

    {"feeds": {"<name>": {"config_url": …, "url": …, "etag": … | null,
                          "last_modified": … | null, "disabled": "<reason>" | null}}}

Each feed's batch carries only its own entry, and `merge_cursor` replaces dict entries by name,
so saving after each feed keeps the other feeds' state. The validators are saved in the
transaction that stores the records they describe, so a crash re-fetches the feed rather than
getting a 304 for records never stored. The state belongs to the configured URL: editing a feed's
`url` in config/sources.toml starts it afresh, which is also how a gone feed is revived.

What each answer does: 200 stores the entries; 304 is nothing new; 301/308 are followed and the
target is asked directly from then on; 302/303/307 are followed this time only; 410 disables the
feed (an ERROR line each run until the operator removes or fixes it); any other 4xx fails that
feed, and the run fails once the other feeds are in; 429, 5xx and timeouts are retried by
`etl.http.request`.

    [sources.feed]
    enabled = true
    requests_per_second = 2.0     # shared by every feed of the process
    feeds = [
      { name = "stem-cell-res-ther", url = "https://example.org/journal/toc.rss" },
    ]
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, cast

import httpx

from etl.errors import (
    SourceError,
    SourceResponseError,
    SourceUnavailableError,
    SourceUnreachableError,
)
from etl.http import RateLimiter, RetryPolicy, request, shared_limiter
from etl.records import Batch, Quarantined, SourceRecord, text_of
from etl.settings import FeedEntry, FeedSettings, Settings
from etl.sources.base import (
    Adapter,
    CheckContext,
    CheckResult,
    Example,
    FetchContext,
    batch_of,
    first_examples,
)
from etl.sources.feed.parse import feed_name_of, parse_feed

log = logging.getLogger(__name__)
PERMANENT = frozenset({301, 308})
TEMPORARY = frozenset({302, 303, 307})
MAX_REDIRECTS = 5
FIX = "fix its url in config/sources.toml, or remove the feed there"


@dataclass(frozen=True)
class FeedState:
    """One feed's entry in the cursor."""

    config_url: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    disabled: str | None = None

    @classmethod
    def of(cls, entry: FeedEntry, stored: Any) -> FeedState:
        """The stored state of `entry`; a fresh one if none, or if its configured url changed."""
        if not isinstance(stored, dict) or stored.get("config_url") != entry.url:
            return cls(entry.url, entry.url)
        return cls(
            entry.url,
            stored.get("url") or entry.url,
            stored.get("etag"),
            stored.get("last_modified"),
            stored.get("disabled"),
        )

    def validators(self) -> dict[str, str]:
        headers = {"If-None-Match": self.etag, "If-Modified-Since": self.last_modified}
        return {name: value for name, value in headers.items() if value}

    def cursor(self, name: str) -> dict[str, Any]:
        return {"feeds": {name: asdict(self)}}


def disabled_feeds(config: FeedSettings, cursor: dict[str, Any] | None) -> dict[str, str]:
    """The configured feeds the cursor marks gone (410), by name, with the reason: what the
    health verdict `disabled` reports until the operator fixes or removes them."""
    stored = (cursor or {}).get("feeds") or {}
    states = {entry.name: FeedState.of(entry, stored.get(entry.name)) for entry in config.feeds}
    return {name: state.disabled for name, state in states.items() if state.disabled}


@dataclass(frozen=True)
class Answer:
    """The last response of one poll, after redirects, and where a permanent move led."""

    status: int
    url: str
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None


class FeedSource(Adapter):
    name: ClassVar[str] = "feed"
    config: FeedSettings
    settings: Settings

    @staticmethod
    def parse(
        source: str | Path | bytes, keep_raw: bool = True
    ) -> Iterator[SourceRecord | Quarantined]:
        """A saved feed is named after its file (the `feed_name` a crawl takes from config)."""
        name = feed_name_of(source) if not isinstance(source, bytes) else ""
        return parse_feed(source, feed_name=name)

    def parse_file(self, path: Path) -> Iterator[SourceRecord | Quarantined]:
        """A saved feed, under the body-size cap configured for crawled ones."""
        return parse_feed(path, feed_name=feed_name_of(path), max_bytes=self.config.max_bytes)

    def fetch(self, ctx: FetchContext) -> Iterator[Batch]:
        """One batch per feed polled; one SourceError at the end if any feed failed, so the good
        feeds' records are committed and the run is still recorded as failed."""
        stored = (ctx.cursor or {}).get("feeds") or {}
        poller = _Poller(
            ctx,
            shared_limiter("feed", self.config.requests_per_second),
            self.policy(),
            self.config.max_bytes,
        )
        failures: list[tuple[str, SourceError]] = []
        for entry in self.config.feeds:
            state = FeedState.of(entry, stored.get(entry.name))
            if state.disabled:
                log.error(
                    "feed %s: disabled (%s), not fetched; %s", entry.name, state.disabled, FIX
                )
                continue
            ctx.report(entry.name, None)
            try:
                batch = _poll_feed(poller, entry.name, state)
            except SourceError as exc:
                failures.append((entry.name, exc))
                continue
            except Exception as exc:  # a bug met on one feed's answer: that feed's failure only
                log.exception("feed %s: unexpected failure", entry.name)
                failures.append((entry.name, SourceError(f"feed {entry.name}: {exc!r}")))
                continue
            yield batch
        if failures:
            raise _failed(failures, len(self.config.feeds))

    def check(self, ctx: CheckContext) -> CheckResult:
        """Each configured feed fetched once as if never seen (no validators, no stored state,
        a gone feed asked anyway): its entry count and first entries. A feed has no query to
        count over time, so `hits` is the entries it holds and there is no recent count."""
        if not self.config.feeds:
            return CheckResult(
                self.name,
                ok=False,
                error="no feeds are configured",
                hint="add { name, url } entries to feeds in [sources.feed] in config/sources.toml",
            )
        poller = _Poller(
            FetchContext(ctx.http, None, ctx.now),
            shared_limiter("feed", self.config.requests_per_second),
            self.policy(),
            self.config.max_bytes,
        )
        feeds = tuple(_check_feed(poller, entry, ctx.show) for entry in self.config.feeds)
        failed = [feed.source for feed in feeds if not feed.ok]
        error = f"{len(failed)} of {len(feeds)} feeds failed: {', '.join(failed)}"
        return CheckResult(
            self.name,
            ok=not failed,
            hits=sum(feed.hits or 0 for feed in feeds),
            error=error if failed else None,
            feeds=feeds,
        )


def _check_feed(poller: _Poller, entry: FeedEntry, show: int) -> CheckResult:
    """One feed's check: what its URL answers now, read by the crawl's own parser."""
    try:
        answer = poller.get(entry.name, FeedState(entry.url, entry.url))
    except SourceError as exc:
        return CheckResult.failure(entry.name, exc)
    moved = (f"moved permanently to {answer.moved_to}; update its url",) if answer.moved_to else ()
    if answer.status != 200:
        said = "410 Gone: the feed was removed for good"
        if answer.status != 410:
            said = f"HTTP {answer.status} to a request without validators"
        return _feed_failed(entry.name, f"{answer.url} answered {said}", moved)
    batch = _parsed(answer.body, f"feed {entry.name} {answer.url}", entry.name, poller.max_bytes)
    if batch.quarantined and not batch.records:
        reason = batch.quarantined[0].reason
        return _feed_failed(entry.name, f"{answer.url} is not a feed: {reason}", moved)
    unread = tuple(f"entry not read: {item.reason}" for item in batch.quarantined)
    return CheckResult(
        entry.name,
        hits=len(batch.records) + len(batch.quarantined),
        examples=first_examples(batch.records, show, _example),
        notes=moved + unread,
    )


def _feed_failed(name: str, error: str, notes: tuple[str, ...]) -> CheckResult:
    return CheckResult(name, ok=False, error=error, hint=FIX, notes=notes)


def _example(record: SourceRecord) -> Example:
    """An entry by its link: a feed's guids are often opaque, the link is what a person opens."""
    data = record.data
    link = text_of(data, "url") or record.source_id
    return Example(link, text_of(data, "title") or "", text_of(data, "published"))


def _poll_feed(poller: _Poller, name: str, state: FeedState) -> Batch:
    """The batch for one feed: its entries, or nothing new, with the state to save."""
    answer = poller.get(name, state)
    if answer.moved_to:
        log.warning(
            "feed %s: %s moved permanently to %s; asking there from now on (update its url in "
            "config/sources.toml)",
            name,
            state.url,
            answer.moved_to,
        )
        state = replace(state, url=answer.moved_to)
    if answer.status == 410:
        reason = f"{answer.url} answered 410 Gone on {poller.ctx.now.date().isoformat()}"
        log.error(
            "feed %s: %s: the feed was removed for good and is now disabled; %s", name, reason, FIX
        )
        return Batch(cursor=replace(state, disabled=reason).cursor(name))
    if answer.status == 304:
        log.debug("feed %s: not modified", name)
        kept = replace(
            state,
            etag=answer.etag or state.etag,
            last_modified=answer.last_modified or state.last_modified,
        )
        return Batch(cursor=kept.cursor(name))
    fresh = replace(state, etag=answer.etag, last_modified=answer.last_modified)
    batch = _parsed(answer.body, f"feed {name} {answer.url}", name, poller.max_bytes)
    batch.cursor = fresh.cursor(name)
    return batch


def _parsed(body: bytes, where: str, name: str, max_bytes: int) -> Batch:
    """An unreadable body comes back from the parser as one Quarantined: stored, not raised."""
    return batch_of(parse_feed(body, location=where, feed_name=name, max_bytes=max_bytes))


class _Poller:
    """GETs one feed at a time through `etl.http.request`, following redirects by hand."""

    def __init__(
        self, ctx: FetchContext, limiter: RateLimiter, policy: RetryPolicy, max_bytes: int
    ) -> None:
        self.ctx = ctx
        self.limiter = limiter
        self.policy = policy
        self.max_bytes = max_bytes

    def get(self, name: str, state: FeedState) -> Answer:
        # --since asks for a full re-read: without validators the feed cannot answer 304.
        headers = {} if self.ctx.since else state.validators()
        url, moved_to, permanent = state.url, None, True
        for _ in range(MAX_REDIRECTS + 1):
            response = self._once(name, url, headers)
            if response is None:
                return Answer(410, url, moved_to=moved_to)
            if response.status_code not in PERMANENT | TEMPORARY:
                return _answer(response, url, moved_to)
            url = _location(name, response)
            permanent = permanent and response.status_code in PERMANENT
            moved_to = url if permanent else moved_to
        raise SourceResponseError(
            f"feed {name}: more than {MAX_REDIRECTS} redirects from {state.url}",
            f"open it in a browser to see where it leads; {FIX}",
        )

    def _once(self, name: str, url: str, headers: dict[str, str]) -> httpx.Response | None:
        """One request (with retries); None for 410 Gone, which `request` raises like any 4xx."""
        client = _OneCall(self.ctx.http, headers)
        what = f"feed {name}: GET {url}"
        try:
            return request(
                cast(httpx.Client, client), "GET", url, partial(_usable, what),
                what=what, limiter=self.limiter, policy=self.policy,
                setting=f"the url of feed {name} in config/sources.toml",
            )  # fmt: skip
        except SourceUnreachableError:
            raise
        except SourceResponseError as exc:
            if client.status == 410:
                return None
            raise SourceResponseError(exc.message, FIX) from None
        except SourceUnavailableError as exc:
            raise SourceUnavailableError(
                exc.message, "the feed's server may be down; it is asked again on the next run"
            ) from None


class _OneCall:
    """The run's client as `etl.http.request` sees it, for one conditional GET.

    `request` takes a client and calls `client.request(method, url, params=, data=)`; a
    conditional GET also needs its validators, and redirects not followed (the project's client
    follows them, and the adapter must see a 301 to remember its target). The last status is kept
    so that 410 can be told from the other refusals, which `request` raises alike.
    """

    def __init__(self, client: httpx.Client, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers
        self.status: int | None = None

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(
            method, url, headers=self.headers, follow_redirects=False, **kwargs
        )
        self.status = response.status_code
        return response


def _usable(what: str, response: httpx.Response) -> httpx.Response:
    """200, 304 and redirects are for the adapter to handle; other answers below 400 are not."""
    if response.status_code in {200, 304} | PERMANENT | TEMPORARY:
        return response
    raise SourceResponseError(f"{what} answered HTTP {response.status_code}, not a feed", FIX)


def _answer(response: httpx.Response, url: str, moved_to: str | None) -> Answer:
    headers = response.headers
    return Answer(
        response.status_code,
        url,
        response.content if response.status_code == 200 else b"",
        headers.get("ETag"),
        headers.get("Last-Modified"),
        moved_to,
    )


def _location(name: str, response: httpx.Response) -> str:
    """The absolute URL a redirect points to (Location may be relative)."""
    location = response.headers.get("Location", "")
    try:
        target = response.request.url.join(location) if location else None
    except httpx.InvalidURL:
        target = None
    if target is None or target.scheme not in ("http", "https"):
        raise SourceResponseError(
            f"feed {name}: {response.request.url} answered {response.status_code} with an "
            f"unusable Location {location!r}",
            FIX,
        )
    return str(target)


def _failed(failures: list[tuple[str, SourceError]], total: int) -> SourceError:
    """One error for the run, naming every feed that failed and why."""
    names = ", ".join(name for name, _ in failures)
    details = "; ".join(exc.message for _, exc in failures)
    hints = dict.fromkeys(exc.hint for _, exc in failures if exc.hint)
    return SourceError(
        f"{len(failures)} of {total} feeds failed ({names}): {details}",
        "; ".join([*hints, "the other feeds' records were stored"]),
    )
