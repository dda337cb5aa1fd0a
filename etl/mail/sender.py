"""Sending one issue to its deliveries, exactly once per reader.

The order of commits is the whole design:

1. A batch of due rows is claimed by this sender (`claimed`, with the sender's name), and sent
   in id order.
2. Each message's outcome is committed on its own, in one statement, the moment the relay
   answers. So a sender's rows are, at any instant, a committed prefix of outcomes and a tail of
   claims of which only the first can be on the wire.
3. A sender holds a lock named after itself while it runs (db/locks.py), and the lock dies with
   the process. The next sender to look finds the rows of a dead one, puts its claims back in
   the queue, and marks the first of them `in_doubt`: it is sent again.

The one message that can arrive twice is therefore the one the dead sender had in hand, and
only when the relay had it whole: a relay delivers a message once the end of DATA reaches it,
so the window runs from there, through the relay's own queueing and its "250", to our commit
(`SendReport.windows` measures the last part on every run; the relay's part is the larger).
The copy carries the same Message-ID, which lets mail systems that deduplicate drop it. We
resend rather than give up on such a row (the at-most-once choice): the other way loses the
message whenever the crash comes before the relay accepted it.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from etl.db.locks import hold, is_held, sender_lock
from etl.db.states import DeliveryState
from etl.errors import DeliveryError
from etl.mail import deliveries
from etl.mail.message import Prepared
from etl.mail.transport import SendError, Transport
from etl.settings import DeliverySettings

RELAY_TRIES = 3  # connection attempts before a run gives up on the relay


@dataclass
class SendReport:
    sent: int = 0
    deferred: int = 0  # 4xx or lost connection: will be retried
    failed: int = 0
    skipped: int = 0
    bounced: int = 0  # addresses that reached the bounce limit in this run
    recovered: int = 0  # rows taken over from senders that died
    in_doubt: int = 0  # of those, messages that may have been accepted before the crash
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)  # the first few refusals, for the operator
    # Seconds from each relay's "250" to the commit recording it: the window in which a crash
    # makes a duplicate. Measured so the claim in this module's docstring stays checked.
    windows: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def retry_delay(attempts: int, config: DeliverySettings) -> float:
    """Seconds before the next try: retry_after, doubling, at most retry_max."""
    return min(config.retry_after * 2.0 ** max(attempts - 1, 0), config.retry_max)


class RateLimit:
    """At most `rate` messages a second, evenly spaced (0 = no limit)."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = self.clock()
        if self.next > now:
            self.sleep(self.next - now)
            now = self.next
        self.next = now + self.interval


