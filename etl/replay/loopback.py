"""The HTTP server under every replay: loopback only, and able to close while clients linger."""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"


class LoopbackServer(ThreadingHTTPServer):
    """Threading server that knows its open connections, so close() need not wait for clients."""

    daemon_threads = True

    def __init__(self, port: int, handler: type[BaseHTTPRequestHandler]) -> None:
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__((HOST, port), handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup of the host; loopback needs none.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = HOST, int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Shut idle keep-alive connections so their handler threads end now."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                logger.debug("connection already closed", exc_info=True)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("replay connection from %s failed", client_address, exc_info=True)


class Served:
    """A replay's lifecycle: its LoopbackServer on a thread of its own from construction, and a
    `close` (also on leaving a `with` block) that cuts lingering clients and frees the port."""

    _httpd: LoopbackServer

    def _serve(self, httpd: LoopbackServer, name: str) -> None:
        self._stopping = threading.Event()
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{name}-{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def pause(self, seconds: float) -> None:
        """Sleep for a ``slow`` fault, cut short when the server closes."""
        self._stopping.wait(seconds)

    def close(self) -> None:
        """Stop serving, cut open connections and release the port; safe to call twice."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.drop_connections()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
