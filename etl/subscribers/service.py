"""The rules for readers, as the CLI and the web pages apply them: who becomes what, when a
confirmation email goes out, and what a signed link may do.

Double opt-in: an address typed into the form, or added by an operator without `--confirmed`,
is `pending` and gets one confirmation email; only the link in it makes the reader `active`.
Addresses that left (unsubscribed, bounced, complained) stay in the table, and stay as they are
whoever types them into the form: they get a confirmation email (within the same allowance),
and only its link, made after they left, brings them back. No import or operator command does.

The form answers the same whatever the address's state, and its confirmation email goes out
on a background thread after the answer, so neither the page nor its timing tells anyone who
reads us.
"""

from __future__ import annotations

import csv
import hashlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine

from etl.classify.taxonomy import Taxonomy, load_taxonomy
from etl.db.engine import make_engine, require_current
from etl.digest.render import environment
from etl.errors import SubscriberError
from etl.mail.message import Sender, compose
from etl.mail.tokens import link, read_token, token_issued
from etl.mail.transport import SendError, Transport, open_transport
from etl.settings import Localized, Settings
from etl.subscribers import store
from etl.subscribers.addresses import (
    known_topics,
    normalize_address,
    parse_language,
    parse_topics,
    topic_choices,
    topic_groups,
)

CONSENT_TEXT = "subscribe-form-v1"  # the version of the form's wording a reader agreed to
EXPORT_COLUMNS = (
    "email", "state", "language", "topics", "source", "created_at", "confirmed_at", "bounces",
)  # fmt: skip
CONFIRM_SUBJECT = Localized(
    zh="请确认订阅《间充质干细胞肿瘤研究周报》", en="Please confirm your subscription"
)


@dataclass(frozen=True)
class Outcome:
    """What happened to one address, in words for the operator's table and the web page."""

    email: str
    action: str  # added, confirmation sent, confirmed, updated, unchanged, refused, …
    detail: str = ""
    subscriber: dict[str, Any] | None = None


@dataclass
class ImportReport:
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, what is wrong)

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)


@dataclass
class _Wanted:
    email: str
    language: str | None
    topics: list[str] | None
    state: str = ""  # from an import file that carries states