class IssueSender:
    """Sends one issue's due deliveries over one transport; `run` returns when none is left
    (or only retries due later than `linger`), or raises DeliveryError when the relay fails."""

    def __init__(
        self,
        engine: Engine,
        transport: Transport,
        issue: dict[str, Any],
        edition: Callable[..., Prepared],
        links: Callable[[str], tuple[str, ...]],
        mail_from: Callable[[int], str],  # the envelope sender of a delivery (its id)
        config: DeliverySettings,
        clock: Callable[[], datetime],
        progress: Callable[[int], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        followed: Callable[[int], frozenset[int]] | None = None,
        held: Callable[[str, frozenset[str], frozenset[int]], list[int]] | None = None,
    ) -> None:
        """`followed(subscriber id)`: the works of this issue's retractions and corrections the
        reader was sent before, which their edition holds whatever their topics (`edition`
        then takes them as a third argument); `held(lang, topics, followed)`: the works an
        edition holds, recorded with each delivery sent."""
        self.followed = followed
        self.held = held
        self.engine = engine
        self.transport = transport
        self.issue = issue
        self.edition = edition
        self.links = links
        self.mail_from = mail_from
        self.config = config
        self.clock = clock
        self.progress = progress or (lambda n: None)
        self.sleep = sleep
        self.worker = worker_name()
        self.conn: Connection
        self.report = SendReport()
        self.streak = 0
        self.stopping = False

    def stop(self) -> None:
        """Finish the message in hand, record it, hand the other claims back, and return
        (SIGTERM and Ctrl-C call this)."""
        self.stopping = True

    def run(self) -> SendReport:
        started = time.monotonic()
        with hold(self.engine, sender_lock(self.worker)), self.engine.connect() as conn:
            self.conn = conn  # one connection for the run: no pool checkout per message
            try:
                self._loop()
            finally:
                with self._transaction() as c:
                    deliveries.release(c, self.issue["id"], self.worker, self.clock())
                self.transport.close()
                self.report.seconds = time.monotonic() - started
        return self.report

    @property
    def batch_size(self) -> int:
        """Under a rate limit, claims cover about five seconds of sending, so a reader who
        leaves is skipped however slow the relay makes us."""
        if self.config.rate > 0:
            return max(1, min(self.config.batch_size, int(self.config.rate * 5)))
        return self.config.batch_size

    def _loop(self) -> None:
        limit = RateLimit(self.config.rate, sleep=self.sleep)
        self._recover()
        while True:
            with self._transaction() as conn:
                batch, skipped = deliveries.claim(
                    conn, self.issue["id"], self.worker, self.batch_size, self.clock()
                )
            self.report.skipped += skipped
            self.progress(skipped)
            if not batch and not skipped:
                if self.stopping:
                    return
                if self._recover() or self._linger():
                    continue
                return
            for row in batch:
                if self.stopping:
                    return
                self._send(row, limit)

    def _send(self, row: dict[str, Any], limit: RateLimit) -> None:
        topics = frozenset(row["topics"] or [])
        followed = self.followed(row["subscriber_id"]) if self.followed else frozenset()
        try:
            edition = (
                self.edition(row["language"], topics, followed)
                if followed
                else self.edition(row["language"], topics)
            )
            raw = edition.personal(row["email"], row["message_id"], self.links(row["email"]))
        except ValueError as exc:  # this reader's message cannot be made: the others can
            self._failed(row, SendError(None, f"not sent: {exc}", unsendable=True))
            return
        limit.wait()
        # The outbox's file name: an issue's, or a feature article's (`message_key`).
        stem = self.issue.get("message_key") or f"issue-{self.issue['number']:03d}"
        key = f"{stem}-{row['email']}"
        for attempt in range(RELAY_TRIES):
            try:
                self.transport.send(self.mail_from(row["id"]), row["email"], raw, key)
            except SendError as exc:
                if exc.relay and attempt + 1 < RELAY_TRIES:
                    self.sleep(2.0**attempt)
                    continue
                self._failed(row, exc)
                return
            break
        accepted = time.perf_counter()
        held = self.held(row["language"], topics, followed) if self.held else None
        with self._transaction() as conn:
            deliveries.finish(conn, row["id"], DeliveryState.SENT, self.clock(), work_ids=held)
        self.report.windows.append(time.perf_counter() - accepted)
        self.report.sent += 1
        self.streak = 0
        self.progress(1)

    def _failed(self, row: dict[str, Any], exc: SendError) -> None:
        now = self.clock()
        attempts = row["attempts"] + 1
        if exc.relay:  # never reached the relay: back to the queue, and stop the run
            with self._transaction() as conn:
                deliveries.finish(
                    conn, row["id"], DeliveryState.QUEUED, now, error=str(exc), attempted=False
                )
            raise DeliveryError(
                f"the relay {self.transport.description} cannot be used: {exc}",
                "check SMTP_URL and the relay; what is left stays queued for the next "
                "`mscwatch digest send`",
            )
        if len(self.report.errors) < 10:
            self.report.errors.append(f"{row['email']}: {exc}")
        if exc.permanent or attempts >= self.config.max_attempts:
            reason = str(exc) if exc.permanent else f"gave up after {attempts} attempts: {exc}"
            counts = exc.permanent and not exc.policy

            with self._transaction() as conn:
                deliveries.finish(
                    conn, row["id"], DeliveryState.FAILED, now, code=exc.code, error=reason
                )
                if counts and deliveries.count_bounce(
                    conn, row["subscriber_id"], reason, self.config.bounce_limit, now
                ):
                    self.report.bounced += 1
            self.report.failed += 1
        else:
            due = now + timedelta(seconds=retry_delay(attempts, self.config))
            with self._transaction() as conn:
                deliveries.finish(
                    conn,
                    row["id"],
                    DeliveryState.RETRY,
                    now,
                    code=exc.code,
                    error=str(exc),
                    next_attempt_at=due,
                )
            self.report.deferred += 1
        self.progress(1)
        self.streak += 1
        if self.streak >= self.config.failure_streak:
            raise DeliveryError(
                f"{self.streak} messages in a row were refused, the last: {exc}",
                "the relay or the configuration is likely at fault; fix it and run "
                "`mscwatch digest send` again (what is left stays queued)",
            )

    def _recover(self) -> bool:
        """Take over the rows of senders that died; True when some came back to the queue."""
        with self._transaction() as conn:
            requeued, doubt = deliveries.recover(
                conn,
                self.issue["id"],
                lambda w: w == self.worker or is_held(self.engine, sender_lock(w)),
                self.clock(),
            )
        self.report.recovered += requeued + doubt
        self.report.in_doubt += doubt
        return bool(requeued or doubt)

    def _linger(self) -> bool:
        """Wait for the next retry when it falls due within `linger` seconds."""
        with self._transaction() as conn:
            due = deliveries.next_due(conn, self.issue["id"])
        if due is None:
            return False
        wait = (due - self.clock()).total_seconds()
        if wait > self.config.linger:
            return False
        self.sleep(max(wait, 0.0))
        return True

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self.conn.begin():
            yield self.conn
