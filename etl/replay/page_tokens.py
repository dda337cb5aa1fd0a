"""The replay server's CT.gov paging store: opaque ``nextPageToken`` values minted per page.

CT.gov tokens are opaque and tied to the query they came from, so a crawler must pass them back
unchanged and may re-send one after a failed request. Tests also need to forget them on demand
(as when a crawl resumes in a later run) to check that the crawler starts its query again.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ResultList:
    """One search's result, fixed when its first page was served: a snapshot of NCT ids, so
    later pages do not shift when the corpus is edited mid-crawl."""

    query: Hashable
    ncts: tuple[str, ...]
    prefix: str


class PageTokens:
    """Thread-safe token -> (result list, offset) store; tokens can be used any number of times."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: dict[str, tuple[ResultList, int]] = {}

    @staticmethod
    def result_list(query: Hashable, ncts: list[str]) -> ResultList:
        """A new result list; its tokens share a prefix, as the real API's do."""
        return ResultList(query, tuple(ncts), secrets.token_urlsafe(29))

    def mint(self, results: ResultList, offset: int) -> str:
        """A token for the page of ``results`` that starts at ``offset``."""
        token = results.prefix + secrets.token_urlsafe(7)
        with self._lock:
            self._pages[token] = (results, offset)
        return token

    def get(self, token: str) -> tuple[ResultList, int] | None:
        """The result list and offset a token stands for, or None when unknown or expired."""
        with self._lock:
            return self._pages.get(token)

    def expire(self) -> None:
        """Forget every token, as when a crawl resumes with tokens from an earlier run."""
        with self._lock:
            self._pages.clear()
