"""Europe PMC's REST ``search`` on 127.0.0.1, answered from recorded results, with faults on cue.

Results are loaded from saved search pages (JSON) and served exactly as recorded, whatever
``resultType`` asks. Topic words are ignored (the results are already the topic), so a client's
real query can be sent unchanged; only ``FIRST_IDX_DATE:[A TO B]`` ranges select, by each
result's ``firstIndexDate``, so a count over recent days differs from the total. ``hitCount`` is
the number of matches, pages follow ``cursorMark`` (an opaque offset here), and the last page has
no ``nextCursorMark``, as since API 6.6. Error texts are the replay server's own wording.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import date
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from etl.replay.corpus import CorpusError
from etl.replay.eutils import Reply
from etl.replay.faults import FaultPlan, fault_reply
from etl.replay.loopback import HOST, LoopbackServer, Served
from etl.replay.server import RecordedRequest

logger = logging.getLogger(__name__)

API_PREFIX = "/europepmc/webservices/rest/"
SEARCH_PATH = API_PREFIX + "search"
JSON_TYPE = "application/json;charset=UTF-8"
TEXT_TYPE = "text/plain; charset=UTF-8"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000

_RANGE = re.compile(r"FIRST_IDX_DATE\s*:\s*\[\s*(\S+)\s+TO\s+(\S+)\s*\]", re.I)
_NOT_FOUND = Reply(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")


class SearchError(ValueError):
    """A request answered with 400 and this text."""


class PaperCorpus:
    """Recorded search results in their recorded order, each with the day it was first indexed."""

    def __init__(self, results: Iterable[Mapping[str, Any]] = ()) -> None:
        self._entries: list[tuple[date | None, bytes]] = []
        for result in results:
            self.add(result)

    @classmethod
    def from_paths(cls, paths: Iterable[Path | str]) -> PaperCorpus:
        """Load the results of saved ``search`` pages (JSON), in the order given."""
        corpus = cls()
        for path in paths:
            try:
                page = json.loads(Path(path).read_bytes())
                results = page["resultList"]["result"]
            except (OSError, ValueError, KeyError, TypeError) as err:
                raise CorpusError(f"{path}: not a Europe PMC search page: {err}") from err
            for result in results:
                corpus.add(result)
        return corpus

    def add(self, result: Mapping[str, Any]) -> None:
        day = _day(str(result.get("firstIndexDate", "")))
        body = json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode()
        self._entries.append((day, body))

    def search(self, since: date, until: date) -> list[bytes]:
        """The results first indexed in [since, until]; undated ones only match an open range."""
        if (since, until) == (date.min, date.max):
            return [body for _, body in self._entries]
        return [body for day, body in self._entries if day is not None and since <= day <= until]

    def __len__(self) -> int:
        return len(self._entries)


def search(corpus: PaperCorpus, params: Mapping[str, str]) -> Reply:
    """One page of ``GET /search`` in the JSON format, or a plain-text 400."""
    try:
        if params.get("format", "").lower() != "json":
            raise SearchError("the replay server answers format=json only")
        query = params.get("query", "").strip()
        if not query:
            raise SearchError("query is required")
        matches = corpus.search(*_window(query))
        size, offset = _page_size(params.get("pageSize", "")), _offset(params)
    except SearchError as err:
        return Reply(400, str(err).encode(), TEXT_TYPE)
    page = matches[offset : offset + size]
    head: dict[str, Any] = {"version": "6.9", "hitCount": len(matches)}
    if offset + len(page) < len(matches) and page:
        head["nextCursorMark"] = _cursor(offset + len(page))
    head["request"] = {
        "queryString": query,
        "resultType": params.get("resultType", "lite"),
        "cursorMark": quote(params.get("cursorMark", "*"), safe=""),
        "pageSize": size,
        "sort": params.get("sort", ""),
        "synonym": False,
    }
    start = json.dumps(head, ensure_ascii=False)[:-1].encode()
    body = start + b',"resultList":{"result":[' + b",".join(page) + b"]}}"
    return Reply(200, body, JSON_TYPE)


def _window(query: str) -> tuple[date, date]:
    since, until = date.min, date.max
    for low, high in _RANGE.findall(query):
        since, until = max(since, _bound(low, date.min)), min(until, _bound(high, date.max))
    return since, until


def _bound(text: str, open_value: date) -> date:
    if text == "*":
        return open_value
    digits = text.replace("-", "")
    day = _day(f"{digits[:4]}-{digits[4:6]}-{digits[6:]}") if len(digits) == 8 else None
    if day is None:
        raise SearchError(f"FIRST_IDX_DATE: {text!r} is not a date (YYYY-MM-DD or YYYYMMDD)")
    return day


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _page_size(raw: str) -> int:
    if not raw.strip():
        return DEFAULT_PAGE_SIZE
    if not raw.strip().isdigit() or int(raw) > MAX_PAGE_SIZE:
        raise SearchError(f"pageSize must be a number from 0 to {MAX_PAGE_SIZE}, got {raw!r}")
    return int(raw)


def _cursor(offset: int) -> str:
    return base64.b64encode(f"replay:{offset}".encode()).decode()


def _offset(params: Mapping[str, str]) -> int:
    cursor = params.get("cursorMark", "*")
    if cursor == "*":
        return 0
    try:
        prefix, _, number = base64.b64decode(cursor, validate=True).decode().partition(":")
        if prefix == "replay" and number.isdigit():
            return int(number)
    except ValueError:
        pass
    raise SearchError(f"invalid cursorMark {cursor!r}")


class EuropePmcServer(Served):
    """Europe PMC search on 127.0.0.1 from start-up until ``close()``; use as
    ``with EuropePmcServer(corpus) as srv:`` with ``srv.url`` as the configured base URL.

    Every request is kept in ``requests``; ``faults`` plays the same failures as ReplayServer's.
    """

    def __init__(self, corpus: PaperCorpus, port: int = 0, faults: FaultPlan | None = None) -> None:
        self.corpus = corpus
        self.faults = faults or FaultPlan()
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._serve(_HTTPServer(port, self), "europepmc-server")

    @property
    def url(self) -> str:
        """The REST base URL ending in ``/``, as configured; append ``search``."""
        return f"http://{HOST}:{self.port}{API_PREFIX}"

    def answer(self, path: str, params: dict[str, str]) -> Reply:
        return search(self.corpus, params) if path == SEARCH_PATH else _NOT_FOUND

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


class _HTTPServer(LoopbackServer):
    def __init__(self, port: int, replay: EuropePmcServer) -> None:
        self.replay = replay
        super().__init__(port, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see ReplayServer: headers and body go out in two writes
    server: _HTTPServer

    def do_GET(self) -> None:
        replay = self.server.replay
        split = urlsplit(self.path)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        kind = replay.faults.take(split.path)
        replay.record(RecordedRequest(self.command, split.path, params, time.time()))
        if kind == "drop":
            self.close_connection = True
            return
        if kind == "slow":
            replay.pause(replay.faults.slow_seconds)
        reply = fault_reply(kind, split.path, replay.faults.retry_after) if kind else None
        self._send(reply or replay.answer(split.path, params), truncate=kind == "truncate")

    def _send(self, reply: Reply, truncate: bool) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body[: len(reply.body) // 2] if truncate else reply.body)
        if truncate:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)
