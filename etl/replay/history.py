"""The replay server's history store: result lists kept under WebEnv and QueryKey, as NCBI does.

Crawlers page efetch through a stored search; tests need to expire it on demand to check that the
crawler redoes the search.
"""

from __future__ import annotations

import secrets
import threading


class History:
    """Thread-safe WebEnv -> [result list per QueryKey] store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._envs: dict[str, list[list[str]]] = {}

    def store(self, ids: list[str], webenv: str | None = None) -> tuple[str, int]:
        """Keep ``ids`` under ``webenv`` (a new one when unknown); return (WebEnv, QueryKey)."""
        with self._lock:
            if not webenv or webenv not in self._envs:
                webenv = f"MCID_{secrets.token_hex(12)}"
                self._envs[webenv] = []
            self._envs[webenv].append(list(ids))
            return webenv, len(self._envs[webenv])

    def get(self, webenv: str, query_key: int) -> list[str] | None:
        """The stored list, or None when the WebEnv or key is unknown or expired."""
        with self._lock:
            queries = self._envs.get(webenv, [])
            return queries[query_key - 1] if 0 < query_key <= len(queries) else None

    def expire(self) -> None:
        """Forget every WebEnv, as when NCBI's history sessions time out."""
        with self._lock:
            self._envs.clear()