class Subscribers:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        taxonomy: Taxonomy,
        transport: Callable[[Settings], Transport] = open_transport,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.topics = topic_choices(taxonomy)  # the sections and groups the forms offer
        self.topic_groups = topic_groups(taxonomy)  # everything they offer, under headings
        self.known_topics = known_topics(taxonomy)  # what a reader may hold
        self.transport = transport
        self.templates = environment(settings)
        self._mailer: ThreadPoolExecutor | None = None  # the form's confirmations, one by one
        self._pending: list[Future[list[Outcome]]] = []
        self._lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings, engine: Engine | None = None) -> Subscribers:
        engine = engine or make_engine(settings.database_url)
        require_current(engine)
        return cls(settings, engine, load_taxonomy(settings.taxonomy_path))

    # -- operator commands -------------------------------------------------------------

    def add(
        self,
        email: str,
        language: str | None = None,
        topics: str | list[str] | None = None,
        *,
        confirmed: bool = False,
        source: str = "cli",
        consent: dict[str, Any] | None = None,
        now: datetime,
    ) -> Outcome:
        try:
            wanted = self._wanted(email, language, topics)
        except ValueError as exc:
            raise SubscriberError(f"{email!r}: {exc}") from None
        with self.engine.begin() as conn:
            outcome, confirm = self._apply(conn, wanted, confirmed, source, consent or {}, now)
        return self._send_confirmations([(outcome, confirm)], now)[0]

    def import_csv(
        self,
        path: Path,
        *,
        confirmed: bool,
        now: datetime,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Every good row in one transaction; each bad row is reported with its line number
        and the rest goes in. Confirmation emails go out after the commit."""
        report = ImportReport()
        decided = []
        with self.engine.begin() as conn:
            for line, row in self._rows(path, report):
                try:
                    wanted = self._wanted(  # an empty cell leaves a reader's choice as it is
                        row.get("email", ""),
                        row.get("language") or None,
                        row.get("topics") or None,
                        row,
                    )
                except ValueError as exc:
                    report.errors.append((line, f"{row.get('email', '')!r}: {exc}"))
                    continue
                consent = {"imported_from": path.name, "line": line, "at": now.isoformat()}
                decided.append(self._apply(conn, wanted, confirmed, "import", consent, now))
                if progress:
                    progress(1)
        report.outcomes = self._send_confirmations(decided, now)
        return report

    def listing(self, states: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        unknown = sorted(set(states) - set(store.STATES))
        if unknown:
            raise SubscriberError(
                f"unknown state {unknown[0]!r}", f"states: {', '.join(store.STATES)}"
            )
        with self.engine.connect() as conn:
            return store.listing(conn, states)

    def export(self, out: IO[str], states: tuple[str, ...] = ()) -> int:
        """CSV with the columns `import` reads back, states included, so a list moved to a
        new installation keeps its unsubscribes."""
        rows = self.listing(states)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            writer.writerow(
                [
                    row["email"],
                    row["state"],
                    row["language"],
                    " ".join(row["topics"]),
                    row["source"],
                    row["created_at"].isoformat(),
                    row["confirmed_at"].isoformat() if row["confirmed_at"] else "",
                    row["bounces"],
                ]
            )
        return len(rows)

    def remove(self, email: str) -> Outcome:
        """Erase the address and its delivery history (a reader's request to be forgotten)."""
        address = email.strip().lower()
        with self.engine.begin() as conn:
            gone = store.remove(conn, address)
        return Outcome(address, "removed" if gone else "not found")

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return store.counts(conn)

    # -- the web pages -----------------------------------------------------------------

    def subscribe_form(
        self,
        email: str,
        language: str | None,
        topics: list[str] | None,
        remote: str,
        user_agent: str,
        now: datetime,
    ) -> Outcome:
        """A sign-up from the form. Limited per network address; the answer is the same
        whether or not the address was known, so the form tells nobody who reads us."""
        config = self.settings.subscribers
        window = timedelta(minutes=config.form_window_minutes)
        key = "subscribe:" + hashlib.sha256(remote.encode()).hexdigest()[:32]
        wanted = self._wanted(email, language, topics)  # ValueError: the page says why
        consent = {
            "form": CONSENT_TEXT,
            "at": now.isoformat(),
            "remote": remote,
            "user_agent": user_agent[:200],
        }
        with self.engine.begin() as conn:
            if store.take(conn, key, now, now - window, config.form_limit) is None:
                return Outcome(wanted.email, "rate limited")
            decided = self._apply(conn, wanted, False, "form", consent, now)
        if decided[1]:
            self._in_background(lambda: self._send_confirmations([decided], now))
        return decided[0]

    def _in_background(self, job: Callable[[], list[Outcome]]) -> None:
        """Run `job` on the mail thread: the request that asked for it does not wait for SMTP,
        so its answer takes as long whether or not an email goes out."""
        with self._lock:
            if self._mailer is None:
                self._mailer = ThreadPoolExecutor(1, thread_name_prefix="confirmations")
            self._pending = [f for f in self._pending if not f.done()]
            self._pending.append(self._mailer.submit(job))

    def drain(self, timeout: float | None = None) -> list[Outcome]:
        """Wait for the confirmations the form queued (tests, and a clean shutdown); returns
        their outcomes."""
        with self._lock:
            pending, self._pending = self._pending, []
        return [o for future in pending for o in future.result(timeout)]

    def confirm(self, token: str, now: datetime) -> Outcome:
        email = self.address_of(token, "confirm")
        if email is None:
            return Outcome("", "invalid")
        with self.engine.begin() as conn:
            found = store.find(conn, email)
            if found is None:
                return Outcome(email, "not found")
            if found["state"] == "active":
                return Outcome(email, "already active", subscriber=found)
            if not self.confirmable(found, token):
                return Outcome(email, "refused", f"the address is {found['state']}", found)
            request = found["consent"].get("request") or {}  # an address coming back
            consent = {**(request.get("consent") or found["consent"])}
            consent.pop("request", None)
            consent["confirmed_at"] = now.isoformat()
            prefs = request.get("prefs") or {}
            store.set_state(conn, found["id"], "active", now, consent=consent, **prefs)
            return Outcome(email, "confirmed", subscriber=store.find(conn, email))

    def confirmable(self, found: dict[str, Any], token: str) -> bool:
        """Whether this confirmation link may make the reader active: a pending reader's, or,
        for an address that left, a link made after it left (so only a confirmation its owner
        asked for since then, and opened, brings it back; an old link does not)."""
        if found["state"] == "pending":
            return True
        if found["state"] not in store.SUPPRESSED:
            return False
        issued = token_issued(self.settings, "confirm", token)  # to the second
        return issued is not None and issued > found["changed_at"]

    def unsubscribe(self, token: str, now: datetime, how: str = "web") -> Outcome:
        """Idempotent: mailbox providers repeat one-click POSTs, people click twice."""
        email = self.address_of(token, "unsubscribe")
        if email is None:
            return Outcome("", "invalid")
        return self.unsubscribe_address(email, now, how)

    def unsubscribe_address(self, email: str, now: datetime, how: str) -> Outcome:
        with self.engine.begin() as conn:
            found = store.find(conn, email)
            if found is None:
                return Outcome(email, "not found")
            if found["state"] in ("active", "pending"):
                store.set_state(conn, found["id"], "unsubscribed", now, last_error=f"by {how}")
                return Outcome(email, "unsubscribed", subscriber=store.find(conn, email))
            return Outcome(email, "unchanged", found["state"], found)

    def preferences(self, token: str) -> dict[str, Any] | None:
        email = self.address_of(token, "preferences")
        if email is None:
            return None
        with self.engine.connect() as conn:
            return store.find(conn, email)

    def save_preferences(
        self, token: str, language: str | None, topics: list[str], now: datetime
    ) -> Outcome:
        email = self.address_of(token, "preferences")
        if email is None:
            return Outcome("", "invalid")
        values = {
            "language": parse_language(language),
            "topics": parse_topics(topics, self.known_topics),
        }
        with self.engine.begin() as conn:
            found = store.find(conn, email)
            if found is None:
                return Outcome(email, "not found")
            store.change(conn, found["id"], values)
            return Outcome(email, "updated", subscriber=store.find(conn, email))

    def address_of(self, token: str, purpose: str) -> str | None:
        """The address a link's token names, or None when it is forged, for another purpose,
        or older than its purpose allows (unsubscribe links never expire)."""
        config = self.settings.subscribers
        days = {"confirm": config.confirm_days, "preferences": config.preferences_days}.get(purpose)
        max_age = None if days is None else int(days * 86400)
        return read_token(self.settings, purpose, token, max_age)

    def lookup(self, token: str, purpose: str) -> tuple[str | None, dict[str, Any] | None]:
        """The address a token names and its reader (None when gone), read only."""
        email = self.address_of(token, purpose)
        if email is None:
            return None, None
        with self.engine.connect() as conn:
            return email, store.find(conn, email)

    # -- the rules ---------------------------------------------------------------------

    def _wanted(
        self,
        email: str,
        language: str | None,
        topics: str | list[str] | None,
        row: dict[str, str] | None = None,
    ) -> _Wanted:
        state = ((row or {}).get("state") or "").strip().lower()
        if state and state not in store.STATES:
            raise ValueError(f"state {state!r} is not one of {', '.join(store.STATES)}")
        return _Wanted(
            email=normalize_address(email),
            language=parse_language(language) if language and language.strip() else None,
            topics=parse_topics(topics, self.known_topics) if topics is not None else None,
            state=state,
        )

    def _apply(
        self,
        conn: Connection,
        wanted: _Wanted,
        confirmed: bool,
        source: str,
        consent: dict[str, Any],
        now: datetime,
    ) -> tuple[Outcome, bool]:
        """Decide what happens to one address; returns the outcome and whether it needs a
        confirmation email (sent after the commit)."""
        found = store.find(conn, wanted.email)
        prefs = {
            k: v
            for k, v in (("language", wanted.language), ("topics", wanted.topics))
            if v is not None
        }
        if found is None:
            if wanted.state in store.SUPPRESSED:  # an exported list keeps its unsubscribes
                row = store.create(conn, self._new(wanted, wanted.state, source, consent), now)
                return Outcome(wanted.email, "kept " + wanted.state, subscriber=row), False
            state = "active" if confirmed else "pending"
            row = store.create(conn, self._new(wanted, state, source, consent), now)
            if confirmed:
                return Outcome(wanted.email, "added", subscriber=row), False
            return self._ask(conn, row, now)
        state = found["state"]
        if state == "active":
            changed = {k: v for k, v in prefs.items() if found[k] != v}
            if changed and source != "form":  # the form never changes a reader's choices
                store.change(conn, found["id"], changed)
                return Outcome(wanted.email, "updated", subscriber=found), False
            return Outcome(wanted.email, "already active", subscriber=found), False
        if state == "pending":
            if prefs:
                store.change(conn, found["id"], prefs)
            if confirmed:
                store.set_state(conn, found["id"], "active", now)
                return Outcome(wanted.email, "confirmed", subscriber=found), False
            return self._ask(conn, found, now)
        # Unsubscribed, bounced or complained: only the person can come back, by opening a
        # confirmation link made from now on. The address stays as it is until then, whoever
        # typed it; what was asked for waits beside the consent, for the link to complete.
        since = found["changed_at"].date().isoformat()
        if confirmed or source == "import":
            return Outcome(
                wanted.email,
                "refused",
                f"{state} since {since}; only they can subscribe again "
                "(add without --confirmed sends them a confirmation email)",
                found,
            ), False
        outcome, ask = self._ask(conn, found, now)
        if ask:  # the request the email's link will complete
            request = {"consent": consent, "prefs": prefs}
            store.change(conn, found["id"], {"consent": {**found["consent"], "request": request}})
        detail = f"{state} since {since} until they confirm"
        return Outcome(outcome.email, outcome.action, detail, outcome.subscriber), ask

    def _new(
        self, wanted: _Wanted, state: str, source: str, consent: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "email": wanted.email,
            "state": state,
            "language": wanted.language or "zh",
            "topics": wanted.topics or [],
            "source": source,
            "consent": consent,
        }

    def _ask(self, conn: Connection, row: dict[str, Any], now: datetime) -> tuple[Outcome, bool]:
        """A confirmation email, unless the address had its share lately: the form must not
        become a way to flood someone's mailbox."""
        config = self.settings.subscribers
        last = row.get("confirmation_sent_at")
        sent = row.get("confirmations_sent", 0)
        if row.get("state") in store.SUPPRESSED and last is not None and last < row["changed_at"]:
            last, sent = None, 0  # emails from before it left do not count against coming back
        if last is not None and now - last > timedelta(days=config.confirm_days):
            sent = 0  # the earlier links have expired: a fresh start
        if last is not None and now - last < timedelta(minutes=config.resend_minutes):
            return Outcome(row["email"], "unchanged", "a confirmation email was just sent"), False
        if sent >= config.confirmations:
            return Outcome(
                row["email"], "unchanged", f"{sent} confirmation emails sent already"
            ), False
        store.change(conn, row["id"], {"confirmations_sent": sent + 1, "confirmation_sent_at": now})
        return Outcome(row["email"], "confirmation sent", subscriber=row), True

    def _send_confirmations(
        self, decided: list[tuple[Outcome, bool]], now: datetime
    ) -> list[Outcome]:
        wanted = [outcome for outcome, confirm in decided if confirm]
        if not wanted:
            return [outcome for outcome, _ in decided]
        transport = self.transport(self.settings)
        failed: dict[str, str] = {}
        try:
            for outcome in wanted:
                try:
                    self._send_confirmation(transport, outcome, now)
                except SendError as exc:
                    failed[outcome.email] = str(exc)
        finally:
            transport.close()
        if failed:  # an email that did not go out does not use up the address's allowance
            with self.engine.begin() as conn:
                for outcome in wanted:
                    before = outcome.subscriber or {}
                    if outcome.email in failed and "id" in before:
                        store.change(
                            conn,
                            before["id"],
                            {
                                "confirmations_sent": before.get("confirmations_sent", 0),
                                "confirmation_sent_at": before.get("confirmation_sent_at"),
                            },
                        )
        return [
            Outcome(o.email, "confirmation failed", failed[o.email], o.subscriber)
            if o.email in failed
            else o
            for o, _ in decided
        ]

    def _send_confirmation(self, transport: Transport, outcome: Outcome, now: datetime) -> None:
        subscriber = outcome.subscriber or {}
        lang = subscriber.get("language") or "zh"
        values = {
            "lang": lang,
            "link": link(self.settings, "confirm", outcome.email),
            "name": self.settings.digest.header.name(lang),
            "days": int(self.settings.subscribers.confirm_days),
        }
        mail = self.settings.mail
        message = compose(
            Sender(mail.from_address, mail.sender_name(lang), mail.reply_to),
            outcome.email,
            CONFIRM_SUBJECT(lang),
            self.templates.get_template("mail/confirm.txt.j2").render(**values),
            self.templates.get_template("mail/confirm.html.j2").render(**values),
            make_msgid("confirm", domain=mail.domain),
            now,
        )
        transport.send(
            mail.envelope_from, outcome.email, message.as_bytes(), f"confirm-{outcome.email}"
        )

    def _rows(self, path: Path, report: ImportReport) -> Iterator[tuple[int, dict[str, str]]]:
        try:
            handle = path.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise SubscriberError(f"{path}: cannot read: {exc.strerror}") from None
        with handle:
            try:
                reader = csv.DictReader(handle)
                fields = [f.strip().lower() for f in reader.fieldnames or []]
                if "email" not in fields:
                    raise SubscriberError(
                        f"{path}: line 1 has no 'email' column (found: {', '.join(fields)})",
                        "the first line names the columns: email, and optionally language, topics",
                    )
                reader.fieldnames = fields
                for row in reader:
                    clean = {k: (v or "").strip() for k, v in row.items() if k}
                    if not any(clean.values()):
                        continue
                    yield reader.line_num, clean
            except UnicodeDecodeError as exc:
                raise SubscriberError(
                    f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                    "save the file as UTF-8 CSV",
                ) from None
            except csv.Error as exc:
                raise SubscriberError(f"{path}: line {reader.line_num}: {exc}") from None
