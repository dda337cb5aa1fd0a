"""A stop request shared by the signal handler and the work it stops."""

from __future__ import annotations

import threading
from collections.abc import Callable


class StopSignal:
    """Set once (by SIGTERM or SIGINT); jobs poll it or register what to call when it comes."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def set(self) -> None:
        with self._lock:
            self._event.set()
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)

    def on_stop(self, callback: Callable[[], None]) -> None:
        with self._lock:
            self._callbacks.append(callback)
            now = self._event.is_set()
        if now:
            callback()
