"""Archive pages kept in memory while the archive stays the same, and their ETags.

Rendering an issue page reads its works (records, labels, links) and runs the templates: tens of
milliseconds, for a page that changes when an issue is built, approved or sent. One small
query on `digest_issues` tells that (`fingerprint`), asked at most once every `recheck` seconds
(a round trip costs more than the rest of a kept page's answer), so a page is rendered again
within seconds of its change; what else a page shows (a work's record or labels, corrected
later) reaches it within `ttl` seconds. Each worker process keeps its own pages, at most `size`
of them (the Atom feed's address comes from the request's Host, so the keys are not ours to
bound).

The ETag is a hash of the page with the CSP nonce left out (every response gets a nonce of its
own): a reader's If-None-Match naming it gets 304 Not Modified and no body.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from etl.db.models import DigestIssue

TTL = 60.0  # seconds a page may show a work's record as it was
RECHECK = 2.0  # seconds a page may miss a new issue
SIZE = 256
MARK = "\x00nonce\x00"  # where the response's nonce goes; no page contains a NUL

issues = DigestIssue.__table__


@dataclass(frozen=True)
class Page:
    body: str  # with MARK for the nonce
    etag: str
    fingerprint: tuple[Any, ...]
    made: float

    def text(self, nonce: str) -> str:
        return self.body.replace(MARK, nonce) if nonce else self.body


class ArchiveCache:
    def __init__(
        self,
        engine: Engine,
        render: Callable[[str, str], str | None],
        ttl: float = TTL,
        size: int = SIZE,
        clock: Callable[[], float] = time.monotonic,
        recheck: float = RECHECK,
    ) -> None:
        self.engine, self.render, self.ttl, self.size, self.clock = engine, render, ttl, size, clock
        self.recheck = recheck
        self._pages: OrderedDict[tuple[str, str], Page] = OrderedDict()
        self._lock = threading.Lock()
        self._known: tuple[float, tuple[Any, ...]] | None = None  # (when asked, fingerprint)

    def current(self) -> tuple[Any, ...]:
        """The fingerprint, asked again once `recheck` seconds have passed."""
        now, known = self.clock(), self._known
        if known is None or now - known[0] >= self.recheck:
            known = self._known = (now, self.fingerprint())
        return known[1]

    def fingerprint(self) -> tuple[Any, ...]:
        """What changes whenever an archive page's list of issues or their states change."""
        c = issues.c
        query = select(
            func.count(), func.max(c.number), func.max(c.built_at), func.max(c.approved_at),
            func.max(c.sent_at), func.count(c.approved_at), func.count(c.sent_at),
            func.sum(func.length(c.state)),
        )  # fmt: skip
        with self.engine.connect() as conn:
            return tuple(conn.execute(query).one())

    def page(self, path: str, base: str, nonce: str) -> Page | None:
        """The page at `path` with links at `base`; None when there is no such page."""
        key, now, current = (path, base), self.clock(), self.current()
        with self._lock:
            found = self._pages.get(key)
        if found is not None and found.fingerprint == current and now - found.made < self.ttl:
            return found
        body = self.render(path, base)
        if body is None:
            return None
        kept = body.replace(nonce, MARK) if nonce else body
        etag = hashlib.sha256(kept.encode()).hexdigest()[:32]
        made = Page(kept, etag, current, now)
        with self._lock:
            self._pages[key] = made
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
        return made
