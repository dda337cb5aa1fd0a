"""A bounded, thread-safe memory of recent values: the one least-recently-used store the web
pages' caches (kept pages, queue reads and rows) and the evidence map's drawn charts share.
Each server process keeps its own; nothing here knows what is kept or when it goes stale
beyond an optional age."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class Recent:
    """At most `size` values, each for at most `fresh` seconds (None: for as long as it stays
    among the `size` most recently used)."""

    def __init__(self, size: int, fresh: float | None = None) -> None:
        self.size, self.fresh = size, fresh
        self._values: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()  # the development server answers on several threads

    def get(self, key: Hashable) -> Any:
        with self._lock:
            found = self._values.get(key)
            if found is None:
                return None
            if self.fresh is not None and time.monotonic() - found[0] > self.fresh:
                del self._values[key]
                return None
            self._values.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._values[key] = (time.monotonic(), value)
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
