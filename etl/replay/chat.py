"""A loopback stand-in for an OpenAI-compatible chat API (`POST /v1/chat/completions`), answering
with recorded answers chosen by a key in the request, so the writer service is tested, and the
demo runs, without the network.

The answers file is JSON: `{"answers": {KEY: ANSWER, …}}`. A request's key is the first
`记录：…` / `record: …` line of its user message (the writer puts the record's identifier and
the field there, e.g. "pmid:41000113 lead"). An ANSWER is one of
`{"content": "…", "prompt_tokens": N, "completion_tokens": N, "finish_reason": "stop"}`,
`{"status": 429, "retry_after": 30}` (any error status), or `{"delay": SECONDS, "content": …}`
(answers after the client's timeout). A key with no answer gets 404 like an unknown model.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from etl.replay.loopback import HOST, LoopbackServer, Served

KEY = re.compile(r"^(?:记录|record)[：:]\s*(.+?)\s*$", re.M)


@dataclass(frozen=True)
class ChatRequest:
    key: str
    model: str
    messages: list[dict[str, str]]


class ChatServer(Served):
    """Serves `answers` (a dict, or a path to the JSON file) on 127.0.0.1 until `close()`;
    `url` is the base URL a client takes (ending in /v1). Every request is kept in `requests`."""

    def __init__(self, answers: dict[str, Any] | Path, port: int = 0) -> None:
        if isinstance(answers, Path):
            answers = dict(json.loads(answers.read_text(encoding="utf-8"))["answers"])
        self.answers: dict[str, Any] = dict(answers)
        self.requests: list[ChatRequest] = []
        self._lock = threading.Lock()
        self._serve(_ChatHTTPServer(port, self), "chat-server")

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str], float]:
        """(status, JSON body, headers, seconds to wait first) for one request body."""
        messages = body.get("messages") or []
        user = next((m.get("content", "") for m in messages if m.get("role") == "user"), "")
        match = KEY.search(user if isinstance(user, str) else "")
        key = match.group(1) if match else ""
        with self._lock:
            self.requests.append(ChatRequest(key, str(body.get("model", "")), messages))
            recorded = self.answers.get(key)
        if recorded is None:
            return 404, _error(f"no recorded answer for {key!r}", "not_found_error"), {}, 0.0
        delay = float(recorded.get("delay", 0))
        status = int(recorded.get("status", 200))
        if status != 200:
            headers = {}
            if "retry_after" in recorded:
                headers["Retry-After"] = str(recorded["retry_after"])
            kind = "rate_limit_error" if status == 429 else "api_error"
            return status, _error(recorded.get("message", f"status {status}"), kind), headers, delay
        content = recorded.get("content", "")
        prompt = int(recorded.get("prompt_tokens", 0))
        completion = int(recorded.get("completion_tokens", len(content)))
        reply = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", ""),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": recorded.get("finish_reason", "stop"),
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }
        return 200, reply, {}, delay


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": None}}


class _ChatHTTPServer(LoopbackServer):
    def __init__(self, port: int, owner: ChatServer) -> None:
        self.owner = owner
        super().__init__(port, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _ChatHTTPServer
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 (the http.server name)
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send(400, _error("body is not JSON", "invalid_request_error"), {})
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, _error(f"no route {self.path}", "not_found_error"), {})
            return
        status, reply, headers, delay = self.server.owner.answer(body)
        if delay:
            self.server.owner.pause(delay)
        self._send(status, reply, headers)

    def _send(self, status: int, reply: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(reply, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (a timeout answer): nothing to tell it

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return
