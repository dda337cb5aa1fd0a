"""Scripted and random failures for the replay server, the way NCBI and its proxies fail.

Retry, backoff and parse-error handling can only be tested against a server that misbehaves on
cue: rate limiting, 5xx and proxy pages, stalls, dropped connections, truncated bodies, HTML
instead of XML, and in-band ``ERROR`` documents at HTTP 200.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from random import Random

from etl.replay.eutils import Reply, efetch_error, esearch_error

KINDS = ("429", "500", "502", "503", "slow", "drop", "truncate", "html", "error_xml")
"""Every fault kind a plan accepts."""

_HTML_TYPE = "text/html; charset=UTF-8"
_PAGES = {
    "500": "<html><head><title>500 Internal Server Error</title></head><body>"
    "<h1>Internal Server Error</h1></body></html>",
    "502": "<html><head><title>502 Bad Gateway</title></head><body><center>"
    "<h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
    "503": "<html><head><title>503 Service Unavailable</title></head><body>"
    "<h1>Service unavailable</h1><p>The server is temporarily unable to service your request."
    "</p></body></html>",
    "html": "<html><body><h1>Service Temporarily Unavailable</h1><p>The server is temporarily "
    "unable to service your request. Please try again later.</p></body></html>",
}


@dataclass(slots=True)
class _Queued:
    kind: str
    remaining: int
    path: str | None


class FaultPlan:
    """Which requests fail and how; consulted once per request, safe to change from any thread.

    Queued faults are served first, in the order queued; a random plan applies to the rest.
    ``clear()`` drops pending faults but keeps the ``injected`` tally.
    """

    def __init__(self, retry_after: str = "1", slow_seconds: float = 3.0) -> None:
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self._lock = threading.Lock()
        self._queue: list[_Queued] = []
        self._rate = 0.0
        self._kinds: tuple[str, ...] = ()
        self._rng = Random(0)
        self._injected: Counter[str] = Counter()

    def queue(self, kind: str, times: int = 1, path: str | None = None) -> None:
        """Fail the next ``times`` requests (only those whose path contains ``path``, if given)."""
        _check(kind)
        with self._lock:
            self._queue.append(_Queued(kind, times, path))

    def random(self, rate: float, kinds: Sequence[str], seed: int) -> None:
        """From now on fail each request with probability ``rate``, kind drawn from ``kinds``."""
        for kind in kinds:
            _check(kind)
        if not 0.0 <= rate <= 1.0 or (rate and not kinds):
            raise ValueError("rate must be in [0, 1] and kinds non-empty")
        with self._lock:
            self._rate, self._kinds, self._rng = rate, tuple(kinds), Random(seed)

    def clear(self) -> None:
        """Stop injecting: drop queued faults and the random plan."""
        with self._lock:
            self._queue.clear()
            self._rate, self._kinds = 0.0, ()

    def take(self, path: str) -> str | None:
        """The fault for a request to ``path``, or None; counts it in ``injected``."""
        with self._lock:
            kind = self._take_queued(path) or self._take_random()
            if kind:
                self._injected[kind] += 1
            return kind

    @property
    def injected(self) -> Counter[str]:
        """A snapshot of faults served so far, by kind."""
        with self._lock:
            return Counter(self._injected)

    def _take_queued(self, path: str) -> str | None:
        for item in self._queue:
            if item.path is None or item.path in path:
                item.remaining -= 1
                if item.remaining <= 0:
                    self._queue.remove(item)
                return item.kind
        return None

    def _take_random(self) -> str | None:
        # One draw per request keeps the sequence a function of the seed and request order only.
        if self._rate and self._rng.random() < self._rate:
            return self._rng.choice(self._kinds)
        return None


def fault_reply(kind: str, path: str, retry_after: str = "1") -> Reply | None:
    """The answer a fault kind sends instead of the real one; None for the kinds that bend
    the real answer (``slow``, ``drop``, ``truncate``)."""
    if kind == "429":
        body = b'{"error":"API rate limit exceeded","count":"11"}'
        return Reply(429, body, "application/json", (("Retry-After", retry_after),))
    if kind in _PAGES:
        return Reply(200 if kind == "html" else int(kind), _PAGES[kind].encode(), _HTML_TYPE)
    if kind == "error_xml":
        if "esearch" in path:
            return esearch_error("Search Backend failed: Exception: backend query timed out")
        return efetch_error("Unable to obtain query #1")
    return None


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
