"""Public pages kept in memory while what they show stays the same, and their ETags.

Rendering an issue page reads its works (records, labels, links) and runs the templates: tens of
milliseconds, for a page that changes when an issue is built, approved or sent, or an article
published. Two small queries on `digest_issues` and `articles` tell that (`fingerprint`),
asked at most once every `recheck` seconds (a round trip costs more than the rest of a kept
page's answer), so a page is rendered again within seconds of its change; what else a page
shows (a work's record or labels, corrected later) reaches it within `ttl` seconds. Each
worker process keeps its own pages, at most `size` of them (the Atom feed's address comes from
the request's Host, so the keys are not ours to bound).

The ETag is a hash of the page with the CSP nonce left out (every response gets a nonce of its
own): a reader's If-None-Match naming it gets 304 Not Modified and no body.

The same mechanism keeps the study pages and the evidence map, with a fingerprint that also
moves when a work, its classification, its events or an editor's label change
(`works_fingerprint`, one more query of index probes): those pages show a work's record and
labels, not only the issues and the articles that cite it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, request
from sqlalchemy import Connection, Engine, case, func, select

from etl.db.models import (
    Article,
    Classification,
    DigestIssue,
    EditorLabel,
    Event,
    Work,
    WorkMerge,
)
from etl.db.states import ArticleState
from etl.recent import Recent
from etl.web.security import nonce

TTL = 60.0  # seconds a page may show a work's record as it was
RECHECK = 2.0  # seconds a page may miss a new issue
SIZE = 256
MARK = "\x00nonce\x00"  # where the response's nonce goes; no page contains a NUL

issues = DigestIssue.__table__
articles = Article.__table__
Fingerprint = Callable[[Connection], tuple[Any, ...]]
Rendered = str | tuple[str, int]  # a page, or a page and its status (a withdrawn article: 410)


def issues_fingerprint(conn: Connection) -> tuple[Any, ...]:
    """What changes whenever an archive page's list of issues or their states change."""
    c = issues.c
    query = select(
        func.count(), func.max(c.number), func.max(c.built_at), func.max(c.approved_at),
        func.max(c.sent_at), func.count(c.approved_at), func.count(c.sent_at),
        func.sum(func.length(c.state)),
    )  # fmt: skip
    return tuple(conn.execute(query).one())


def articles_fingerprint(conn: Connection) -> tuple[Any, ...]:
    """What changes when an article is published or withdrawn, edited, or checked again
    (which rewrites the works it cites): the articles' pages, the index and feed that list
    them, and the study pages that list the articles citing them. The published count is
    asked for itself: "published" and "withdrawn" are as long as each other, so the states'
    lengths alone would not tell a withdrawal."""
    c = articles.c
    query = select(
        func.count(), func.max(c.updated_at), func.max(c.checked_at), func.max(c.published_at),
        func.count(c.published_at), func.sum(func.length(c.state)),
        func.count(case((c.state == ArticleState.PUBLISHED, 1))), func.max(c.withdrawn_at),
        func.count(c.withdrawn_at),
    )  # fmt: skip
    return tuple(conn.execute(query).one())


def archive_fingerprint(conn: Connection) -> tuple[Any, ...]:
    """What changes an archive page: its issues and its articles."""
    return issues_fingerprint(conn) + articles_fingerprint(conn)


def changes(conn: Connection) -> tuple[Any, ...]:
    """What moves with every change to the works: an event (a work new or changed), a work's
    records stored, updated, deleted, merged or split (`works.updated_at`: a split sets it on
    both sides), labels rewritten, a merge, an editor's label. Each is the newest value of an
    indexed column (migration 0023), so the whole is one round trip of index probes (about a
    millisecond at 100,000 works, where counting each table took 60 ms). Times, not counts:
    a change stamped earlier than the newest of its kind (a clock set back) goes unseen until
    the caches' time limit."""

    def newest(column: Any) -> Any:
        return select(func.max(column)).scalar_subquery()

    query = select(
        newest(Event.id),
        newest(Work.updated_at),
        newest(Classification.classified_at),
        newest(WorkMerge.id),
        newest(EditorLabel.id),
    )
    return tuple(conn.execute(query).one())


def works_fingerprint(conn: Connection) -> tuple[Any, ...]:
    """What changes when a study page or the evidence map may change: the issues and articles
    (a study page lists those that carried or cite it, or a work merged into it) and the works
    (`changes`)."""
    return archive_fingerprint(conn) + changes(conn)


@dataclass(frozen=True)
class Page:
    body: str  # with MARK for the nonce
    etag: str
    fingerprint: tuple[Any, ...]
    made: float
    status: int = 200

    def text(self, nonce: str) -> str:
        return self.body.replace(MARK, nonce) if nonce else self.body


class ArchiveCache:
    def __init__(
        self,
        engine: Engine,
        render: Callable[[str, str], Rendered | None],
        ttl: float = TTL,
        size: int = SIZE,
        clock: Callable[[], float] = time.monotonic,
        recheck: float = RECHECK,
        fingerprint: Fingerprint = archive_fingerprint,
    ) -> None:
        self.engine, self.render, self.ttl, self.size, self.clock = engine, render, ttl, size, clock
        self.recheck, self.asks = recheck, fingerprint
        self._pages = Recent(size)  # by (path, base); their age is checked against `clock`
        self._known: tuple[float, tuple[Any, ...]] | None = None  # (when asked, fingerprint)

    def current(self) -> tuple[Any, ...]:
        """The fingerprint, asked again once `recheck` seconds have passed."""
        now, known = self.clock(), self._known
        if known is None or now - known[0] >= self.recheck:
            known = self._known = (now, self.fingerprint())
        return known[1]

    def fingerprint(self) -> tuple[Any, ...]:
        with self.engine.connect() as conn:
            return self.asks(conn)

    def page(self, path: str, base: str, nonce: str) -> Page | None:
        """The page at `path` with links at `base`; None when there is no such page."""
        key, now, current = (path, base), self.clock(), self.current()
        found: Page | None = self._pages.get(key)
        if found is not None and found.fingerprint == current and now - found.made < self.ttl:
            return found
        rendered = self.render(path, base)
        if rendered is None:
            return None
        body, status = (rendered, 200) if isinstance(rendered, str) else rendered
        kept = body.replace(nonce, MARK) if nonce else body
        etag = hashlib.sha256(kept.encode()).hexdigest()[:32]
        made = Page(kept, etag, current, now, status)
        self._pages.put(key, made)
        return made


def kept_response(page: Page, content_type: str) -> Response:
    """A kept page with this response's nonce and the page's ETag; 304 without a body when the
    request's If-None-Match names it (and without a new CSP: etl/web/security.py)."""
    response = Response(page.text(nonce()), status=page.status, content_type=content_type)
    response.set_etag(page.etag)
    response.headers["Cache-Control"] = "no-cache"  # keep it, but ask whether it changed
    if page.status == 200:  # a 410's notice is answered whole: 304 stands for a 200
        response.make_conditional(request)
    return response
