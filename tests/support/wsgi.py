"""A WSGI app served on a free loopback port in a thread, for tests that open it in a browser.

The port is chosen first and the app set afterwards, because the app's settings (the archive's
base URL, the links it signs) need the address it will really answer at.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server


class Loopback:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


@contextmanager
def loopback() -> Iterator[Loopback]:
    holder: list[Loopback] = []
    server = make_server("127.0.0.1", 0, lambda env, start: holder[0](env, start), threaded=True)
    holder.append(Loopback(server.server_port))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
