"""A loopback HTTP server that answers ``esearch.fcgi`` and ``efetch.fcgi`` like NCBI, offline,
and, when given a study corpus, ``/api/v2/studies`` like CT.gov's API v2.

The demo and the crawl and fault tests run the project's real HTTP client against it, so retries,
paging, window splitting and parsing are exercised without touching NCBI or CT.gov. Standard
library only: one ``ThreadingHTTPServer`` in a daemon thread, bound to 127.0.0.1.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from etl.replay.corpus import Corpus
from etl.replay.ctgov import API_PREFIX, StudiesApi, StudyCorpus
from etl.replay.eutils import EUtils, Reply
from etl.replay.faults import FaultPlan, fault_reply
from etl.replay.loopback import HOST, LoopbackServer, Served

logger = logging.getLogger(__name__)

_NOT_FOUND = Reply(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")
_BUG = Reply(500, b"<html><body><h1>Replay server error</h1></body></html>", "text/html")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as received; ``params`` merges query string and form body; ``time`` is
    ``time.time()`` at arrival; ``fault`` is the kind the fault plan served instead of the
    real answer, if any, so a test can line up what the client saw with what it did next."""

    method: str
    path: str
    params: dict[str, str]
    time: float
    fault: str | None = None


class ReplayServer(Served):
    """E-utilities (and CT.gov) replay on 127.0.0.1, serving from start-up until ``close()``.

    Use as ``with ReplayServer(corpus) as srv:`` and point the client at ``srv.url``. ``cap``
    plays PubMed's 9,999 search window, so window splitting can be tested on small corpora.
    With ``studies=`` it also serves CT.gov API v2 under ``srv.ctgov_url``; ``corpus`` may then be
    None, and the E-utilities paths answer 404.
    """

    def __init__(
        self,
        corpus: Corpus | None,
        cap: int = 9999,
        port: int = 0,
        phrase_not_found: Iterable[str] = (),
        faults: FaultPlan | None = None,
        *,
        studies: StudyCorpus | None = None,
    ) -> None:
        self.corpus = corpus
        self.studies = studies
        self.faults = faults or FaultPlan()
        self.requests: list[RecordedRequest] = []
        pubmed = corpus if corpus is not None else Corpus()
        self._eutils = EUtils(pubmed, cap, set(phrase_not_found))
        self._ctgov = StudiesApi(studies if studies is not None else StudyCorpus())
        self._lock = threading.Lock()
        self._serve(_HTTPServer(port, self), "replay-server")

    @property
    def url(self) -> str:
        """Base URL ending in ``/``; append ``esearch.fcgi`` or ``efetch.fcgi``."""
        return f"http://{HOST}:{self.port}/"

    @property
    def ctgov_url(self) -> str:
        """CT.gov API v2 base URL ending in ``/`` (the API's ``/api/v2/``); append ``studies``."""
        return f"http://{HOST}:{self.port}{API_PREFIX}"

    @property
    def ctgov_token_on_last_page(self) -> bool:
        """When True, the last page of studies carries a ``nextPageToken`` whose page is
        ``{"studies": []}``, as CT.gov sometimes does; a crawler must stop on the missing token,
        not on a short page. Default False."""
        return self._ctgov.token_on_last_page

    @ctgov_token_on_last_page.setter
    def ctgov_token_on_last_page(self, value: bool) -> None:
        self._ctgov.token_on_last_page = value

    @property
    def ctgov_coerce_page_size(self) -> bool:
        """When True, ``pageSize`` above 1000 serves 1000 studies (what the 2.0 spec describes)
        instead of answering 400. Default False."""
        return self._ctgov.coerce_page_size

    @ctgov_coerce_page_size.setter
    def ctgov_coerce_page_size(self, value: bool) -> None:
        self._ctgov.coerce_page_size = value

    @property
    def cap(self) -> int:
        """How many results a search can page through (PubMed: 9,999)."""
        return self._eutils.cap

    @cap.setter
    def cap(self, value: int) -> None:
        self._eutils.cap = value

    @property
    def phrase_not_found(self) -> set[str]:
        """Phrases (matched case-insensitively in ``term``) that make a search answer Count 0
        with ``PhraseNotFound``, as NCBI does for a misspelt tag. The set may be edited. In a
        CT.gov ``query.term``, ``query.cond`` or ``query.intr`` they answer the API's 400."""
        return self._eutils.phrase_not_found

    @phrase_not_found.setter
    def phrase_not_found(self, value: Iterable[str]) -> None:
        self._eutils.phrase_not_found = set(value)

    def expire_history(self) -> None:
        """Forget every WebEnv, so later efetch calls on them get NCBI's in-band error."""
        self._eutils.history.expire()

    def expire_page_tokens(self) -> None:
        """Forget every CT.gov ``nextPageToken``, so later pages asked with them answer 400."""
        self._ctgov.tokens.expire()

    def record(self, request: RecordedRequest) -> None:
        """Append to ``requests`` (called by the handler threads)."""
        with self._lock:
            self.requests.append(request)

    def answer(self, path: str, params: dict[str, str]) -> Reply:
        """The normal, fault-free answer for a request."""
        if self.corpus is not None and path == "/esearch.fcgi":
            return self._eutils.esearch(params)
        if self.corpus is not None and path == "/efetch.fcgi":
            return self._eutils.efetch(params)
        if self.studies is not None and path.startswith(API_PREFIX):
            return self._ctgov.answer(path, params, self.phrase_not_found)
        return _NOT_FOUND


class _HTTPServer(LoopbackServer):
    def __init__(self, port: int, replay: ReplayServer) -> None:
        self.replay = replay
        super().__init__(port, _Handler)


class _Handler(BaseHTTPRequestHandler):
    """Records the request, consults the fault plan, then writes the answer."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY the second waits ~40 ms for
    # the client's delayed ACK on every keep-alive request.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)

    def _serve(self) -> None:
        replay = self.server.replay
        path, params = self._read_params()
        arrived = time.time()
        kind = replay.faults.take(path)
        replay.record(RecordedRequest(self.command, path, params, arrived, kind))
        if kind == "drop":
            self.close_connection = True
            return
        if kind == "slow":
            replay.pause(replay.faults.slow_seconds)
        reply = fault_reply(kind, path, replay.faults.retry_after) if kind else None
        self._send(reply or self._answer(path, params), truncate=kind == "truncate")

    def _answer(self, path: str, params: dict[str, str]) -> Reply:
        try:
            return self.server.replay.answer(path, params)
        except Exception:
            logger.exception("replay server failed on %s %s", path, params)
            return _BUG

    def _read_params(self) -> tuple[str, dict[str, str]]:
        split = urlsplit(self.path)
        pairs = parse_qsl(split.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            pairs += parse_qsl(
                self.rfile.read(length).decode("utf-8", "replace"), keep_blank_values=True
            )
        params: dict[str, str] = {}
        for name, value in pairs:
            # id may be repeated (id=1&id=2); NCBI reads it as one comma-separated list.
            joined = name == "id" and params.get(name)
            params[name] = f"{params[name]},{value}" if joined else value
        return split.path, params

    def _send(self, reply: Reply, truncate: bool = False) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        if truncate:
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.close_connection = True
        else:
            self.wfile.write(reply.body)
