"""A loopback server for RSS and Atom feeds: conditional GET, moved and gone feeds, failures on cue.

The feed crawl tests run the project's real HTTP client against it, so validators, redirects and
retries are exercised on the wire rather than assumed. Standard library only, bound to 127.0.0.1,
in the shape of `ReplayServer`: a `ThreadingHTTPServer` in a daemon thread until `close()`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

from etl.replay.loopback import HOST, LoopbackServer, Served

logger = logging.getLogger(__name__)

AUTO = "auto"
FEED_TYPE = "application/xml; charset=utf-8"


@dataclass(frozen=True, slots=True)
class FeedRequest:
    """One request as received: header names lower-cased; ``time`` is ``time.time()``."""

    method: str
    path: str
    headers: dict[str, str]
    time: float


@dataclass(frozen=True, slots=True)
class FeedReply:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class _Route:
    """What a path answers: a feed body with its validators, or a fixed status (and Location)."""

    body: bytes = b""
    etag: str | None = None
    last_modified: datetime | None = None
    conditional: bool = True
    status: int = 200
    location: str | None = None


class FeedServer(Served):
    """Feeds on 127.0.0.1 from start-up until ``close()``; use as ``with FeedServer() as srv:``.

    ``serve("toc.xml", body)`` publishes a feed at ``srv.url + "toc.xml"`` with an ETag (the
    body's hash unless given) and, if given, a Last-Modified; a request carrying a matching
    ``If-None-Match`` (or, without one, an ``If-Modified-Since`` not older) gets 304. Serving a
    new body changes the ETag. ``redirect``, ``gone``, ``status`` and ``fail`` script the other
    answers; every request is kept in ``requests``.
    """

    def __init__(self, port: int = 0) -> None:
        self.requests: list[FeedRequest] = []
        self._routes: dict[str, _Route] = {}
        self._failures: dict[str, deque[int]] = {}
        self._lock = threading.Lock()
        self._serve(_FeedHTTPServer(port, self), "feed-server")

    @property
    def url(self) -> str:
        """Base URL ending in ``/``; append a path given to ``serve``."""
        return f"http://{HOST}:{self.port}/"

    def serve(
        self,
        path: str,
        body: bytes,
        *,
        etag: str | None = AUTO,
        last_modified: datetime | None = None,
        conditional: bool = True,
    ) -> None:
        """Publish (or replace) a feed. ``etag=None`` sends none; ``last_modified`` must be
        timezone-aware; ``conditional=False`` plays a server that ignores validators and always
        answers 200 with the whole body."""
        tag = f'"{hashlib.sha256(body).hexdigest()[:16]}"' if etag == AUTO else etag
        with self._lock:
            self._routes[_key(path)] = _Route(body, tag, last_modified, conditional)

    def redirect(self, path: str, to: str, status: int = 301) -> None:
        """Answer ``path`` with ``status`` and ``Location: to`` (a path here, or any URL)."""
        location = "/" + to.lstrip("/") if "://" not in to else to
        self._set(path, _Route(status=status, location=location))

    def gone(self, path: str) -> None:
        """Answer ``path`` with 410 Gone, as a publisher does for a feed withdrawn for good."""
        self.status(path, 410)

    def status(self, path: str, status: int) -> None:
        """Answer ``path`` with ``status`` and a small HTML page, every time."""
        self._set(path, _Route(status=status))

    def fail(self, path: str, status: int = 500, times: int = 1) -> None:
        """Answer the next ``times`` requests for ``path`` with ``status``, then as scripted."""
        with self._lock:
            self._failures.setdefault(_key(path), deque()).extend([status] * times)

    def requests_for(self, path: str) -> list[FeedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == _key(path)]

    def handle(self, request: FeedRequest) -> FeedReply:
        """Record ``request`` and answer it (called by the handler threads)."""
        with self._lock:
            self.requests.append(request)
            route = self._routes.get(request.path)
            failures = self._failures.get(request.path)
            failure = failures.popleft() if failures else None
        if failure is not None:
            return _page(failure)
        if route is None:
            return _page(404)
        if route.location is not None:
            return _page(route.status, (("Location", route.location),))
        if route.status != 200:
            return _page(route.status)
        return _feed(route, request.headers)

    def _set(self, path: str, route: _Route) -> None:
        with self._lock:
            self._routes[_key(path)] = route


def _key(path: str) -> str:
    return "/" + path.lstrip("/")


def _page(status: int, headers: tuple[tuple[str, str], ...] = ()) -> FeedReply:
    phrase = HTTPStatus(status).phrase
    body = f"<html><body><h1>{status} {phrase}</h1></body></html>".encode()
    return FeedReply(status, body, (("Content-Type", "text/html"), *headers))


def _feed(route: _Route, asked: dict[str, str]) -> FeedReply:
    validators: list[tuple[str, str]] = []
    if route.etag:
        validators.append(("ETag", route.etag))
    if route.last_modified:
        validators.append(("Last-Modified", format_datetime(route.last_modified, usegmt=True)))
    if route.conditional and _not_modified(route, asked):
        return FeedReply(304, b"", tuple(validators))
    return FeedReply(200, route.body, (("Content-Type", FEED_TYPE), *validators))


def _not_modified(route: _Route, asked: dict[str, str]) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when sent; If-Modified-Since only without it."""
    if "if-none-match" in asked:
        tags = [tag.strip().removeprefix("W/") for tag in asked["if-none-match"].split(",")]
        return route.etag is not None and ("*" in tags or route.etag.removeprefix("W/") in tags)
    since = asked.get("if-modified-since")
    if since is None or route.last_modified is None:
        return False
    try:
        return route.last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


class _FeedHTTPServer(LoopbackServer):
    def __init__(self, port: int, feeds: FeedServer) -> None:
        self.feeds = feeds
        super().__init__(port, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see ReplayServer: headers and body go out in two writes
    server: _FeedHTTPServer

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.feeds.handle(FeedRequest(self.command, path, headers, time.time()))
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.status != 304:  # a 304 has no body, and says nothing of its length
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)
