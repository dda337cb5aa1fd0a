"""The HTTP edge: one client per run, a per-service rate limit, and retries that honour Retry-After.

Adapters never build clients or sleep by themselves; they call `request()` with a `check` that
turns a response into data or raises `BadBody`. A body that is not what it should be (an HTML error
page, an <ERROR> element, truncated XML) is an error for that request and is retried like a 503,
never taken as an empty result.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from etl.errors import SourceResponseError, SourceUnavailableError, SourceUnreachableError
from etl.settings import HttpSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
BUSY_HINT = (
    "the service may be down or throttling us; the run will be retried at its next scheduled time"
)
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 300.0


class BadBody(Exception):
    """The response arrived but its body is unusable (wrong format, error page, cut short)."""


class RateLimiter:
    """Spaces calls at least 1/rate seconds apart, across every thread that shares it."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / per_second
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:  # reserve a slot under the lock, sleep outside it
            now = self._clock()
            slot = max(self._next, now)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


_limiters: dict[str, RateLimiter] = {}
_limiters_lock = threading.Lock()


def shared_limiter(service: str, per_second: float) -> RateLimiter:
    """The process-wide limiter of a service: every request to it, from any code, goes through."""
    with _limiters_lock:
        limiter = _limiters.get(service)
        if limiter is None:
            limiter = _limiters[service] = RateLimiter(per_second)
        else:
            limiter.interval = 1.0 / per_second
        return limiter


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    backoff: float = 2.0
    backoff_max: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    @classmethod
    def from_settings(cls, settings: HttpSettings) -> RetryPolicy:
        return cls(settings.attempts, settings.backoff, settings.backoff_max)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        base = min(self.backoff * 2.0 ** (attempt - 1), self.backoff_max)
        return max(base, min(retry_after, MAX_RETRY_AFTER)) if retry_after else base


class _Retryable(SourceUnavailableError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def build_client(
    settings: HttpSettings, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """The only place an httpx.Client is made: timeouts and User-Agent from settings."""
    return httpx.Client(
        timeout=httpx.Timeout(settings.timeout),
        headers={"User-Agent": settings.user_agent},
        follow_redirects=True,
        transport=transport,
    )


def request(
    client: httpx.Client,
    method: str,
    url: str,
    check: Callable[[httpx.Response], T],
    *,
    what: str,
    params: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    limiter: RateLimiter | None = None,
    policy: RetryPolicy = RetryPolicy(),
    setting: str = "the source's base_url in config/sources.toml",
    busy_hint: str = BUSY_HINT,
    answers: Collection[int] = (),
) -> T:
    """One logical request: rate-limited, retried on transient failures, checked.

    Raises SourceUnavailableError once the tries are spent (with `busy_hint`),
    SourceResponseError at once for an answer that retrying cannot fix (a 4xx other than 429),
    and SourceUnreachableError at once when the host name does not resolve or the port refuses
    connections: offline, retrying would only keep the operator waiting in silence. `setting`
    names where the address is configured, for the hint. Each retry is logged as it is decided.
    `answers` are error statuses that are an answer for `check` to read (a 404 that means "no
    such record" where one record is asked for by id).
    """

    def attempt() -> T:
        if limiter is not None:
            limiter.wait()
        try:
            response = client.request(method, url, params=params, data=data)
        except httpx.ConnectError as exc:
            unreachable = _unreachable(exc, url)
            if unreachable:
                raise SourceUnreachableError(
                    f"{what}: {unreachable}",
                    f"check the network connection, and {setting}; "
                    "`mscwatch sources check` tries it again without storing anything",
                ) from None
            raise _Retryable(f"connection failed: {exc or type(exc).__name__}") from None
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"connection failed: {exc or type(exc).__name__}") from None
        if response.status_code in RETRY_STATUS:
            raise _Retryable(
                f"answered HTTP {response.status_code}", _retry_after(response.headers)
            )
        if response.status_code >= 400 and response.status_code not in answers:
            raise SourceResponseError(
                f"{what} answered HTTP {response.status_code}: {_snippet(response)}",
                "the request itself was refused; check the configured base URL and query",
            )
        try:
            return check(response)
        except BadBody as exc:
            raise _Retryable(f"sent an unusable body: {exc}") from None

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return policy.delay(state.attempt_number, getattr(exc, "retry_after", None))

    def before_sleep(state: RetryCallState) -> None:  # only when another try follows
        exc = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        log.warning("%s: %s; retrying in %.1fs (try %d)", what, exc, delay, state.attempt_number)

    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait,
        before_sleep=before_sleep,
        retry=retry_if_exception_type(_Retryable),
        sleep=policy.sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except _Retryable as exc:
        raise SourceUnavailableError(
            f"{what} failed after {policy.attempts} tries; last: {exc.message}", busy_hint
        ) from None


def _unreachable(exc: httpx.ConnectError, url: str) -> str | None:
    """What makes the host unreachable for now, when it is a name that does not resolve or a
    refused connection (found in the chain of causes httpx keeps); None for other failures."""
    parts = urlsplit(url)
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return f"the host name {parts.hostname} does not resolve ({cause.strerror or cause})"
        if isinstance(cause, ConnectionRefusedError):
            port = parts.port or (443 if parts.scheme == "https" else 80)
            return f"{parts.hostname}:{port} refused the connection"
        cause = cause.__cause__ or cause.__context__
    return None


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _snippet(response: httpx.Response) -> str:
    return " ".join(response.text[:200].split()) or response.reason_phrase
