"""The ISRCTN registry's one-trial endpoint on a loopback port, answering from files.

`GET /api/trial/<number>/format/default` answers the trial held for that number (as the
registry's XML API does), 404 for a number it does not hold, and every request is kept in
`requests`, so a test can tell whether the registry was asked at all."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

_TRIAL = re.compile(r"^/api/trial/(?:ISRCTN)?(\d{8})/format/default$")
_NUMBER = re.compile(r"<isrctn[^>]*>\s*(\d{8})\s*</isrctn>")


class IsrctnReplay:
    def __init__(self, files: Iterable[Path]) -> None:
        self.trials: dict[str, bytes] = {}
        for path in files:
            body = path.read_bytes()
            found = _NUMBER.search(body.decode("utf-8"))
            if not found:
                raise ValueError(f"{path}: no <isrctn> number")
            self.trials[found[1]] = body
        self.requests: list[str] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                replay.requests.append(self.path)
                match = _TRIAL.match(self.path.split("?")[0])
                body = replay.trials.get(match[1]) if match else None
                status = 200 if body is not None else 404
                body = body if body is not None else b"Trial not found"
                self.send_response(status)
                kind = "application/xml" if status == 200 else "text/plain"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def __enter__(self) -> IsrctnReplay:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
